import { WinnowError } from '../errors.js';
import { type Database, sqlString } from '../store/db.js';
import { VIEWS } from '../store/views.js';

/** Table functions that only compute: everything else may read files, the network or settings. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/** Scalar functions that reveal the process's environment or settings, or change state (sequences, the seed). */
const REFUSED_FUNCTIONS = new Set([
  'getenv',
  'current_setting',
  'getvariable',
  'set_variable',
  'nextval',
  'currval',
  'setseed',
]);

/** A table name that DuckDB could read as a file, glob or URL (no view is named like this). */
const PATH_LIKE = /[./\\*?:[\]{}~]/;

const FIRST_WORD = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/;

/**
 * Checks user SQL against the read-only surface: one SELECT statement that reads the
 * documented views (and its own CTEs) with no file, network or settings access. DuckDB's
 * own parser does the parsing (json_serialize_sql), so there is no second SQL grammar here.
 */
export async function checkReadOnly(db: Database, sql: string): Promise<void> {
  const statements = await db.countStatements(sql).catch(() => 1);
  if (statements > 1) throw refused('run one statement at a time');
  const parsed = JSON.parse(await db.value<string>(`SELECT json_serialize_sql(${sqlString(sql)})`)) as {
    error: boolean;
    error_message?: string;
    error_type?: string;
    statements?: unknown[];
  };
  if (parsed.error) {
    if (parsed.error_type === 'not implemented') {
      const word = FIRST_WORD.exec(sql)?.[1]?.toUpperCase() ?? 'this statement';
      throw refused(`${word} is not allowed: queries are read-only (one SELECT statement)`);
    }
    throw new WinnowError('invalid_argument', `SQL syntax error: ${parsed.error_message}`);
  }
  walk(parsed.statements, new Set());
}

function refused(message: string): WinnowError {
  return new WinnowError('refused_sql', `query refused: ${message}`);
}

type Node = Record<string, unknown>;

function walk(value: unknown, scope: ReadonlySet<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Node;
  checkNode(node, scope);
  const inner = walkCtes(node, scope);
  for (const [key, child] of Object.entries(node)) if (key !== 'cte_map') walk(child, inner);
}

/**
 * Walks a node's CTEs with the scope DuckDB binds them in: each sees the ones defined before
 * it, and itself only when recursive; the query body sees all. A name out of scope would
 * bind to a table or a file instead, so the guard must not treat it as the CTE.
 */
function walkCtes(node: Node, scope: ReadonlySet<string>): ReadonlySet<string> {
  const entries = (
    node.cte_map as { map?: { key: string; value: { query?: { node?: Node } } }[] } | undefined
  )?.map;
  if (!entries?.length) return scope;
  const visible = new Set(scope);
  for (const entry of entries) {
    const name = entry.key.toLowerCase();
    const recursive = entry.value.query?.node?.type === 'RECURSIVE_CTE_NODE';
    walk(entry.value, recursive ? new Set([...visible, name]) : visible);
    visible.add(name);
  }
  return visible;
}

function checkNode(node: Node, ctes: ReadonlySet<string>): void {
  if (node.type === 'BASE_TABLE') {
    const table = String(node.table_name).toLowerCase();
    const schema = String(node.schema_name ?? '').toLowerCase();
    const catalog = String(node.catalog_name ?? '');
    const isView = (schema === '' || schema === 'main') && catalog === '' && Object.hasOwn(VIEWS, table);
    const isCte = schema === '' && catalog === '' && ctes.has(table) && !PATH_LIKE.test(table);
    if (!isView && !isCte) {
      throw refused(
        `'${[catalog, schema, node.table_name].filter(Boolean).join('.')}' is not a Winnow view (views: ${Object.keys(VIEWS).join(', ')})`,
      );
    }
  }
  if (node.type === 'TABLE_FUNCTION') {
    const name = String((node.function as Node).function_name).toLowerCase();
    if (!ALLOWED_TABLE_FUNCTIONS.has(name))
      throw refused(`table function ${name}() is not allowed (no file, network or settings access)`);
  }
  if (node.class === 'FUNCTION' && REFUSED_FUNCTIONS.has(String(node.function_name).toLowerCase())) {
    throw refused(`function ${node.function_name}() is not allowed`);
  }
}
