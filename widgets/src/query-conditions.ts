import type { FilterChip } from './api.js';

/**
 * The query bar's quick filters (chips): the fields and operators it offers and how a chip reads.
 * The server writes a chip's SQL condition (POST …/conditions, core/src/query/chips.ts), so no
 * view names core's tables; `!=` on a set of labels or tags means that no member matches.
 */

export type { FilterChip };
export type FilterOp = FilterChip['op'];

/**
 * The event a panel dispatches on the ViewState to add a chip to the query bar (the facets do on
 * a click): `state.dispatchEvent(new CustomEvent(FILTER_EVENT, {detail: chip}))`. The chips live
 * in the query bar; the state holds only the condition they make.
 */
export const FILTER_EVENT = 'winnow-filter';

export function requestFilter(target: EventTarget, chip: FilterChip): void {
  target.dispatchEvent(new CustomEvent<FilterChip>(FILTER_EVENT, { detail: chip }));
}

const NUMERIC_FIELDS = ['width', 'height', 'size'] as const;
const TEXT_FIELDS = ['kind', 'format', 'status'] as const;
/** Set-valued fields: a sample has any number of labels and tags. */
const MEMBER_FIELDS = ['prediction.category', 'annotation.category', 'tag'] as const;
export const FILTER_FIELDS: string[] = [...TEXT_FIELDS, ...NUMERIC_FIELDS, ...MEMBER_FIELDS];

/** The operators a field offers in the add-filter row. */
export function opsFor(field: string): FilterOp[] {
  return isNumeric(field) ? ['=', '!=', '<', '<=', '>', '>='] : ['=', '!='];
}

export function isNumeric(field: string): boolean {
  return (NUMERIC_FIELDS as readonly string[]).includes(field);
}

/** How a chip reads to the user. */
export function chipText(chip: FilterChip): string {
  if (chip.op === 'range') {
    const [lo, hi] = chip.value as [number, number];
    return `${chip.field} ∈ [${formatNumber(lo)}, ${formatNumber(hi)})`;
  }
  const value =
    chip.value === null ? 'none' : typeof chip.value === 'number' ? formatNumber(chip.value) : chip.value;
  return `${chip.field} ${chip.op} ${value}`;
}

export function sameChip(a: FilterChip, b: FilterChip): boolean {
  return a.field === b.field && a.op === b.op && JSON.stringify(a.value) === JSON.stringify(b.value);
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

/** A chip from the add-filter row's text; numbers are checked here, so a typo shows before any query. */
export function chipFromInput(field: string, op: FilterOp, text: string): FilterChip {
  const trimmed = text.trim();
  if (!trimmed) throw new Error(`${field}: give a value`);
  if (!isNumeric(field)) return { field, op, value: trimmed };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) throw new Error(`${field}: '${trimmed}' is not a number`);
  return { field, op, value };
}
