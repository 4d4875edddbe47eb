import { formatByName } from '../../../core/src/ingest/formats.js';

/** Longer than any filename a lookup takes (the server refuses more). */
const MAX_LENGTH = 4096;
/** A quoted string: Python's and JavaScript's quotes, YAML's and JSON's. */
const QUOTED = /(["'`])((?:\\.|(?!\1).)*)\1/g;
/** A path-like run: what a YAML list item, a shell line or a comment holds unquoted. */
const TOKEN = /[^\s"'`,;()[\]{}<>|*?]+/g;

/** A span of a line that may name a sample. */
export interface PathCandidate {
  text: string;
  start: number;
  end: number;
}

/**
 * The string at `character` in `line` that may name a sample: the quoted string around it, or
 * else the path-like run of characters under it; only one with an image or video extension
 * Winnow indexes, so most strings cost nothing.
 */
export function pathAt(line: string, character: number): PathCandidate | undefined {
  const candidate = spanAt(line, character, QUOTED, 2) ?? spanAt(line, character, TOKEN, 0);
  if (!candidate || candidate.text.length > MAX_LENGTH || formatByName(candidate.text) === undefined) {
    return undefined;
  }
  return candidate;
}

function spanAt(line: string, character: number, pattern: RegExp, group: number): PathCandidate | undefined {
  for (const match of line.matchAll(pattern)) {
    const end = match.index + match[0].length;
    if (match.index <= character && character < end) {
      const text = match[group]!;
      const start = match.index + match[0].indexOf(text);
      return { text, start, end: start + text.length };
    }
  }
  return undefined;
}
