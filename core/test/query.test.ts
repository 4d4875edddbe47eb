import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { compileFilter } from '../src/query/filter.js';
import { runQuery } from '../src/query/run.js';
import { materializeSelection } from '../src/query/selection.js';
import { QuerySlots } from '../src/query/slots.js';
import { datasourceRef } from '../src/storage/open.js';
import type { Workspace } from '../src/store/workspace.js';
import { COCO128, tempDir, tempWorkspace, winnow, winnowWithEnv } from './helpers.js';

async function cocoWorkspace(): Promise<Workspace> {
  const ws = await tempWorkspace();
  await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
  return ws;
}

const REFUSED: [string, RegExp][] = [
  ['DROP TABLE samples', /DROP is not allowed: queries are read-only/],
  ['DELETE FROM samples', /DELETE is not allowed/],
  ["INSERT INTO samples (filename) VALUES ('x')", /INSERT is not allowed/],
  ["UPDATE samples SET filename = 'x'", /UPDATE is not allowed/],
  ['CREATE TABLE t (a INTEGER)', /CREATE is not allowed/],
  ['ALTER TABLE samples ADD COLUMN x INTEGER', /ALTER is not allowed/],
  ["COPY samples TO '/tmp/out.csv'", /COPY is not allowed/],
  ["ATTACH '/tmp/other.duckdb' AS other", /ATTACH is not allowed/],
  ['INSTALL httpfs', /INSTALL is not allowed/],
  ['LOAD httpfs', /LOAD is not allowed/],
  ['PRAGMA database_list', /PRAGMA is not allowed/],
  ['SET threads = 1', /SET is not allowed/],
  ['/* comment */ drop view samples', /DROP is not allowed/],
  ["SELECT * FROM read_csv('/etc/passwd')", /table function read_csv\(\) is not allowed/],
  ["SELECT * FROM read_csv_auto('/etc/passwd')", /read_csv_auto\(\) is not allowed/],
  ["SELECT * FROM read_parquet('/tmp/x.parquet')", /read_parquet\(\) is not allowed/],
  ["SELECT * FROM read_json('/tmp/x.json')", /read_json\(\) is not allowed/],
  ["SELECT * FROM read_text('/etc/passwd')", /read_text\(\) is not allowed/],
  ["SELECT * FROM glob('/etc/*')", /glob\(\) is not allowed/],
  ["SELECT * FROM '/etc/passwd'", /'\/etc\/passwd' is not a Winnow view/],
  ["SELECT * FROM 'https://example.com/x.csv'", /is not a Winnow view/],
  ["SELECT * FROM query('DROP TABLE winnow.samples')", /query\(\) is not allowed/],
  ['SELECT * FROM duckdb_settings()', /duckdb_settings\(\) is not allowed/],
  ["SELECT getenv('HOME')", /getenv\(\) is not allowed/],
  ["SELECT current_setting('threads')", /current_setting\(\) is not allowed/],
  ['SELECT * FROM winnow.samples', /'winnow.samples' is not a Winnow view/],
  ['SELECT * FROM information_schema.tables', /is not a Winnow view/],
  ['SELECT 1; DROP TABLE samples', /DROP is not allowed|one statement/],
  ['SELECT 1; SELECT 2', /one statement at a time/],
  [
    "SELECT * FROM samples WHERE filename IN (SELECT * FROM read_csv('/etc/passwd'))",
    /read_csv\(\) is not allowed/,
  ],
  ["WITH x AS (SELECT * FROM read_parquet('a.parquet')) SELECT * FROM x", /read_parquet\(\) is not allowed/],
  // A CTE is in scope after its definition (itself only when recursive): else the name is a file.
  [
    'WITH "/etc/hosts.csv" AS (SELECT * FROM "/etc/hosts.csv") SELECT * FROM "/etc/hosts.csv"',
    /is not a Winnow view/,
  ],
  [
    'WITH a AS (SELECT * FROM "x.csv"), "x.csv" AS (SELECT 1) SELECT * FROM a',
    /'x.csv' is not a Winnow view/,
  ],
  ['WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a', /'b' is not a Winnow view/],
  ['WITH "*.json" AS (SELECT 1) SELECT * FROM "*.json"', /is not a Winnow view/],
  ['SELECT * FROM "constructor"', /'constructor' is not a Winnow view/],
  ["SELECT max(nextval('winnow.sample_ids')) FROM range(10)", /nextval\(\) is not allowed/],
  ["SELECT currval('winnow.sample_ids')", /currval\(\) is not allowed/],
  ['SELECT setseed(0.5)', /setseed\(\) is not allowed/],
  // The engine's own tables, through SHOW, DESCRIBE, SUMMARIZE and catalog helpers.
  ['SHOW ALL TABLES', /SHOW is not allowed/],
  ['SHOW ALL', /SHOW is not allowed/],
  ['SHOW TABLES FROM winnow', /SHOW is not allowed/],
  ['SHOW TABLES', /SHOW is not allowed/],
  ['SELECT * FROM (SHOW ALL TABLES)', /SHOW is not allowed/],
  ['DESCRIBE winnow.samples', /'winnow.samples' is not a Winnow view/],
  ['SUMMARIZE winnow.tags', /'winnow.tags' is not a Winnow view/],
  ["SELECT get_block_size('workspace')", /get_block_size\(\) is not allowed: .*pragma_database_size\(\)/],
  ['SELECT pg_get_viewdef(1)', /pg_get_viewdef\(\) is not allowed/],
  ['SELECT pg_catalog.pg_get_constraintdef(1)', /pg_get_constraintdef\(\) is not allowed/],
  ['SELECT pg_typeof(1)', /pg_typeof\(\) is not allowed/],
  ['SELECT format_type(1, 1)', /format_type\(\) is not allowed: .*duckdb_types\(\)/],
  ['SELECT current_schemas(true)', /current_schemas\(\) is not allowed/],
  ['SELECT current_database()', /current_database\(\) is not allowed/],
  ["SELECT json_serialize_plan('SELECT * FROM winnow.samples')", /json_serialize_plan\(\) is not allowed/],
  ["SELECT write_log('x')", /write_log\(\) is not allowed/],
  // Functions that can run one vector past any time or memory limit.
  [
    "SELECT sum(length(repeat('x', 200000000 + (range % 2)::INT))) FROM range(40)",
    /repeat\(\) is not allowed: its count must be a constant of at most 1000/,
  ],
  ['SELECT repeat(filename, 100000) FROM samples', /repeat\(\) is not allowed/],
  ["SELECT lpad('x', 100000000, 'y')", /lpad\(\) is not allowed: its width/],
  ["SELECT rpad(filename, width, ' ') FROM samples", /rpad\(\) is not allowed/],
  ["SELECT printf('%*d', 100000000, 1)", /printf\(\) is not allowed: its format may not take a width/],
  ["SELECT format('{:>100000000}', 1)", /format\(\) is not allowed: its format's widths/],
  ['SELECT bar(1, 0, 10, 1e9)', /bar\(\) is not allowed/],
  ["SELECT replace(filename, '.', filename) FROM samples", /replace\(\) is not allowed: its replacement/],
  ['SELECT levenshtein(a.filename, b.filename) FROM samples a, samples b', /levenshtein\(\) is not allowed/],
  ["SELECT jaro_winkler_similarity('a', 'b')", /jaro_winkler_similarity\(\) is not allowed/],
  ['SELECT range(1000000000)', /range\(\) is not allowed: it makes a list/],
  ['SELECT list_resize([1], 1000000000)', /list_resize\(\) is not allowed/],
  ["SELECT list_reduce(['x', 'x'], (a, b) -> a || a)", /list_reduce\(\) is not allowed/],
  ['SELECT sleep_ms(100000)', /sleep_ms\(\) is not allowed/],
  ['SELECT pg_sleep(100)', /pg_sleep\(\) is not allowed/],
];

describe('read-only SQL', () => {
  it.each(REFUSED)('refuses %s with a clear message and changes nothing', async (sql, message) => {
    const ws = await cocoWorkspace();
    const error = await runQuery(ws, sql).catch((e: Error & { code?: string }) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^query refused: /);
    expect((error as Error).message).toMatch(message);
    expect((error as { code: string }).code).toBe('refused_sql');
    expect(await ws.db.value('SELECT count(*) FROM winnow.samples')).toBe(128);
    ws.close();
  });

  it("allows ordinary functions, small constant widths and the views' descriptions", async () => {
    const ws = await cocoWorkspace();
    const result = await runQuery(
      ws,
      `SELECT lpad('7', 3, '0') AS padded, printf('%05d', 42) AS printed, repeat('-', 3) AS rule,
              replace('a.jpg', '.jpg', '') AS stem, split_part('a/b', '/', 2) AS part, list_sum([1, 2]) AS total,
              nullif(1, 2) AS kept, (SELECT count(*) FROM range(3)) AS counted`,
    );
    expect(result.rows).toEqual([
      { padded: '007', printed: '00042', rule: '---', stem: 'a', part: 'b', total: 3, kept: 1, counted: 3 },
    ]);
    const described = await runQuery(ws, 'DESCRIBE samples');
    expect(described.rows.map((row) => row.column_name)).toContain('filename');
    ws.close();
  });

  it('stops reading at the byte cap and says so', async () => {
    const ws = await cocoWorkspace();
    const capped = await runQuery(ws, 'SELECT filename FROM samples', { maxBytes: 1000 });
    expect(capped).toMatchObject({ truncated: true, truncatedBy: 'max_bytes' });
    expect(capped.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(capped.rows).length).toBeLessThanOrEqual(1000 + capped.rows.length + 2);
    const whole = await runQuery(ws, 'SELECT filename FROM samples');
    expect(whole).toMatchObject({ truncated: false, truncatedBy: null });
    expect(whole.rows).toHaveLength(128);
    ws.close();
  });

  it('runs as many user queries at once as it has slots; the others wait within their time limit', async () => {
    const ws = await cocoWorkspace();
    const slots = new QuerySlots(1);
    const slow = 'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 3';
    const holding = runQuery(ws, slow, { slots, timeoutMs: 3000 }).catch((e: Error) => e);
    await expect(runQuery(ws, 'SELECT 1 AS one', { slots, timeoutMs: 200 })).rejects.toThrow(
      /waited its whole time limit of 0.2 s for a turn \(one user query runs at a time\)/,
    );
    expect(await holding).toBeInstanceOf(Error);
    expect((await runQuery(ws, 'SELECT 1 AS one', { slots })).rows).toEqual([{ one: 1 }]);
    ws.close();
  });

  it('refuses a macro that expands to refused SQL however many ask at once', async () => {
    const ws = await cocoWorkspace();
    const asked = await Promise.all(
      [1, 2, 3].map(() => runQuery(ws, "SELECT get_block_size('workspace')").catch((e: Error) => e)),
    );
    for (const answer of asked) expect(answer).toMatchObject({ code: 'refused_sql' });
    ws.close();
  });

  it('allows CTEs used in their scope, recursive ones included', async () => {
    const ws = await cocoWorkspace();
    const chained = await runQuery(
      ws,
      'WITH a AS (SELECT 2 AS n), b AS (SELECT n + 1 AS n FROM a) SELECT n FROM b',
    );
    expect(chained.rows).toEqual([{ n: 3 }]);
    const recursive = await runQuery(
      ws,
      'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 4) SELECT count(*) AS c FROM t',
    );
    expect(recursive.rows).toEqual([{ c: 4 }]);
    ws.close();
  });

  it('answers SELECTs over the views, with CTEs, scoped to a dataset', async () => {
    const ws = await cocoWorkspace();
    // A second dataset with no samples (an ingest refuses to make one: it is made directly).
    await ws.createDataset('empty', datasourceRef(join(COCO128, 'labels')));
    const everything = await runQuery(ws, 'SELECT count(*) AS n FROM samples');
    expect(everything.rows).toEqual([{ n: 128 }]);
    const coco = await ws.dataset('coco');
    const scoped = await runQuery(
      ws,
      'WITH wide AS (SELECT * FROM samples WHERE width = 640) SELECT count(*) AS n, min(kind) AS kind FROM wide',
      { dataset: coco },
    );
    expect(scoped.columns).toEqual(['n', 'kind']);
    expect(scoped.rows[0]).toMatchObject({ kind: 'image' });
    expect(scoped.rows[0]!.n).toBeGreaterThan(50);
    const limited = await runQuery(ws, 'SELECT filename FROM samples ORDER BY filename', { maxRows: 5 });
    expect(limited).toMatchObject({ truncated: true });
    expect(limited.rows).toHaveLength(5);
    ws.close();
  });

  it('stops a query at its time limit', async () => {
    const ws = await cocoWorkspace();
    const slow = 'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 3';
    await expect(runQuery(ws, slow, { timeoutMs: 200 })).rejects.toThrow(/time limit of 0.2 s/);
    expect(await ws.db.value('SELECT count(*) FROM samples')).toBe(128);
    ws.close();
  });

  it('stops a query when its signal aborts (Ctrl-C)', async () => {
    const ws = await cocoWorkspace();
    const slow = 'SELECT count(*) FROM range(100000000) a, range(100000) b WHERE a.range + b.range = 3';
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    await expect(runQuery(ws, slow, { signal: controller.signal })).rejects.toMatchObject({
      code: 'cancelled',
      message: 'query cancelled',
    });
    ws.close();
  });

  it('reports syntax errors as such', async () => {
    const ws = await cocoWorkspace();
    await expect(runQuery(ws, 'SELEC 1')).rejects.toThrow(/SQL syntax error/);
    ws.close();
  });
});

describe('winnow query in its own process', () => {
  // An allowed aggregate builds a 200 MB string; contains() then scans it once per row of a
  // 2,048-row vector (minutes), which DuckDB cannot interrupt: only the watchdog ends it.
  const UNINTERRUPTIBLE = `SELECT count(*) AS n FROM (SELECT contains(s, 'y' || range::VARCHAR) AS c
    FROM (SELECT string_agg(lpad('', 1000, 'x'), '') AS s FROM range(200000)), range(2048)) WHERE c`;

  it('refuses a time limit out of range, naming --timeout', async () => {
    const ws = join(tempDir(), '.winnow');
    for (const value of ['1e9', '0', '-1', 'abc', '0.01']) {
      const refused = await winnow(ws, 'query', '--sql', 'SELECT 1', '--timeout', value);
      expect(refused.code).toBe(2);
      expect(refused.stderr.split('\n')[0]).toBe(
        `winnow: option '--timeout <seconds>' argument '${value}' is invalid. expected seconds from 0.1 to 3600`,
      );
    }
  });

  it('ends a query that ignores its interrupt, with the one-line time limit error', async () => {
    const ws = join(tempDir(), '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const stopped = await winnow(ws, 'query', '--timeout', '1', '--sql', UNINTERRUPTIBLE);
    expect(stopped.stderr).toBe('winnow: query stopped after its time limit of 1 s\n');
    expect(stopped.code).toBe(1);
  });

  it('ends a query whose process passes its memory limit plus the margin', async () => {
    const ws = join(tempDir(), '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const growing = `SELECT sum(length(upper(s || range::VARCHAR))) AS n
      FROM (SELECT string_agg(lpad('', 1000, 'x'), '') AS s FROM range(100000)), range(2048)`;
    const stopped = await winnowWithEnv(
      { WINNOW_MEMORY_LIMIT: '1GB' },
      ws,
      'query',
      '--timeout',
      '600',
      '--sql',
      growing,
    );
    expect(stopped.stderr).toMatch(
      /^winnow: query stopped: its process reached [\d.]+ GB resident, past the memory limit of 1.0 GB plus 0.5 GB/,
    );
    expect(stopped.code).toBe(1);
  });
});

describe('structured filters', () => {
  it('compile to parameterized SQL: values never enter the text', () => {
    const compiled = compileFilter({
      and: [
        { field: 'filename', op: 'starts_with', value: "x'; DROP TABLE samples; --" },
        {
          or: [
            { field: 'width', op: '>=', value: 600 },
            { not: { field: 'metadata.weather', op: 'in', value: ['rain', 'fog'] } },
          ],
        },
      ],
    });
    expect(compiled.sql).not.toContain('DROP');
    expect(compiled.params).toEqual(["x'; DROP TABLE samples; --", 600, 'weather', 'rain', 'fog']);
  });

  it('name the path of a bad field', () => {
    expect(() => compileFilter({ and: [{ field: 'nope', op: '=', value: 1 }] })).toThrow(
      /^filter.and\[0\].field: unknown field 'nope'/,
    );
    expect(() => compileFilter({ field: 'width', op: 'between', value: [1] })).toThrow(
      /filter.value: 'between' needs \[low, high\]/,
    );
    expect(() => compileFilter({ field: 'width', op: 'like' as never, value: 1 })).toThrow(
      /filter.op: unknown operator 'like'/,
    );
  });

  it('select samples by fields, metadata, tags and predictions', async () => {
    const ws = await cocoWorkspace();
    const coco = await ws.dataset('coco');
    await ws.db.run(
      `INSERT INTO winnow.metadata_fields VALUES (${coco.id}, 'brightness', 'float', false);
       INSERT INTO winnow.metadata SELECT dataset_id, sample_id, 'brightness', sample_id / 128.0, NULL, NULL
         FROM winnow.samples;
       INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (${coco.id}, 'det', 'object-detection');
       INSERT INTO winnow.categories VALUES (1, 0, 'person'), (1, 1, 'car');
       INSERT INTO winnow.predictions (sample_id, task_id, category_id, score)
         SELECT sample_id, 1, sample_id % 2, 0.3 FROM winnow.samples WHERE sample_id <= 10`,
    );
    const count = async (filter: Parameters<typeof compileFilter>[0]) =>
      (await materializeSelection(ws, coco, { filter })).count;
    expect(await count({ field: 'metadata.brightness', op: 'between', value: [0, 0.5] })).toBe(64);
    expect(await count({ field: 'prediction.category', op: '=', value: 'car', task: 'det' })).toBe(5);
    expect(await count({ field: 'prediction.category', op: '!=', value: 'car' })).toBe(123);
    expect(
      await count({
        and: [
          { field: 'prediction.score', op: '<', value: 0.5 },
          { field: 'width', op: '>', value: 0 },
        ],
      }),
    ).toBe(10);
    expect(await count({ field: 'metadata.brightness', op: 'is_null' })).toBe(0);
    ws.close();
  });
});
