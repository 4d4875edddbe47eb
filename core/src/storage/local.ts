import { randomUUID } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mkdir, open, opendir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { throwIfAborted, WinnowError } from '../errors.js';
import type { FileEntry, ListOptions, WritableStorage } from './types.js';

export type EntryType = 'file' | 'dir' | 'link' | 'other';

/** What stat-ing one directory's chunk of names found. */
export interface StatResult {
  files: FileEntry[];
  /** Subdirectories to descend into, with an identity that ends symlink loops. */
  dirs: { path: string; id: string }[];
  /** Links that lead outside the root: never followed, never read. */
  outsideRoot: string[];
}

export type StatBatch = (dir: string, names: [string, EntryType][]) => Promise<StatResult> | StatResult;

export interface LocalListOptions extends ListOptions {
  /** Only names for which this holds are stat-ed and listed (directories are always walked). */
  accept?: (name: string) => boolean;
  /** Stats a chunk of names; the default runs in this thread, ingest passes a worker pool. */
  statBatch?: StatBatch;
  /** Told of each link that leads outside the root. */
  onOutsideRoot?: (path: string) => void;
  /** Told of each folder that exists but cannot be read (its files are then not listed). */
  onUnreadableFolder?: (path: string, code: string) => void;
}

const CHUNK = 1024;

/** A folder on this machine. */
export class LocalStorage implements WritableStorage {
  readonly kind = 'local' as const;
  /** The root with every link resolved: containment checks compare against it. */
  readonly realRoot: string;

  constructor(readonly uri: string) {
    if (!isAbsolute(uri))
      throw new WinnowError('invalid_argument', `datasource root must be absolute: ${uri}`);
    try {
      if (!statSync(uri).isDirectory()) throw new Error('not a directory');
      this.realRoot = realpathSync(uri);
    } catch (error) {
      throw new WinnowError('not_found', `${uri}: not a readable folder (${(error as Error).message})`);
    }
  }

  async *list(options: LocalListOptions = {}): AsyncGenerator<FileEntry[]> {
    const statBatch = options.statBatch ?? ((dir, names) => statNamesSync(this.realRoot, dir, names));
    const visited = new Set<string>([directoryId(this.realRoot)]);
    const start = relative(this.realRoot, this.resolveInside(options.prefix ?? ''))
      .split(sep)
      .join('/');
    const pending: string[] = [start];
    while (pending.length > 0) {
      throwIfAborted(options.signal);
      const dir = pending.pop()!;
      const unreadable = (code: string) => options.onUnreadableFolder?.(dir, code);
      for await (const names of readDirectoryChunks(join(this.realRoot, dir), options.accept, unreadable)) {
        const result = await statBatch(dir, names);
        for (const sub of result.dirs) {
          if (visited.has(sub.id)) continue;
          visited.add(sub.id);
          pending.push(sub.path);
        }
        for (const path of result.outsideRoot) options.onOutsideRoot?.(path);
        if (result.files.length > 0) yield result.files;
        throwIfAborted(options.signal);
      }
    }
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    try {
      const info = await stat(this.resolveInside(path));
      return info.isFile() ? { path, size: info.size, mtimeMs: info.mtimeMs } : undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.failure('stat', path, error);
    }
  }

  async read(path: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
    const full = this.resolveInside(path);
    try {
      if (!range) return asBytes(await readFile(full));
      const handle = await open(full, 'r');
      try {
        const buffer = Buffer.alloc(range.length);
        const { bytesRead } = await handle.read(buffer, 0, range.length, range.offset);
        return asBytes(buffer.subarray(0, bytesRead));
      } finally {
        await handle.close();
      }
    } catch (error) {
      throw this.failure('read', path, error);
    }
  }

  /** Written beside the target and renamed over it, so a failed write leaves no partial file. */
  async write(path: string, bytes: Uint8Array): Promise<void> {
    const full = this.resolveInside(path);
    const temporary = `${full}.${randomUUID()}.part`;
    try {
      // What Winnow writes (.winnow/: thumbnails, crops, reports) goes in folders of the user's alone.
      await mkdir(dirname(full), { recursive: true, mode: 0o700 });
      await writeFile(temporary, bytes);
      await rename(temporary, full);
    } catch (error) {
      await rm(temporary, { force: true });
      throw this.failure('write', path, error);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await rm(this.resolveInside(path), { force: true });
    } catch (error) {
      throw this.failure('delete', path, error);
    }
  }

  /** A local file has no URL a browser may open: the local server streams it. */
  async signedUrl(): Promise<undefined> {
    return undefined;
  }

  private failure(operation: string, path: string, error: unknown): WinnowError {
    const code = (error as NodeJS.ErrnoException).code;
    const kind =
      code === 'ENOENT' ? 'not_found' : code === 'EACCES' || code === 'EPERM' ? 'permission_denied' : 'io';
    return new WinnowError(
      kind,
      `${join(this.uri, path)}: ${operation} failed (${code ?? (error as Error).message})`,
    );
  }

  /** The absolute path of `path`, refusing any that leaves the root, through `..` or a link. */
  resolveInside(path: string): string {
    const full = resolve(this.realRoot, path);
    if (!isInside(this.realRoot, full))
      throw new WinnowError('invalid_argument', `${path}: outside the datasource root`);
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return full;
    }
    if (!isInside(this.realRoot, real))
      throw new WinnowError('invalid_argument', `${path}: links outside the datasource root`);
    return real;
  }
}

/** A plain Uint8Array view of a Buffer, the type every adapter returns. */
function asBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function directoryId(path: string): string {
  const info = statSync(path);
  return `${info.dev}:${info.ino}`;
}

async function* readDirectoryChunks(
  dir: string,
  accept: ((name: string) => boolean) | undefined,
  onUnreadable: (code: string) => void,
): AsyncGenerator<[string, EntryType][]> {
  let handle: Awaited<ReturnType<typeof opendir>>;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (error) {
    // A folder that vanished in the meantime holds nothing; one that cannot be read is reported.
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code !== 'ENOENT') onUnreadable(code);
    return;
  }
  let chunk: [string, EntryType][] = [];
  for await (const entry of handle) {
    const type: EntryType = entry.isFile()
      ? 'file'
      : entry.isDirectory()
        ? 'dir'
        : entry.isSymbolicLink()
          ? 'link'
          : 'other';
    if (type === 'other') continue;
    if (type === 'file' && accept && !accept(entry.name)) continue;
    chunk.push([entry.name, type]);
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Stats one chunk of a directory's names with synchronous calls (cheap in a worker thread). */
export function statNamesSync(realRoot: string, dir: string, names: [string, EntryType][]): StatResult {
  const result: StatResult = { files: [], dirs: [], outsideRoot: [] };
  for (const [name, type] of names) {
    const path = dir ? `${dir}/${name}` : name;
    const full = join(realRoot, path);
    if (type === 'dir') {
      result.dirs.push({ path, id: directoryId(full) });
      continue;
    }
    if (type === 'link') {
      let real: string;
      try {
        real = realpathSync(full);
      } catch {
        result.files.push({ path, size: 0, mtimeMs: 0, error: 'broken symbolic link' });
        continue;
      }
      if (!isInside(realRoot, real)) {
        result.outsideRoot.push(path);
        continue;
      }
      const info = statSync(real);
      if (info.isDirectory()) result.dirs.push({ path, id: `${info.dev}:${info.ino}` });
      else if (info.isFile()) result.files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      continue;
    }
    try {
      const info = statSync(full);
      result.files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
    } catch (error) {
      result.files.push({
        path,
        size: 0,
        mtimeMs: 0,
        error: `unreadable: ${(error as NodeJS.ErrnoException).code}`,
      });
    }
  }
  return result;
}
