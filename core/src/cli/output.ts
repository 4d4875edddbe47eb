import { SingleBar } from 'cli-progress';
import type { Progress } from '../errors.js';

/** How a command talks: one JSON document on stdout with --json, else lines for people. */
export class Output {
  constructor(readonly json: boolean) {}

  /** Prints the command's result: `data` as JSON, or `human(data)` as text. */
  result<T>(data: T, human: (data: T) => string): void {
    const text = this.json ? JSON.stringify(data, null, 2) : human(data);
    if (text) process.stdout.write(`${text}\n`);
  }

  warn(message: string): void {
    process.stderr.write(`winnow: ${message}\n`);
  }

  /** Runs `work` with a progress bar fed by its `onProgress`, stopped however the work ends. */
  async withProgress<T>(work: (onProgress: (progress: Progress) => void) => Promise<T>): Promise<T> {
    const bar = this.progress();
    try {
      return await work(bar.update);
    } finally {
      bar.stop();
    }
  }

  /** A progress bar on stderr when it is a terminal; silent otherwise. */
  progress(): { update: (progress: Progress) => void; stop: () => void } {
    if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
    let bar: SingleBar | undefined;
    let phase = '';
    return {
      update: (progress) => {
        if (progress.phase !== phase) {
          bar?.stop();
          phase = progress.phase;
          bar = new SingleBar({
            stream: process.stderr,
            format:
              progress.total === undefined
                ? `${phase} {value} files`
                : `${phase} [{bar}] {percentage}% {value}/{total} eta {eta_formatted}`,
            hideCursor: true,
          });
          bar.start(progress.total ?? 0, progress.done);
        }
        if (progress.total !== undefined) bar!.setTotal(progress.total);
        bar!.update(progress.done);
      },
      stop: () => bar?.stop(),
    };
  }
}

/** Rows as an aligned text table. */
export function table(rows: readonly object[], columns = Object.keys(rows[0] ?? {})): string {
  if (rows.length === 0) return '(no rows)';
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  const cells = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
