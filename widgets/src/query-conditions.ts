/**
 * The query bar's filters as SQL conditions over the `samples` view (docs/query.md), the form the
 * server's `where` takes. Labels and tags are sets per sample, so their filters ask whether any
 * member matches (`sample_id IN (…)`); `!=` means that none does, as the structured filters do.
 */

export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'range';

/** One quick filter; `range` takes `[lo, hi]` and means `lo <= field < hi`. */
export interface FilterChip {
  field: string;
  op: FilterOp;
  value: string | number | null | [number, number];
}

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
/** Set-valued fields: the view and column holding each sample's members. */
const MEMBER_FIELDS: Record<string, { view: string; column: string }> = {
  'prediction.category': { view: 'predictions', column: 'category' },
  'annotation.category': { view: 'annotations', column: 'category' },
  tag: { view: 'tag_members', column: 'tag' },
};
export const FILTER_FIELDS = [...TEXT_FIELDS, ...NUMERIC_FIELDS, ...Object.keys(MEMBER_FIELDS)];

/** The operators a field offers in the add-filter row. */
export function opsFor(field: string): FilterOp[] {
  return isNumeric(field) ? ['=', '!=', '<', '<=', '>', '>='] : ['=', '!='];
}

export function isNumeric(field: string): boolean {
  return (NUMERIC_FIELDS as readonly string[]).includes(field);
}

/** A string literal: single quotes doubled. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlNumber(value: unknown): string {
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || value === null || !Number.isFinite(number)) {
    throw new Error(`'${String(value)}' is not a number`);
  }
  return String(number);
}

/** The SQL condition of a chip; throws on a field or value it cannot express. */
export function conditionOf(chip: FilterChip): string {
  const { field, op, value } = chip;
  const members = MEMBER_FIELDS[field];
  if (members) return memberCondition(members, op, value);
  if (!FILTER_FIELDS.includes(field)) throw new Error(`unknown field '${field}'`);
  if (op === 'range') {
    const [lo, hi] = value as [number, number];
    return `${field} >= ${sqlNumber(lo)} AND ${field} < ${sqlNumber(hi)}`;
  }
  if (value === null) return nullCondition(field, op);
  const literal = isNumeric(field) ? sqlNumber(value) : sqlString(String(value));
  return `${field} ${op} ${literal}`;
}

function nullCondition(field: string, op: FilterOp): string {
  if (op === '=') return `${field} IS NULL`;
  if (op === '!=') return `${field} IS NOT NULL`;
  throw new Error(`${field} ${op}: a missing value only compares with = or !=`);
}

function memberCondition(members: { view: string; column: string }, op: FilterOp, value: unknown): string {
  if (op !== '=' && op !== '!=') throw new Error(`${members.column}: only = and != apply to a set of labels`);
  const match = `SELECT sample_id FROM ${members.view} WHERE ${members.column} = ${sqlString(String(value))}`;
  return `sample_id ${op === '=' ? 'IN' : 'NOT IN'} (${match})`;
}

/** The AND of the chips and the free SQL text, each in parentheses; '' when there is nothing. */
export function combineConditions(chips: readonly FilterChip[], sql: string): string {
  const parts = [...chips.map(conditionOf), sql.trim()].filter(Boolean);
  return parts.length === 1 ? parts[0]! : parts.map((part) => `(${part})`).join(' AND ');
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
