/**
 * Errors that cross the engine's boundary. Each carries a one-line message meant for
 * the user (it names the file, field or option at fault) and a stable code for callers.
 */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'invalid_input'
  | 'refused_sql'
  | 'query_timeout'
  | 'cancelled'
  | 'schema_too_new'
  | 'io'
  | 'permission_denied'
  | 'unauthenticated'
  | 'unavailable'
  | 'internal';

export class WinnowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WinnowError';
  }
}

/** A bad record in an input file: names the file and, where known, the field. */
export class InputError extends WinnowError {
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    /** What is wrong, without the file and field: an editor shows it at the field itself. */
    readonly detail: string,
  ) {
    super('invalid_input', `${file}${field ? `: ${field}` : ''}: ${detail}`);
    this.name = 'InputError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WinnowError('cancelled', 'cancelled');
}

/** Long operations report through this; `total` is absent while it is still unknown. */
export interface Progress {
  phase: string;
  done: number;
  total?: number;
}

export interface LongTaskOptions {
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
}

/** The first line of an error's message: what a one-line user-facing message quotes. */
export function firstLineOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
