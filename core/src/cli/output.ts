import { SingleBar } from 'cli-progress';
import type { Progress } from '../errors.js';

/** How a command talks: one JSON document on stdout with --json, else lines for people. */
export class Output {
  constructor(readonly json: boolean) {}

  /** Prints the command's result: `data` as JSON, or `human(data)` as text, its lines made printable. */
  result<T>(data: T, human: (data: T) => string): void {
    const text = this.json ? JSON.stringify(data, null, 2) : printableLines(human(data));
    if (text) process.stdout.write(`${text}\n`);
  }

  warn(message: string): void {
    process.stderr.write(`winnow: ${printable(message)}\n`);
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

/**
 * Characters a terminal acts on instead of showing: C0 controls (ESC starts the sequences that
 * move the cursor, recolour, retitle the window or write the clipboard), DEL, C1 controls (0x9b
 * is a one-byte CSI) and the bidirectional overrides that make text read other than it is
 * stored. A file name may hold any of them.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` safe to show on a terminal: each character in UNPRINTABLE written as an escape
 * (`\n`, `\x1b`, `\u202e`), so that a hostile file name shows what it holds and does nothing.
 * Human output only: --json and files keep names as they are.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return (
      NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`)
    );
  });
}

/** `printable` for text of several lines: the line breaks between them stay. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/** Rows as an aligned text table; every cell printable (a line break in one shows as `\n`). */
export function table(rows: readonly object[], columns = Object.keys(rows[0] ?? {})): string {
  if (rows.length === 0) return '(no rows)';
  const cell = (value: unknown) =>
    value === null || value === undefined
      ? ''
      : printable(typeof value === 'object' ? JSON.stringify(value) : String(value));
  const cells = rows.map((row) => columns.map((column) => cell((row as Record<string, unknown>)[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
