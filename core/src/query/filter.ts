import { WinnowError } from '../errors.js';
import type { SqlParam } from '../store/db.js';

/**
 * A structured filter, as the UI builds it: conditions on a sample's fields, its metadata,
 * its tags, predictions and annotations, combined with and / or / not. It compiles to a
 * parameterized SQL condition over the `samples` view aliased `s`: values never enter the
 * SQL text, and field names are checked against a fixed list.
 */
export type Filter = { and: Filter[] } | { or: Filter[] } | { not: Filter } | Condition;

export interface Condition {
  /** A sample column (filename, kind, width…), `metadata.<key>`, `tag`, `prediction.<category|score>` or `annotation.category`. */
  field: string;
  op: Operator;
  value?: unknown;
  /** For prediction and annotation fields: the task (all tasks when absent). */
  task?: string;
}

export type Operator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'not_in'
  | 'between'
  | 'contains'
  | 'starts_with'
  | 'is_null'
  | 'is_not_null';

export const SAMPLE_FIELDS = [
  'sample_id',
  'filename',
  'kind',
  'format',
  'size',
  'mtime',
  'width',
  'height',
  'duration',
  'fps',
  'parent_id',
  'status',
  'reason',
  'added_at',
] as const;

export interface CompiledFilter {
  sql: string;
  params: SqlParam[];
}

export function compileFilter(filter: Filter): CompiledFilter {
  const params: SqlParam[] = [];
  const sql = compile(filter, params, 'filter');
  return { sql, params };
}

function compile(filter: Filter, params: SqlParam[], path: string): string {
  if ('and' in filter) return combine(filter.and, 'AND', params, `${path}.and`);
  if ('or' in filter) return combine(filter.or, 'OR', params, `${path}.or`);
  if ('not' in filter) return `NOT (${compile(filter.not, params, `${path}.not`)})`;
  return condition(filter, params, path);
}

function combine(parts: Filter[], joiner: string, params: SqlParam[], path: string): string {
  if (!Array.isArray(parts) || parts.length === 0) throw bad(path, 'needs a non-empty list');
  return `(${parts.map((part, i) => compile(part, params, `${path}[${i}]`)).join(` ${joiner} `)})`;
}

function condition(c: Condition, params: SqlParam[], path: string): string {
  if (typeof c?.field !== 'string') throw bad(path, 'needs a field, or and / or / not');
  const [head, ...rest] = c.field.split('.');
  const key = rest.join('.');
  if ((SAMPLE_FIELDS as readonly string[]).includes(c.field)) return compare(`s.${c.field}`, c, params, path);
  if (head === 'metadata' && key) return metadataCondition(key, c, params, path);
  if (c.field === 'tag') {
    return membership(
      `SELECT m.sample_id FROM winnow.tag_members m JOIN winnow.tags t USING (tag_id)
       WHERE t.deleted_at IS NULL AND t.dataset_id = s.dataset_id AND m.sample_id = s.sample_id AND ${compare('t.name', positive(c), params, path)}`,
      c,
    );
  }
  if (
    (head === 'prediction' || head === 'annotation') &&
    (key === 'category' || (head === 'prediction' && key === 'score'))
  ) {
    return labelCondition(head, key, c, params, path);
  }
  throw bad(
    `${path}.field`,
    `unknown field '${c.field}' (use ${SAMPLE_FIELDS.join(', ')}, metadata.<key>, tag, prediction.category, prediction.score or annotation.category)`,
  );
}

/** `!=` and `not_in` on a set-valued field mean: no member matches. */
function membership(subquery: string, c: Condition, negatable = true): string {
  const negated = negatable && (c.op === '!=' || c.op === 'not_in');
  return `${negated ? 'NOT ' : ''}EXISTS (${subquery})`;
}

function positive(c: Condition): Condition {
  if (c.op === '!=') return { ...c, op: '=' };
  if (c.op === 'not_in') return { ...c, op: 'in' };
  return c;
}

function metadataCondition(key: string, c: Condition, params: SqlParam[], path: string): string {
  const sample = typeof (Array.isArray(c.value) ? c.value[0] : c.value);
  const column = sample === 'number' ? 'value_num' : sample === 'boolean' ? 'value_bool' : 'value_str';
  params.push(key);
  if (c.op === 'is_null')
    return `NOT EXISTS (SELECT 1 FROM winnow.metadata md WHERE md.sample_id = s.sample_id AND md.key = ?)`;
  const test = c.op === 'is_not_null' ? 'TRUE' : compare(`md.${column}`, positive(c), params, path);
  return membership(
    `SELECT 1 FROM winnow.metadata md WHERE md.sample_id = s.sample_id AND md.key = ? AND ${test}`,
    c,
  );
}

function labelCondition(
  table: 'prediction' | 'annotation',
  key: string,
  c: Condition,
  params: SqlParam[],
  path: string,
): string {
  const source = table === 'prediction' ? 'winnow.predictions' : 'winnow.annotations';
  const column = key === 'score' ? 'l.score' : 'c.name';
  const task = c.task === undefined ? '' : ` AND t.name = ?`;
  if (c.task !== undefined) params.push(c.task);
  return membership(
    `SELECT 1 FROM ${source} l JOIN winnow.tasks t USING (task_id)
     LEFT JOIN winnow.categories c ON c.task_id = l.task_id AND c.category_id = l.category_id
     WHERE l.sample_id = s.sample_id${task} AND ${compare(column, positive(c), params, path)}`,
    c,
  );
}

function compare(column: string, c: Condition, params: SqlParam[], path: string): string {
  const scalar = (value: unknown): SqlParam => {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value as SqlParam;
    throw bad(`${path}.value`, `expected a string, number or boolean, got ${JSON.stringify(value)}`);
  };
  const list = (): unknown[] => {
    if (!Array.isArray(c.value) || c.value.length === 0)
      throw bad(`${path}.value`, `'${c.op}' needs a non-empty list`);
    return c.value;
  };
  switch (c.op) {
    case '=':
    case '!=':
    case '<':
    case '<=':
    case '>':
    case '>=':
      params.push(scalar(c.value));
      return `${column} ${c.op} ?`;
    case 'in':
    case 'not_in': {
      const values = list().map(scalar);
      params.push(...values);
      return `${column} ${c.op === 'in' ? 'IN' : 'NOT IN'} (${values.map(() => '?').join(', ')})`;
    }
    case 'between': {
      const values = list();
      if (values.length !== 2) throw bad(`${path}.value`, `'between' needs [low, high]`);
      params.push(scalar(values[0]), scalar(values[1]));
      return `${column} BETWEEN ? AND ?`;
    }
    case 'contains':
      params.push(String(scalar(c.value)));
      return `contains(${column}, ?)`;
    case 'starts_with':
      params.push(String(scalar(c.value)));
      return `starts_with(${column}, ?)`;
    case 'is_null':
      return `${column} IS NULL`;
    case 'is_not_null':
      return `${column} IS NOT NULL`;
    default:
      throw bad(`${path}.op`, `unknown operator '${String(c.op)}'`);
  }
}

function bad(path: string, detail: string): WinnowError {
  return new WinnowError('invalid_argument', `${path}: ${detail}`);
}
