import { randomUUID } from 'node:crypto';
import { type ErrorCode, firstLineOf, WinnowError } from '../errors.js';
import type { ReadableStorage, WritableStorage } from './types.js';
import { WORK_DIR } from './work.js';

export type Permission = 'list' | 'read' | 'write' | 'overwrite' | 'delete';

/**
 * What Winnow may do in a dataset's locations, found by doing it: list the input and read one
 * object's first byte; write, overwrite and delete a probe object under the work location's
 * `.winnow/`. `canRead` is null when the input holds nothing to read. Each failed check has its
 * one-line reason under `errors`.
 */
export interface PermissionReport {
  input: string;
  work: string;
  canList: boolean;
  canRead: boolean | null;
  canWrite: boolean;
  canOverwrite: boolean;
  canDelete: boolean;
  errors: Partial<Record<Permission, string>>;
}

/** Why each failed check failed, as the error the store gave: kept out of the report's JSON. */
type Failures = Partial<Record<Permission, ErrorCode>>;

type Check = { ok: true } | { ok: false; error: string; code: ErrorCode };

async function check(action: () => Promise<unknown>): Promise<Check> {
  try {
    await action();
    return { ok: true };
  } catch (error) {
    if (error instanceof WinnowError && error.code === 'cancelled') throw error;
    return {
      ok: false,
      error: firstLineOf(error),
      code: error instanceof WinnowError ? error.code : 'internal',
    };
  }
}

/** Checks listing and reading of an input location. */
export async function verifyInput(
  storage: ReadableStorage,
): Promise<Pick<PermissionReport, 'canList' | 'canRead' | 'errors'> & { failures: Failures }> {
  const errors: PermissionReport['errors'] = {};
  const failures: Failures = {};
  let first: string | undefined;
  const listed = await check(async () => {
    for await (const page of storage.list({ pageSize: 100 })) {
      first = page.find((entry) => !entry.path.startsWith(`${WORK_DIR}/`))?.path;
      if (first !== undefined) return;
    }
  });
  if (!listed.ok) [errors.list, failures.list] = [listed.error, listed.code];
  if (first === undefined) {
    if (listed.ok) errors.read = `nothing under ${storage.uri} to read`;
    return { canList: listed.ok, canRead: listed.ok ? null : false, errors, failures };
  }
  const path = first;
  const read = await check(() => storage.read(path, { offset: 0, length: 1 }));
  if (!read.ok) [errors.read, failures.read] = [read.error, read.code];
  return { canList: listed.ok, canRead: read.ok, errors, failures };
}

/** Checks writing, overwriting and deleting a probe object under the work location's `.winnow/`. */
export async function verifyWork(
  storage: WritableStorage,
): Promise<
  Pick<PermissionReport, 'canWrite' | 'canOverwrite' | 'canDelete' | 'errors'> & { failures: Failures }
> {
  const errors: PermissionReport['errors'] = {};
  const failures: Failures = {};
  const probe = `${WORK_DIR}/.permission-probe-${randomUUID()}`;
  const text = (n: number) => new TextEncoder().encode(`winnow permission probe ${n}\n`);
  const written = await check(() => storage.write(probe, text(1), 'text/plain'));
  if (!written.ok) {
    errors.write = written.error;
    const skipped = 'not checked: the probe object could not be written';
    return {
      canWrite: false,
      canOverwrite: false,
      canDelete: false,
      errors: { ...errors, overwrite: skipped, delete: skipped },
      failures: { write: written.code },
    };
  }
  const overwritten = await check(() => storage.write(probe, text(2), 'text/plain'));
  if (!overwritten.ok) [errors.overwrite, failures.overwrite] = [overwritten.error, overwritten.code];
  const deleted = await check(() => storage.delete(probe));
  if (!deleted.ok) [errors.delete, failures.delete] = [deleted.error, deleted.code];
  return { canWrite: true, canOverwrite: overwritten.ok, canDelete: deleted.ok, errors, failures };
}

export async function verifyDataset(
  input: ReadableStorage,
  work: WritableStorage,
): Promise<PermissionReport> {
  const [
    { errors: readErrors, failures: _r, ...reading },
    { errors: writeErrors, failures: _w, ...writing },
  ] = await Promise.all([verifyInput(input), verifyWork(work)]);
  return {
    input: input.uri,
    work: work.uri,
    ...reading,
    ...writing,
    errors: { ...readErrors, ...writeErrors },
  };
}

const FLAG: Record<Permission, keyof PermissionReport> = {
  list: 'canList',
  read: 'canRead',
  write: 'canWrite',
  overwrite: 'canOverwrite',
  delete: 'canDelete',
};

/**
 * Refuses to start `task` when one of `needed` is missing: a one-line error. A denial says which
 * permission is missing where, with the store's reason; any other failure (the store cannot be
 * reached, the key does not match, the bucket does not exist) is named as itself. A read that
 * found nothing to read passes.
 */
export function requirePermissions(
  task: string,
  report: Pick<PermissionReport, 'errors'> & Partial<PermissionReport> & { failures: Failures },
  needed: readonly Permission[],
  where: string,
): void {
  const missing = needed.find((permission) => report[FLAG[permission]] === false);
  if (!missing) return;
  const error = report.errors[missing] ?? 'denied';
  const code = report.failures[missing] ?? 'permission_denied';
  if (code !== 'permission_denied') throw new WinnowError(code, `${task} cannot start: ${error}`);
  throw new WinnowError(code, `${task} cannot start: no ${missing} permission in ${where} (${error})`);
}
