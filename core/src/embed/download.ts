import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { InputError, type LongTaskOptions, throwIfAborted, WinnowError } from '../errors.js';

export interface DownloadOptions extends LongTaskOptions {
  url: string;
  /** Where the verified file ends up; the transfer goes to `<dest>.part` until then. */
  dest: string;
  /** 64 lowercase hex digits; a download that hashes otherwise is removed. */
  sha256: string;
  /** Label of the progress events (default `download`). */
  phase?: string;
  /** Further tries after a connection drops mid-transfer, each resuming (default 2). */
  retries?: number;
  /** Ends the offline message, after "put <file> at <dest>". */
  hint?: string;
}

const RETRY_DELAY_MS = 500;
/** Progress every MiB: often enough for a bar, rare enough to cost nothing. */
const PROGRESS_STEP = 1 << 20;
/**
 * Errors before any response worth another try: a connection reset on the way. Not a refusal, an
 * unknown host or a connect timeout: those say offline, and retrying only delays saying so.
 */
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** A failure another try may get past: the connection dropped, or the server had a passing fault. */
class Dropped extends Error {}

/**
 * Fetches `url` to `dest`, resuming a `.part` left by an earlier try, and keeps it only if its
 * sha256 matches. The body streams to disk; a cancelled download keeps its `.part` for next time.
 */
export async function downloadFile(options: DownloadOptions): Promise<void> {
  const { url, dest, signal } = options;
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  const retries = options.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    throwIfAborted(signal);
    try {
      await transfer(url, part, options);
      break;
    } catch (error) {
      if (signal?.aborted) throw new WinnowError('cancelled', 'cancelled');
      if (!(error instanceof Dropped) || attempt >= retries) throw unreachable(options, error);
      await sleep(RETRY_DELAY_MS * 2 ** attempt, undefined, { signal }).catch(() => undefined);
    }
  }
  const actual = await sha256Of(part);
  if (actual !== options.sha256) {
    // A wrong file must not linger as a .part either: the next try would resume onto it.
    await rm(part, { force: true });
    throw new InputError(
      url,
      'sha256',
      `is ${actual}, expected ${options.sha256}; download refused and removed`,
    );
  }
  await rename(part, dest);
}

/** One request: appends to the `.part` from where it stops, or starts it over. */
async function transfer(url: string, part: string, options: DownloadOptions): Promise<void> {
  const offset = await sizeOf(part);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) headers.range = `bytes=${offset}-`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: options.signal });
  } catch (error) {
    throw RESET.has(codeOf(error) ?? '') ? new Dropped(reasonOf(error), { cause: error }) : error;
  }
  // The .part is already whole (a crash between the last byte and the rename): the hash decides.
  if (response.status === 416 && offset > 0) {
    await response.body?.cancel();
    return;
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    const reason = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    throw response.status >= 500 ? new Dropped(reason) : new Error(reason);
  }
  // A server that ignores Range answers 200 with the whole file: start the .part over.
  const resumed = response.status === 206;
  if (resumed && contentRangeStart(response) !== offset) {
    await response.body.cancel();
    await rm(part, { force: true });
    throw new Dropped(`server resumed at the wrong offset (asked for ${offset})`);
  }
  let done = resumed ? offset : 0;
  const length = response.headers.get('content-length');
  const total = length === null ? undefined : done + Number(length);
  const phase = options.phase ?? 'download';
  let reported = done;
  options.onProgress?.({ phase, done, total });
  const file = await open(part, resumed ? 'a' : 'w');
  try {
    for await (const chunk of Readable.fromWeb(response.body as ReadableStream<Uint8Array>)) {
      await file.write(chunk as Uint8Array);
      done += (chunk as Uint8Array).byteLength;
      if (done - reported >= PROGRESS_STEP) {
        reported = done;
        options.onProgress?.({ phase, done, total });
      }
    }
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new Dropped(reasonOf(error), { cause: error });
  } finally {
    await file.close();
  }
  if (total !== undefined && done < total)
    throw new Dropped(`connection closed after ${done} of ${total} bytes`);
  if (done !== reported) options.onProgress?.({ phase, done, total });
}

/** The user-facing error once no try is left: what went wrong and how to do without the network. */
function unreachable(options: DownloadOptions, error: unknown): WinnowError {
  if (error instanceof WinnowError) return error;
  const hint = options.hint ?? ' (or set WINNOW_MODEL_DIR to a folder holding it)';
  return new WinnowError(
    'io',
    `cannot download ${options.url} (${reasonOf(error)}); put ${basename(options.dest)} at ${options.dest}${hint}`,
    { cause: error },
  );
}

/** fetch hides the system error (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function codeOf(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const code = (cause?.code ?? (error as { code?: unknown }).code) as unknown;
  return typeof code === 'string' ? code : undefined;
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const message = cause instanceof Error && cause.message ? cause.message : (error as Error).message;
  const code = codeOf(error);
  const line = (message || code || String(error)).split('\n')[0]!;
  return code && !line.includes(code) ? `${code}: ${line}` : line;
}

function contentRangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : undefined;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
