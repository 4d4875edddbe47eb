import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Views ask, core answers: no file under widgets/src may hold SQL that reads core's views or
 * tables (docs/architecture.md). A migration changes those names in core only; the views get
 * what they need from typed routes, and the only SQL they send is the user's query bar text.
 */

const SOURCES = fileURLToPath(new URL('../src', import.meta.url));

/** Every name user SQL can read (docs/query.md, "The views"), and the engine's own schema. */
const INTERNAL_NAMES = [
  'datasets',
  'samples',
  'removed_samples',
  'metadata',
  'metadata_fields',
  'tasks',
  'categories',
  'predictions',
  'prediction_counts',
  'sample_scores',
  'annotations',
  'captions',
  'tags',
  'tag_members',
  'runs',
  'embedding_models',
  'projections',
  'coordinates',
  'duplicates',
];

/** A table read in SQL: after FROM, JOIN, DESCRIBE or SUMMARIZE, a name of core's or one chosen in code (`${…}`). */
const READS_A_TABLE = new RegExp(
  String.raw`\b(from|join|describe|summarize)\s+((winnow\.)?(${INTERNAL_NAMES.join('|')})\b|winnow\.\w+|\$\{)`,
  'i',
);

/** The string literals of a TypeScript text (quotes and template literals, comments left out). */
function stringLiterals(text: string): string[] {
  const literals: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/')
      i = text.indexOf('\n', i) === -1 ? text.length : text.indexOf('\n', i);
    else if (c === '/' && text[i + 1] === '*') i = text.indexOf('*/', i + 2) + 2 || text.length;
    else if (c === "'" || c === '"' || c === '`') {
      let end = i + 1;
      let depth = 0; // inside a template's ${…}
      while (end < text.length && (text[end] !== c || depth > 0)) {
        if (text[end] === '\\') end++;
        else if (c === '`' && text[end] === '$' && text[end + 1] === '{') depth++;
        else if (depth > 0 && text[end] === '}') depth--;
        end++;
      }
      literals.push(text.slice(i + 1, end));
      i = end + 1;
    } else i++;
  }
  return literals;
}

/** The literals of a text that read one of core's tables in SQL. */
function sqlReadingInternals(text: string): string[] {
  return stringLiterals(text).filter((literal) => READS_A_TABLE.test(literal));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the views send no SQL over core’s tables', () => {
  it('finds such SQL in the forms the views used to write it', () => {
    // Source texts as the scan reads them: `${…}` is the views' own interpolation, kept as written.
    const before = [
      "api.query(dataset, 'SELECT model FROM embedding_models ORDER BY model')",
      "'SELECT category FROM categories GROUP BY category ORDER BY min(task_id::BIGINT * 1000000 + category_id)'",
      'await api.query(dataset, "select distinct key from metadata_fields")',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a view's template literal, as written
      "`SELECT count(*) AS total FROM samples WHERE (${state.where || 'true'})`",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a view's template literal, as written
      '`SELECT sample_id FROM ${members.view} WHERE ${members.column} = 1`',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a view's template literal, as written
      '`SELECT sample_id FROM tag_members WHERE tag = ${sqlString(tag)}`',
      "'SELECT t.task FROM winnow.tasks t'",
      "'SELECT * FROM predictions p\\n JOIN annotations a USING (sample_id)'",
    ];
    for (const text of before) expect(sqlReadingInternals(text), text).toHaveLength(1);
    // Comments and prose are not SQL; a user's condition typed at run time is not in the source.
    const prose = [
      '// tags from tag_members are read by the server',
      "/* SELECT x FROM samples */ const placeholder = 'SQL condition over samples, e.g. width > 500';",
      "const hint = 'Removes others from it';",
    ];
    for (const text of prose) expect(sqlReadingInternals(text), text).toEqual([]);
  });

  it('in no file under widgets/src', () => {
    const found = sourceFiles(SOURCES).flatMap((file) =>
      sqlReadingInternals(readFileSync(file, 'utf8')).map((sql) => `${relative(SOURCES, file)}: ${sql}`),
    );
    expect(found).toEqual([]);
  });
});
