import { type Document, isMap, isPair, isScalar, isSeq, type Node, type Pair } from 'yaml';

/** A span of a document's text, as offsets: what an editor marks. */
export interface TextRange {
  start: number;
  end: number;
}

/**
 * Where a field path (`['strategies', 0, 'strategy', 'type']`) lies in a parsed YAML or JSON
 * document: a field on one line is marked whole (`type: DIVERSTY`, `strategies: []`), whether its
 * key is unknown or its value wrong; a field whose value spans lines, on its key; a list item, on
 * its first line. A path that goes on past what the file has (a missing field) marks the deepest
 * field it reaches, or the document's first line when it reaches none.
 */
export function fieldRange(doc: Document, path: readonly (string | number)[], text: string): TextRange {
  let node: unknown = doc.contents;
  let holder: Pair | Node | undefined;
  for (const part of path) {
    const next = isMap(node) ? pairOf(node.items, part) : isSeq(node) ? itemOf(node.items, part) : undefined;
    if (next === undefined) break;
    holder = next;
    node = isPair(next) ? next.value : next;
  }
  if (isPair(holder)) {
    const key = holder.key as Node;
    const [start, keyEnd] = key.range!;
    const valueEnd = (holder.value as Node | null)?.range?.[1] ?? keyEnd;
    const oneLine = valueEnd >= keyEnd && !text.slice(start, valueEnd).includes('\n');
    return { start, end: oneLine ? valueEnd : keyEnd };
  }
  const target = (holder ?? doc.contents) as Node | null;
  if (!target?.range) return firstLine(text, 0);
  return isScalar(target)
    ? { start: target.range[0], end: target.range[1] }
    : firstLine(text, target.range[0]);
}

function pairOf(items: unknown[], key: string | number): Pair | undefined {
  return items.find(
    (item): item is Pair => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key),
  );
}

function itemOf(items: unknown[], index: string | number): Node | undefined {
  return typeof index === 'number' ? (items[index] as Node | undefined) : undefined;
}

/** From `start` to the end of its line (at least one character, so an editor shows it). */
function firstLine(text: string, start: number): TextRange {
  const newline = text.indexOf('\n', start);
  const end = newline < 0 ? text.length : newline;
  return { start, end: Math.max(end, Math.min(start + 1, text.length)) };
}
