import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ReadableStorage } from './types.js';
import { objectUri } from './work.js';

/**
 * Runs a local tool's step (ffprobe, ffmpeg) on an object: a folder's file as it is, a bucket's
 * object through a signed URL, or (a store that signs none, when `download` allows) a temporary
 * copy. The URL or copy never reaches a message: the object's URL stands in for it in any error,
 * so neither a log nor a corrupt sample's reason in the workspace carries a signature. Returns
 * undefined when the object cannot be handed to a tool.
 */
export async function withToolInput<T>(
  storage: ReadableStorage,
  path: string,
  use: (input: string) => Promise<T>,
  options: { download?: boolean } = {},
): Promise<T | undefined> {
  const where = objectUri(storage, path);
  if (storage.kind === 'local') return use(where);
  const url = await storage.signedUrl(path);
  if (url) return hidden(url, where, () => use(url));
  if (!options.download) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'winnow-object-'));
  try {
    const copy = join(dir, basename(path));
    await writeFile(copy, await storage.read(path));
    return await hidden(copy, where, () => use(copy));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function hidden<T>(input: string, where: string, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    if (error instanceof Error) error.message = error.message.split(input).join(where);
    throw error;
  }
}
