import { isAbsolute, resolve } from 'node:path';

/**
 * The locations a path in an editor may mean, in the order to ask: as written (relative to its
 * dataset, absolute, or a URL), then, for a relative one, from the workspace folder (where a
 * training script usually runs) and from the document's own folder.
 */
export function locationsToTry(text: string, folders: readonly (string | undefined)[]): string[] {
  const relative = !isAbsolute(text) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  const resolved = relative ? folders.flatMap((folder) => (folder ? [resolve(folder, text)] : [])) : [];
  return [...new Set([text, ...resolved])];
}
