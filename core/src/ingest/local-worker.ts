import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { type EntryType, statNamesSync } from '../storage/local.js';
import { serveWorker } from '../util/worker-pool.js';
import { type ProbeResult, probeFile } from './probe.js';

/** Requests the ingest of a local folder sends to its worker threads. */
export type LocalRequest =
  | { type: 'stat'; dir: string; names: [string, EntryType][] }
  | { type: 'probe'; files: [path: string, size: number][] };

const realRoot: string = workerData.realRoot;

async function probeLocal(path: string, size: number): Promise<ProbeResult> {
  let fd: number | undefined;
  try {
    fd = openSync(join(realRoot, path), 'r');
    const file = fd;
    return await probeFile(path, size, (offset, length) => {
      const bytes = Buffer.allocUnsafe(length);
      return bytes.subarray(0, readSync(file, bytes, 0, length, offset));
    });
  } catch (error) {
    return {
      format: null,
      width: null,
      height: null,
      status: 'corrupt',
      reason: `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

serveWorker<LocalRequest, unknown>(parentPort!, async (request) =>
  request.type === 'stat'
    ? statNamesSync(realRoot, request.dir, request.names)
    : Promise.all(request.files.map(([path, size]) => probeLocal(path, size))),
);
