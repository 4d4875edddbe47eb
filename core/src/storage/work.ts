import { join } from 'node:path';
import { WinnowError } from '../errors.js';
import type { WritableStorage } from './types.js';

/** Everything Winnow writes goes under this folder of the work location, and nowhere else. */
export const WORK_DIR = '.winnow';

/** The URL (or, for a folder, the path) of `path` under a storage's root. */
export function objectUri(storage: { kind: string; uri: string }, path: string): string {
  return storage.kind === 'local' ? join(storage.uri, path) : `${storage.uri}${path}`;
}

/**
 * The `.winnow/` folder of a dataset's work location: thumbnails/, frames/, crops/,
 * runs/<run_id>/ and embeddings/. Paths given here are relative to it, so nothing can be
 * written anywhere else in the work location.
 */
export class WorkArea {
  constructor(readonly storage: WritableStorage) {}

  /** Where `path` lives: its URL, or its absolute path in a local work folder. */
  uri(path = ''): string {
    return objectUri(this.storage, `${WORK_DIR}/${path}`);
  }

  write(path: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    return this.storage.write(`${WORK_DIR}/${path}`, bytes, contentType);
  }

  read(path: string): Promise<Uint8Array> {
    return this.storage.read(`${WORK_DIR}/${path}`);
  }

  async exists(path: string): Promise<boolean> {
    return (await this.storage.stat(`${WORK_DIR}/${path}`)) !== undefined;
  }

  /** The files under `folder` (paths relative to `.winnow/`); none when it does not exist. */
  async list(folder: string): Promise<string[]> {
    const found: string[] = [];
    try {
      for await (const page of this.storage.list({ prefix: `${WORK_DIR}/${folder.replace(/\/?$/, '/')}` }))
        found.push(...page.map((entry) => entry.path.slice(WORK_DIR.length + 1)));
    } catch (error) {
      if (!(error instanceof WinnowError && error.code === 'not_found')) throw error;
    }
    return found;
  }

  delete(path: string): Promise<void> {
    return this.storage.delete(`${WORK_DIR}/${path}`);
  }

  signedUrl(path: string, expiresInSeconds?: number): Promise<string | undefined> {
    return this.storage.signedUrl(`${WORK_DIR}/${path}`, expiresInSeconds);
  }
}
