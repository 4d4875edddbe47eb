import { WinnowError } from '../errors.js';
import { type Database, sqlString } from '../store/db.js';
import { VIEWS } from '../store/views.js';
import { type FunctionNode, refusedCall } from './functions.js';

/** Table functions that only compute: everything else may read files, the network or settings. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/** A table name that DuckDB could read as a file, glob or URL (no view is named like this). */
const PATH_LIKE = /[./\\*?:[\]{}~]/;

const FIRST_WORD = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/;

/**
 * Checks user SQL against the read-only surface: one SELECT statement that reads the
 * documented views (and its own CTEs) with no file, network or settings access. DuckDB's
 * own parser does the parsing (json_serialize_sql), so there is no second SQL grammar here.
 */
export function checkReadOnly(db: Database, sql: string): Promise<void> {
  return check(db, sql, new Set());
}

/** checkReadOnly, inside the definitions of the macros in `expanding` (so that a cycle ends). */
async function check(db: Database, sql: string, expanding: ReadonlySet<string>): Promise<void> {
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
  const macros = new Set<string>();
  walk(parsed.statements, new Set(), macros);
  await checkMacros(db, macros, expanding);
}

/** A scalar macro's definitions by name, read once per database from duckdb_functions(). */
const macroDefinitions = new WeakMap<Database, Promise<Map<string, string[]>>>();
/** Why a macro is refused ('' when it is allowed), per database; a promise, so concurrent checks share it. */
const macroVerdicts = new WeakMap<Database, Map<string, Promise<string>>>();

/**
 * DuckDB expands a built-in macro in its binder, after this check has seen the call: get_block_size()
 * runs pragma_database_size(), pg_get_viewdef() reads duckdb_views(). So a macro's own
 * definition is walked like user SQL, and the call is refused when anything in it is.
 */
async function checkMacros(
  db: Database,
  called: ReadonlySet<string>,
  expanding: ReadonlySet<string>,
): Promise<void> {
  const definitions = await definitionsOf(db);
  const verdicts = macroVerdicts.get(db) ?? new Map<string, Promise<string>>();
  macroVerdicts.set(db, verdicts);
  for (const name of called) {
    const bodies = definitions.get(name);
    if (!bodies || expanding.has(name)) continue;
    let verdict = verdicts.get(name);
    if (!verdict) {
      verdict = macroVerdict(db, bodies, new Set([...expanding, name]));
      verdicts.set(name, verdict);
    }
    const reason = await verdict;
    if (reason)
      throw refused(`function ${name}() is not allowed: it expands to SQL that is refused (${reason})`);
  }
}

async function macroVerdict(db: Database, bodies: string[], expanding: ReadonlySet<string>): Promise<string> {
  for (const body of bodies) {
    try {
      await check(db, `SELECT ${body}`, expanding);
    } catch (error) {
      return error instanceof WinnowError ? error.message.replace(/^query refused: /, '') : String(error);
    }
  }
  return '';
}

function definitionsOf(db: Database): Promise<Map<string, string[]>> {
  let definitions = macroDefinitions.get(db);
  if (!definitions) {
    definitions = db
      .all<{ name: string; body: string }>(
        "SELECT function_name AS name, macro_definition AS body FROM duckdb_functions() WHERE function_type = 'macro'",
      )
      .then((rows) => {
        const byName = new Map<string, string[]>();
        for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row.body]);
        return byName;
      });
    macroDefinitions.set(db, definitions);
  }
  return definitions;
}

function refused(message: string): WinnowError {
  return new WinnowError('refused_sql', `query refused: ${message}`);
}

type Node = Record<string, unknown>;

function walk(value: unknown, scope: ReadonlySet<string>, macros: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, scope, macros);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Node;
  checkNode(node, scope, macros);
  const inner = walkCtes(node, scope, macros);
  for (const [key, child] of Object.entries(node)) {
    if (key === 'cte_map') continue;
    // A table function's call is checked as one (range() makes rows); its arguments as expressions.
    if (node.type === 'TABLE_FUNCTION' && key === 'function') walk((child as Node).children, inner, macros);
    else walk(child, inner, macros);
  }
}

/**
 * Walks a node's CTEs with the scope DuckDB binds them in: each sees the ones defined before
 * it, and itself only when recursive; the query body sees all. A name out of scope would
 * bind to a table or a file instead, so the guard must not treat it as the CTE.
 */
function walkCtes(node: Node, scope: ReadonlySet<string>, macros: Set<string>): ReadonlySet<string> {
  const entries = (
    node.cte_map as { map?: { key: string; value: { query?: { node?: Node } } }[] } | undefined
  )?.map;
  if (!entries?.length) return scope;
  const visible = new Set(scope);
  for (const entry of entries) {
    const name = entry.key.toLowerCase();
    const recursive = entry.value.query?.node?.type === 'RECURSIVE_CTE_NODE';
    walk(entry.value, recursive ? new Set([...visible, name]) : visible, macros);
    visible.add(name);
  }
  return visible;
}

function checkNode(node: Node, ctes: ReadonlySet<string>, macros: Set<string>): void {
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
  // SHOW TABLES, SHOW ALL TABLES, SHOW TABLES FROM winnow list the engine's tables; DESCRIBE and
  // SUMMARIZE of a view carry their query, which is walked like any other.
  if (node.type === 'SHOW_REF' && !node.query) {
    throw refused(
      'SHOW is not allowed: the views are listed in docs/query.md (DESCRIBE <view> shows its columns)',
    );
  }
  if (node.class === 'FUNCTION') {
    const reason = refusedCall(node as unknown as FunctionNode);
    if (reason) throw refused(`function ${node.function_name}() is not allowed: ${reason}`);
    macros.add(String(node.function_name).toLowerCase());
  }
}
