/**
 * Which scalar functions user SQL may call. DuckDB checks a query's interrupt only between
 * vectors of up to 2,048 rows, and the string heaps of intermediate vectors are not counted by
 * its memory limit: a function whose output size or running time is not bounded by its inputs
 * can run one vector for minutes, or into gigabytes, past any time or memory limit. Functions
 * linear in their inputs (concat, upper, string_split, regexp_extract, hamming, jaccard…) stay
 * allowed; so do the amplifying ones whose size argument is a small constant (lpad(x, 5, '0')).
 */

/** The largest constant a size argument may have (a width, a count, a replacement's length). */
export const MAX_CONSTANT_SIZE = 1000;

/** A function call as json_serialize_sql shows it. */
export interface FunctionNode {
  function_name: string;
  children?: Argument[];
}

type Argument = { class?: string; value?: { value?: unknown; is_null?: boolean } };

const REFUSED: Record<string, string> = {};

function refuse(reason: string, ...names: string[]): void {
  for (const name of names) REFUSED[name] = reason;
}

refuse('it reads the process environment or settings', 'getenv', 'current_setting', 'getvariable');
refuse(
  'it shows the database and its schemas, which are not part of the views',
  'current_database',
  'current_catalog',
  'current_schema',
  'current_schemas',
  'in_search_path',
  'current_query',
);
refuse(
  'it changes state (a sequence, the seed, a variable or the log)',
  'nextval',
  'currval',
  'setseed',
  'set_variable',
  'write_log',
);
refuse('it binds SQL text of its own, past this check', 'json_serialize_plan');
refuse('it sleeps inside one call, past the time limit', 'sleep_ms');
refuse('it makes a list of any size inside one row', 'list_resize', 'array_resize', 'equi_width_bins');
// The table functions range() and generate_series() make rows chunk by chunk and stay allowed.
refuse(
  'it makes a list of any size inside one row (FROM range(n) makes rows instead)',
  'range',
  'generate_series',
);
// Dynamic programming over both strings: time is the product of their lengths.
refuse(
  "its running time grows with the product of its inputs' lengths",
  'levenshtein',
  'editdist3',
  'damerau_levenshtein',
  'jaro_similarity',
  'jaro_winkler_similarity',
);
refuse(
  'a lambda applied step by step can double a value at every step',
  'list_reduce',
  'array_reduce',
  'reduce',
);

/** Functions whose output size is set by one argument: allowed when it is a small constant. */
const SIZE_ARGUMENT: Record<string, { index: number; what: string; optional?: boolean }> = {
  repeat: { index: 1, what: 'count' },
  lpad: { index: 1, what: 'width' },
  rpad: { index: 1, what: 'width' },
  bar: { index: 3, what: 'width', optional: true },
  to_base: { index: 2, what: 'minimum length', optional: true },
  // Every match is replaced: the output is the input's size times the replacement's.
  replace: { index: 2, what: 'replacement' },
  regexp_replace: { index: 2, what: 'replacement' },
};

/** Why a call is refused, or undefined when user SQL may make it. */
export function refusedCall(call: FunctionNode): string | undefined {
  const name = call.function_name.toLowerCase();
  if (Object.hasOwn(REFUSED, name)) return REFUSED[name];
  // PostgreSQL and DuckDB catalog helpers (pg_get_viewdef, duckdb_*…) show the engine's own tables.
  if (name.startsWith('pg_') || name.startsWith('duckdb_'))
    return 'pg_* and duckdb_* functions are catalog helpers, beyond the views';
  const args = call.children ?? [];
  if (name === 'printf' || name === 'format') return unboundedFormat(args[0]);
  const size = SIZE_ARGUMENT[name];
  if (!size || (size.optional && args.length <= size.index)) return undefined;
  const value = constantOf(args[size.index]);
  const measure = typeof value === 'string' ? value.length : value;
  if (typeof measure === 'number' && measure <= MAX_CONSTANT_SIZE) return undefined;
  return `its ${size.what} must be a constant of at most ${MAX_CONSTANT_SIZE}`;
}

/** printf('%5d') and format('{:>5}') are fine; a width from an argument (`%*d`, `{:{}}`) or a large one is not. */
function unboundedFormat(pattern: Argument | undefined): string | undefined {
  const text = constantOf(pattern);
  if (typeof text !== 'string') return 'its format must be a constant';
  if (/\*|\{[^}]*\{/.test(text)) return 'its format may not take a width from an argument';
  const widest = Math.max(0, ...(text.match(/\d+/g) ?? []).map(Number));
  if (widest > MAX_CONSTANT_SIZE) return `its format's widths must be at most ${MAX_CONSTANT_SIZE}`;
  return undefined;
}

function constantOf(node: Argument | undefined): unknown {
  if (node?.class !== 'CONSTANT' || node.value?.is_null) return undefined;
  return node.value?.value;
}
