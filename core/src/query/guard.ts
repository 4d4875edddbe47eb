import { WinnowError } from '../errors.js';
import { type Database, sqlString } from '../store/db.js';
import { VIEWS } from '../store/views.js';

/** Table functions that only compute: everything else may read files, the network or settings. */
const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/** Scalar functions that would reveal the process's environment or settings. */
const REFUSED_FUNCTIONS = new Set(['getenv', 'current_setting', 'getvariable', 'set_variable']);

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

function walk(value: unknown, ctes: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, ctes);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Node;
  const scope = withCtes(node, ctes);
  checkNode(node, scope);
  for (const child of Object.values(node)) walk(child, scope);
}

function withCtes(node: Node, ctes: Set<string>): Set<string> {
  const map = (node.cte_map as { map?: { key: string }[] } | undefined)?.map;
  if (!map?.length) return ctes;
  return new Set([...ctes, ...map.map((entry) => entry.key.toLowerCase())]);
}

function checkNode(node: Node, ctes: Set<string>): void {
  if (node.type === 'BASE_TABLE') {
    const table = String(node.table_name).toLowerCase();
    const schema = String(node.schema_name ?? '').toLowerCase();
    const catalog = String(node.catalog_name ?? '');
    const isView = (schema === '' || schema === 'main') && catalog === '' && table in VIEWS;
    if (!isView && !(schema === '' && ctes.has(table))) {
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
