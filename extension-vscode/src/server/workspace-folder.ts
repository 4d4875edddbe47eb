import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

/**
 * The Winnow workspace of the `winnow.workspace` setting as an absolute path: `~` is the home
 * folder, and a relative path is taken from the editor's first workspace folder (the notebook
 * next to the training script starts its server in the same `./.winnow`).
 */
export function winnowWorkspace(setting: string, folder: string | undefined): string {
  const chosen = setting.trim() || './.winnow';
  const expanded = chosen === '~' || chosen.startsWith('~/') ? homedir() + chosen.slice(1) : chosen;
  if (isAbsolute(expanded)) return resolve(expanded);
  if (!folder) {
    throw new Error(`winnow.workspace: '${chosen}' is relative, and no folder is open to take it from`);
  }
  return resolve(folder, expanded);
}
