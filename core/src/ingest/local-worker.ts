import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { type EntryType, readHeadAndTailSync, statNamesSync } from '../storage/local.js';
import { serveWorker } from '../util/worker-pool.js';
import { HEAD_BYTES, LARGE_HEAD_BYTES, type ProbeResult, probeBytes, TAIL_BYTES } from './probe.js';

/** Requests the ingest of a local folder sends to its worker threads. */
export type LocalRequest =
  | { type: 'stat'; dir: string; names: [string, EntryType][] }
  | { type: 'probe'; files: [path: string, size: number][] };

const realRoot: string = workerData.realRoot;

function probeLocal(path: string, size: number): ProbeResult {
  try {
    const full = join(realRoot, path);
    const first = readHeadAndTailSync(full, size, HEAD_BYTES, TAIL_BYTES);
    const result = probeBytes(path, first.head, first.tail, size);
    if (result.needsRange) {
      const ifd = readAtSync(full, result.needsRange.offset, result.needsRange.length);
      return probeBytes(path, first.head, first.tail, size, ifd);
    }
    if (!result.needsMoreHead) return result;
    const larger = readHeadAndTailSync(full, size, LARGE_HEAD_BYTES, TAIL_BYTES);
    const { needsMoreHead: _, ...final } = probeBytes(path, larger.head, larger.tail, size);
    return final.reason === 'header incomplete'
      ? { ...final, reason: 'image size not found in the first 1 MiB' }
      : final;
  } catch (error) {
    return {
      format: null,
      width: null,
      height: null,
      status: 'corrupt',
      reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  }
}

function readAtSync(full: string, offset: number, length: number): Uint8Array {
  const fd = openSync(full, 'r');
  try {
    const bytes = Buffer.allocUnsafe(length);
    return bytes.subarray(0, readSync(fd, bytes, 0, length, offset));
  } finally {
    closeSync(fd);
  }
}

serveWorker<LocalRequest, unknown>(parentPort!, (request) =>
  request.type === 'stat'
    ? statNamesSync(realRoot, request.dir, request.names)
    : request.files.map(([path, size]) => probeLocal(path, size)),
);
