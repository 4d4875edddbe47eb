import { WinnowError } from '../errors.js';
import type { FilterChip } from '../server/view-answers.js';

/**
 * The query bar's quick filters (chips) as SQL conditions over the `samples` view
 * (docs/query.md): the form the server's `where` takes and the text the query bar then shows.
 * Core writes this SQL, not the browser views, so the views' names stay core's to change. Labels
 * and tags are sets per sample, so their chips ask whether any member matches
 * (`sample_id IN (…)`); `!=` means that none does, as the structured filters do.
 */

const NUMERIC_FIELDS = ['width', 'height', 'size'];
const TEXT_FIELDS = ['kind', 'format', 'status'];
/** Set-valued fields: the view and column holding each sample's members. */
const MEMBER_FIELDS: Record<string, { view: string; column: string }> = {
  'prediction.category': { view: 'predictions', column: 'category' },
  'annotation.category': { view: 'annotations', column: 'category' },
  tag: { view: 'tag_members', column: 'tag' },
};
const CHIP_FIELDS = [...TEXT_FIELDS, ...NUMERIC_FIELDS, ...Object.keys(MEMBER_FIELDS)];

/** The AND of the chips and the free SQL text, each in parentheses; '' when there is nothing. */
export function combineConditions(chips: unknown, sql: unknown): string {
  if (!Array.isArray(chips)) throw bad('chips', 'expected a list of {field, op, value}');
  if (typeof sql !== 'string') throw bad('sql', 'expected a string');
  const parts = [...chips.map((chip, i) => conditionOf(chip, `chips[${i}]`)), sql.trim()].filter(Boolean);
  return parts.length === 1 ? parts[0]! : parts.map((part) => `(${part})`).join(' AND ');
}

/** A string literal: single quotes doubled. */
function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlNumber(value: unknown, path: string): string {
  const number = Number(value);
  if (typeof value === 'boolean' || value === '' || value === null || !Number.isFinite(number)) {
    throw bad(`${path}.value`, `'${String(value)}' is not a number`);
  }
  return String(number);
}

/** The SQL condition of a chip; refuses a field, operator or value it cannot express, naming it. */
function conditionOf(chip: FilterChip, path: string): string {
  const { field, op, value } = chip ?? {};
  const members = MEMBER_FIELDS[field];
  if (members) return memberCondition(members, op, value, path);
  if (!CHIP_FIELDS.includes(field)) {
    throw bad(`${path}.field`, `unknown field '${field}' (use ${CHIP_FIELDS.join(', ')})`);
  }
  if (op === 'range') {
    if (!Array.isArray(value) || value.length !== 2) throw bad(`${path}.value`, 'a range is [lo, hi]');
    return `${field} >= ${sqlNumber(value[0], path)} AND ${field} < ${sqlNumber(value[1], path)}`;
  }
  if (!['=', '!=', '<', '<=', '>', '>='].includes(op)) throw bad(`${path}.op`, `unknown operator '${op}'`);
  if (value === null) return nullCondition(field, op, path);
  const literal = NUMERIC_FIELDS.includes(field) ? sqlNumber(value, path) : sqlString(String(value));
  return `${field} ${op} ${literal}`;
}

function nullCondition(field: string, op: string, path: string): string {
  if (op === '=') return `${field} IS NULL`;
  if (op === '!=') return `${field} IS NOT NULL`;
  throw bad(`${path}.op`, `${field} ${op}: a missing value only compares with = or !=`);
}

function memberCondition(
  members: { view: string; column: string },
  op: string,
  value: unknown,
  path: string,
): string {
  if (op !== '=' && op !== '!=') {
    throw bad(`${path}.op`, `${members.column}: only = and != apply to a set of labels`);
  }
  const match = `SELECT sample_id FROM ${members.view} WHERE ${members.column} = ${sqlString(String(value))}`;
  return `sample_id ${op === '=' ? 'IN' : 'NOT IN'} (${match})`;
}

function bad(path: string, message: string): WinnowError {
  return new WinnowError('invalid_argument', `${path}: ${message}`);
}
