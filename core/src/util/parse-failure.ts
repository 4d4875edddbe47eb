import { firstLineOf } from '../errors.js';

/**
 * Why a file could not be read as the format it was given as, without its text. Parsers quote
 * what they choke on (JSON.parse quotes the whole input, DuckDB the offending line and value),
 * and a file given by mistake, or on purpose (/etc/hostname as YOLO classes), must not have its
 * content echoed in a message or a run record: these keep only where it failed.
 */

/** JSON.parse's failure: the line when Node says where (Node 22 does, Node 20 does not). */
export function jsonFailure(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : '';
  const line = /\(line (\d+)/.exec(message)?.[1] ?? lineAt(text, /position (\d+)/.exec(message)?.[1]);
  return `not valid JSON${line ? ` (line ${line})` : ''}`;
}

/** The yaml package's failure: its line. */
export function yamlFailure(error: unknown): string {
  const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
  return `not valid YAML${line ? ` (line ${line})` : ''}`;
}

/**
 * A DuckDB reader's failure (read_csv, read_json, read_parquet): its line and the column it names
 * (`CSV Error on Line: 4`, `in line 2`, `converting column "x"`), never the line or value it quotes.
 */
export function readerFailure(error: unknown, format: string): string {
  const message = error instanceof Error ? error.message : String(error);
  // Only the first line's: DuckDB appends the query, whose `LINE 1:` is no line of the file.
  const line = /\bline:? (\d+)/i.exec(firstLineOf(error))?.[1];
  const column = /converting column "([^"\n]{1,128})"/.exec(message)?.[1];
  const where = [line && `line ${line}`, column && `column '${column}'`].filter(Boolean).join(', ');
  return `not a valid ${format} file${where ? ` (${where})` : ''}`;
}

function lineAt(text: string, position: string | undefined): number | undefined {
  if (position === undefined) return undefined;
  return text.slice(0, Number(position)).split('\n').length;
}
