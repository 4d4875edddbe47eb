#!/usr/bin/env node
/**
 * Query benchmark: the usual curation queries over a synthetic dataset of 10M samples, 30M
 * metadata rows and 30M predictions, written the way a user writes them: one SELECT over the
 * user views (main.*), run through the engine's read-only query path (query/run.js: guard,
 * own connection, dataset scope). Each query runs once to warm up and --runs times (15).
 *
 *   node bench/queries.mjs [--samples N] [--runs N] [--layout ingest|clustered]
 *                          [--variants] [--explain] [--regenerate]
 *
 * --layout clustered (default) stores rows as the importers write them: metadata by (key,
 * value), predictions by (category, score), with the per-sample scores derived; --layout ingest
 * stores them sample-major (an unsorted writer), for comparison. Each layout is its
 * own cached file. The data are generated with SQL (range()) under bench/out/queries-<N>-<layout>/
 * and reused while their row counts match. Prints one JSON document on stdout (progress on
 * stderr) and writes bench/out/queries.json (queries-ingest.json for the other layout).
 * The engine comes from core/dist, or the build folder named by WINNOW_CORE_DIST.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { peakRss, resetPeakRss } from './lib/common.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const CORE = process.env.WINNOW_CORE_DIST
  ? pathToFileURL(resolve(process.env.WINNOW_CORE_DIST) + '/')
  : new URL('../core/dist/', import.meta.url);
const { Workspace } = await import(new URL('store/workspace.js', CORE).href);
const { refreshPredictionScores } = await import(new URL('store/derived.js', CORE).href);
const { runQuery } = await import(new URL('query/run.js', CORE).href);

/** Bump when the generated data change, so cached files are rebuilt. */
const GENERATOR_VERSION = 4;
const DUCKDB_THREADS = 2;
const DUCKDB_MEMORY_LIMIT = '1GB';
const TARGET_P50_MS = 100;
const TARGET_RSS_BYTES = 2 * 1024 ** 3;

const args = parseArgs(process.argv.slice(2));
const N = args.samples ?? 10_000_000;
const RUNS = args.runs ?? 15;
const VARIANT_RUNS = 5;
const LAYOUT = args.layout ?? 'clustered';
const log = (...parts) => console.error('[bench:queries]', ...parts);

// ---- memory ----------------------------------------------------------------------------------

const rss = { peak: 0, samples: 0 };
const sampleRss = () => {
  const value = process.memoryUsage().rss;
  rss.samples++;
  if (value > rss.peak) rss.peak = value;
};
const sampler = setInterval(sampleRss, 20);
sampler.unref();

/** Starts a new peak: VmHWM is reset through clear_refs (Linux), the sampled peak by hand. */
function resetPeak() {
  rss.peak = 0;
  return resetPeakRss();
}

// ---- generation ------------------------------------------------------------------------------

// biome-ignore format: a list of names
const COCO = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
  'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
  'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
  'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
  'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors',
  'teddy bear', 'hair drier', 'toothbrush',
];
const WEATHER = ['clear', 'cloudy', 'rain', 'fog', 'snow'];

/** A deterministic 64-bit hash of row `i` in stream `salt` (< 64); hash(i, salt) itself is correlated across salts. */
const h = (i, salt) => `hash((${i})::BIGINT * 64 + ${salt})`;
/** A deterministic uniform value in [0, 1) with 24 random bits. */
const u = (i, salt) => `((${h(i, salt)} >> 40)::DOUBLE / 16777216)`;
/** The sample's width and height, recomputable from its id wherever a row needs them. */
const width = (i) => `([640, 1280, 1920, 1024][1 + (${h(i, 3)} % 4)::INTEGER])`;
const height = (i) => `([480, 720, 1080, 768][1 + (${h(i, 3)} % 4)::INTEGER])`;

// `clustered` is the order the importers write in (ingest/import/common.ts); `ingest` is the
// sample-major order an unsorted writer would leave, kept for comparison.
const ORDER = {
  ingest: { metadata: '', predictions: '' },
  clustered: {
    metadata: 'ORDER BY key, value_num, value_str, sample_id',
    predictions: 'ORDER BY category_id, score, sample_id',
  },
};

function expectedCounts(n) {
  return {
    samples: n,
    metadata: 3 * n,
    predictions: 3 * n,
    prediction_scores: n,
    categories: COCO.length,
    tags: 3,
  };
}

async function actualCounts(db) {
  return db.one(`SELECT
    (SELECT count(*) FROM winnow.samples) AS samples,
    (SELECT count(*) FROM winnow.metadata) AS metadata,
    (SELECT count(*) FROM winnow.predictions) AS predictions,
    (SELECT count(*) FROM winnow.prediction_scores) AS prediction_scores,
    (SELECT count(*) FROM winnow.categories) AS categories,
    (SELECT count(*) FROM winnow.tags) AS tags`);
}

async function openWorkspace(dir) {
  const ws = await Workspace.open(dir);
  await ws.db.run(`SET threads = ${DUCKDB_THREADS}`);
  await ws.db.run(`SET memory_limit = '${DUCKDB_MEMORY_LIMIT}'`);
  return ws;
}

async function generate(ws, n, order) {
  const db = ws.db;
  const step = async (label, sql) => {
    const t = performance.now();
    await db.run(sql);
    log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  };
  const dataset = await ws.createDataset('bench', { kind: 'local', uri: '/data/bench' });
  const ds = dataset.id;
  const now = "TIMESTAMP '2025-01-01 00:00:00'";

  await step(
    `samples (${n})`,
    `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, format, size, mtime, width, height, status,
       added_at, updated_at)
     SELECT i, ${ds}, 'image', 'images/' || (i // 10000)::VARCHAR || '/' || lpad(i::VARCHAR, 8, '0') || '.jpg',
       'jpg', 40000 + ${h('i', 1)} % 460000, ${now} - to_seconds((${h('i', 2)} % 31536000)::BIGINT),
       ${width('i')}, ${height('i')}, 'ok', ${now}, ${now}
     FROM range(1, ${n + 1}) r(i)`,
  );

  await db.run(
    `INSERT INTO winnow.metadata_fields VALUES (${ds}, 'brightness', 'float', false),
       (${ds}, 'frame_count', 'int', false), (${ds}, 'weather', 'string', true)`,
  );
  // As an import writes them: the three keys of one sample are adjacent (unless clustered).
  await step(
    `metadata (${3 * n})`,
    `INSERT INTO winnow.metadata (dataset_id, sample_id, key, value_num, value_str, value_bool)
     SELECT ${ds}, i AS sample_id, key,
       CASE key WHEN 'brightness' THEN ${u('i', 10)} WHEN 'frame_count' THEN (${h('i', 11)} % 3600)::DOUBLE END
         AS value_num,
       CASE key WHEN 'weather' THEN ${sqlList(WEATHER)}[1 + (${h('i', 12)} % ${WEATHER.length})::INTEGER] END
         AS value_str,
       NULL
     FROM (SELECT j // 3 + 1 AS i, ['brightness', 'frame_count', 'weather'][1 + (j % 3)::INTEGER] AS key
           FROM range(0, ${3 * n}) r(j))
     ${order.metadata}`,
  );

  const taskId = await db.value(
    `INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (${ds}, 'detection', 'object-detection')
     RETURNING task_id`,
  );
  await db.run(
    `INSERT INTO winnow.categories SELECT ${taskId}, c - 1, ${sqlList(COCO)}[c] FROM range(1, ${COCO.length + 1}) r(c)`,
  );
  // Three boxes per sample; classes follow a long tail (person ≈ 11 %, car ≈ 3.5 %, the rarest
  // ≈ 0.1 %); scores are uniform float32 with 24 random bits.
  await step(
    `predictions (${3 * n})`,
    `INSERT INTO winnow.predictions (sample_id, task_id, category_id, score, box)
     SELECT i AS sample_id, ${taskId}, category_id, score, [x, y, bw, bh]::FLOAT[4]
     FROM (SELECT i, least(79, floor(80 * ${u('j', 20)} * ${u('j', 20)}))::INTEGER AS category_id,
             ${u('j', 21)}::FLOAT AS score, w * ${u('j', 22)} * 0.8 AS x, h * ${u('j', 23)} * 0.8 AS y,
             greatest(4, w * 0.2 * ${u('j', 24)}) AS bw, greatest(4, h * 0.2 * ${u('j', 25)}) AS bh
           FROM (SELECT j, j // 3 + 1 AS i, ${width('(j // 3 + 1)')} AS w, ${height('(j // 3 + 1)')} AS h
                 FROM range(0, ${3 * n}) r(j)))
     ${order.predictions}`,
  );

  const scoresStarted = performance.now();
  await refreshPredictionScores(db, taskId);
  log(`  prediction scores (${n}): ${((performance.now() - scoresStarted) / 1000).toFixed(1)} s`);

  // Tags with a history that replays to their members:
  //   train: v1 adds ≈ 11 % of the samples, v2 removes ≈ 9 % of those (≈ 1.0M members at 10M);
  //   val: v1 adds ≈ 1 %; reviewed: v1 adds ≈ 0.1 %.
  const tagDefs = [
    { name: 'train', pick: `${h('i', 30)} % 100 < 11`, remove: `${h('i', 31)} % 100 < 9` },
    { name: 'val', pick: `${h('i', 30)} % 100 = 11` },
    { name: 'reviewed', pick: `${h('i', 32)} % 1000 = 0` },
  ];
  for (const tag of tagDefs) {
    const tagId = await db.value(
      `INSERT INTO winnow.tags (dataset_id, name, origin, version, created_at)
       VALUES (${ds}, '${tag.name}', '{"kind":"bench"}', ${tag.remove ? 2 : 1}, ${now}) RETURNING tag_id`,
    );
    await step(
      `tag ${tag.name}`,
      `INSERT INTO winnow.tag_history SELECT ${tagId}, 1, i, true FROM range(1, ${n + 1}) r(i) WHERE ${tag.pick}`,
    );
    const added = await db.value(`SELECT count(*) FROM winnow.tag_history WHERE tag_id = ${tagId}`);
    await db.run(
      `INSERT INTO winnow.tag_versions VALUES (${tagId}, 1, '${tag.name}', 'create', '{"kind":"bench"}', ${added}, ${now})`,
    );
    if (tag.remove) {
      await db.run(
        `INSERT INTO winnow.tag_history SELECT ${tagId}, 2, i, false
         FROM (SELECT sample_id AS i FROM winnow.tag_history WHERE tag_id = ${tagId} AND version = 1)
         WHERE ${tag.remove}`,
      );
    }
    // Members are the replay of the history: the last event of each sample decides.
    await db.run(
      `INSERT INTO winnow.tag_members SELECT tag_id, sample_id FROM winnow.tag_history WHERE tag_id = ${tagId}
       GROUP BY tag_id, sample_id HAVING arg_max(added, version) ORDER BY sample_id`,
    );
    if (tag.remove) {
      const size = await db.value(`SELECT count(*) FROM winnow.tag_members WHERE tag_id = ${tagId}`);
      await db.run(
        `INSERT INTO winnow.tag_versions VALUES (${tagId}, 2, '${tag.name}', 'remove', '{"kind":"bench"}', ${size}, ${now})`,
      );
    }
  }
  await step('checkpoint', 'CHECKPOINT');
}

async function prepare() {
  const dir = join(OUT, `queries-${N}-${LAYOUT}`);
  const sidecar = join(dir, 'generated.json');
  const expected = expectedCounts(N);
  if (!args.regenerate && existsSync(sidecar)) {
    const info = JSON.parse(readFileSync(sidecar, 'utf8'));
    if (info.generatorVersion === GENERATOR_VERSION) {
      const ws = await openWorkspace(dir);
      const counts = await actualCounts(ws.db);
      if (Object.entries(expected).every(([k, v]) => counts[k] === v)) {
        log(`reusing ${dir} (generated in ${info.seconds} s)`);
        return { ws, generation: { cached: true, seconds: info.seconds, peak_rss_bytes: info.peakRssBytes } };
      }
      log(`cached counts ${JSON.stringify(counts)} differ from ${JSON.stringify(expected)}; regenerating`);
      ws.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating ${N} samples (${LAYOUT} layout) into ${dir}`);
  resetPeak();
  const started = performance.now();
  const ws = await openWorkspace(dir);
  await generate(ws, N, ORDER[LAYOUT]);
  const counts = await actualCounts(ws.db);
  for (const [k, v] of Object.entries(expected)) {
    if (counts[k] !== v) throw new Error(`generated ${counts[k]} ${k}, expected ${v}`);
  }
  const seconds = round((performance.now() - started) / 1000, 1);
  sampleRss();
  const peakRssBytes = Math.max(rss.peak, peakRss());
  writeFileSync(
    sidecar,
    JSON.stringify({
      generatorVersion: GENERATOR_VERSION,
      samples: N,
      layout: LAYOUT,
      counts,
      seconds,
      peakRssBytes,
    }),
  );
  log(`generated in ${seconds} s`);
  return { ws, generation: { cached: false, seconds, peak_rss_bytes: peakRssBytes } };
}

// ---- queries ---------------------------------------------------------------------------------

const BRIGHTNESS = [0.3, 0.4];
const TAG = 'train';
const TASK = 'detection';
const CLASS = 'car';
const HEAVY_CLASS = 'person';
const K = 100;
const PAGE = 100;
const OFFSET = Math.min(500_000, Math.floor(N / 2)); // smaller only for smoke runs (--samples)

/** A count and the first page of a hit list, in one statement: the hits are computed once. */
const countAndPage = (hits) => `
WITH hits AS MATERIALIZED (${hits}),
  page AS (SELECT sample_id FROM hits ORDER BY sample_id LIMIT ${PAGE})
SELECT (SELECT count(*) FROM hits) AS total, p.sample_id, s.filename
FROM page p JOIN samples s USING (sample_id)
ORDER BY p.sample_id`;

const lowScoreHits = (category) =>
  `SELECT sample_id FROM samples WHERE sample_id IN (
     SELECT sample_id FROM predictions WHERE task = '${TASK}' AND category = '${category}' AND score < 0.5)`;

/**
 * The five measured queries, each one SELECT over the user views. `variants` (--variants) are
 * other ways to write the same question (the obvious ones, as in docs/query.md); they are timed
 * fewer times, must return the same rows, and show what the chosen form saves. They stay out of
 * the default run: the plain OFFSET form alone sorts every filename and lifts the process's RSS
 * past 2 GB.
 */
const QUERIES = {
  a_metadata_range_in_tag: {
    description: `brightness in [${BRIGHTNESS}] and in tag '${TAG}': count + first ${PAGE} filenames by sample_id`,
    sql: countAndPage(`SELECT sample_id FROM samples WHERE sample_id IN (
        SELECT m.sample_id FROM metadata m
        WHERE m.key = 'brightness' AND m.value_num BETWEEN ${BRIGHTNESS[0]} AND ${BRIGHTNESS[1]}
          AND m.sample_id IN (SELECT sample_id FROM tag_members WHERE tag = '${TAG}'))`),
    variants: {
      flat_semi_joins: countAndPage(`SELECT s.sample_id FROM samples s
        WHERE s.sample_id IN (SELECT sample_id FROM metadata
                              WHERE key = 'brightness' AND value_num BETWEEN ${BRIGHTNESS[0]} AND ${BRIGHTNESS[1]})
          AND s.sample_id IN (SELECT sample_id FROM tag_members WHERE tag = '${TAG}')`),
    },
    shape: (rows) => ({ total: rows[0]?.total ?? 0, page: rows.length }),
  },
  b_predictions_per_class: {
    description: `predictions (boxes) per class of task '${TASK}', with class names`,
    sql: `SELECT category, predictions FROM prediction_counts WHERE task = '${TASK}'
          ORDER BY predictions DESC, category`,
    variants: {
      group_by_over_predictions: `SELECT category, count(*) AS predictions FROM predictions WHERE task = '${TASK}'
        GROUP BY category ORDER BY predictions DESC, category`,
    },
    shape: (rows) => ({ classes: rows.length, top: rows[0]?.category }),
  },
  c_top_k_by_score: {
    description: `top ${K} samples by their best '${TASK}' score, with filenames`,
    // Through the per-sample scores the importers derive (sample_scores): a top-N over one row per
    // sample, where the same over predictions reads every box (about 3x the rows, plus a GROUP BY).
    sql: `SELECT x.sample_id, s.filename, x.max_score AS score
          FROM (SELECT sample_id, max_score FROM sample_scores WHERE task = '${TASK}'
                ORDER BY max_score DESC LIMIT ${K}) x
          JOIN samples s USING (sample_id) ORDER BY score DESC, x.sample_id`,
    variants: {},
    check: (rows) => {
      if (rows.length !== K) throw new Error(`top-k returned ${rows.length} rows`);
    },
    shape: (rows) => ({ rows: rows.length, best: rows[0]?.score }),
  },
  d_class_low_score: {
    description: `samples with a '${CLASS}' box scored < 0.5: count + first ${PAGE} filenames by sample_id`,
    sql: countAndPage(lowScoreHits(CLASS)),
    variants: {
      [`heaviest_class_${HEAVY_CLASS.replace(/\W/g, '_')}`]: countAndPage(lowScoreHits(HEAVY_CLASS)),
    },
    variantsDiffer: true,
    shape: (rows) => ({ total: rows[0]?.total ?? 0, page: rows.length }),
  },
  e_page_at_offset: {
    description: `${PAGE} samples at offset ${OFFSET} ordered by sample_id`,
    // Sort the ids alone, then fetch the page's filenames: the plain form sorts every
    // filename too (DuckDB sorts fully once LIMIT + OFFSET > 0.7 % of the filtered estimate).
    sql: `SELECT sample_id, filename FROM samples
          WHERE sample_id IN (SELECT sample_id FROM samples ORDER BY sample_id LIMIT ${PAGE} OFFSET ${OFFSET})
          ORDER BY sample_id`,
    variants: {
      plain_offset: `SELECT sample_id, filename FROM samples ORDER BY sample_id LIMIT ${PAGE} OFFSET ${OFFSET}`,
    },
    check: (rows) => {
      if (rows.length !== PAGE || rows[0].sample_id !== OFFSET + 1)
        throw new Error('the page at offset is wrong');
    },
    shape: (rows) => ({ rows: rows.length, first: rows[0]?.sample_id }),
  },
};

async function time(ws, dataset, sql, runs) {
  const first = await runQuery(ws, sql, { dataset });
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await runQuery(ws, sql, { dataset });
    times.push(performance.now() - t);
  }
  return { times, rows: first.rows };
}

function summarize(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50_ms: round(pick(0.5), 1), p95_ms: round(pick(0.95), 1), min_ms: round(sorted[0], 1) };
}

async function explain(ws, name, sql) {
  const dir = join(OUT, `explain-${LAYOUT}`);
  mkdirSync(dir, { recursive: true });
  const rows = await ws.db.all(`EXPLAIN ANALYZE ${sql}`);
  writeFileSync(join(dir, `${name}.txt`), `-- ${sql.trim()}\n${rows.map((r) => r.explain_value).join('\n')}`);
}

// ---- main ------------------------------------------------------------------------------------

const { ws, generation } = await prepare();
const dataset = await ws.dataset('bench');
await ws.db.run(`SET VARIABLE winnow_dataset_id = ${Number(dataset.id)}`); // for --explain, on the writer connection

const peakResetOk = resetPeak();
const loadBefore = loadavg();
const benchStarted = performance.now();
const queries = {};
let queryPhasePeak = 0;
for (const [name, q] of Object.entries(QUERIES)) {
  resetPeak();
  const main = await time(ws, dataset, q.sql, RUNS);
  q.check?.(main.rows);
  const entry = {
    description: q.description,
    ...summarize(main.times),
    target_p50_ms: TARGET_P50_MS,
    pass: false,
    result: q.shape(main.rows),
  };
  entry.pass = entry.p50_ms <= TARGET_P50_MS;
  sampleRss();
  entry.peak_rss_bytes = Math.max(rss.peak, peakRss());
  queryPhasePeak = Math.max(queryPhasePeak, entry.peak_rss_bytes);
  if (args.variants && Object.keys(q.variants).length) {
    entry.variants = {};
    for (const [variant, sql] of Object.entries(q.variants)) {
      const v = await time(ws, dataset, sql, VARIANT_RUNS);
      if (!q.variantsDiffer && JSON.stringify(v.rows) !== JSON.stringify(main.rows)) {
        throw new Error(`${name}: variant ${variant} returns other rows`);
      }
      entry.variants[variant] = { ...summarize(v.times), runs: VARIANT_RUNS, result: q.shape(v.rows) };
      sampleRss();
      queryPhasePeak = Math.max(queryPhasePeak, rss.peak, peakRss()); // variants are in the process too
    }
  }
  if (args.explain) {
    await explain(ws, name, q.sql);
    for (const [variant, sql] of Object.entries(q.variants)) await explain(ws, `${name}.${variant}`, sql);
  }
  queries[name] = entry;
  log(
    `${name}: p50 ${entry.p50_ms} ms, p95 ${entry.p95_ms} ms` +
      Object.entries(entry.variants ?? {})
        .map(([v, r]) => `; ${v} p50 ${r.p50_ms} ms`)
        .join(''),
  );
}
const benchSeconds = round((performance.now() - benchStarted) / 1000, 1);
sampleRss();
const peakRssBytes = Math.max(queryPhasePeak, rss.peak, peakRss());
const duckdbMemory = await ws.db.all(
  'SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY 2 DESC',
);

const report = {
  benchmark: 'queries',
  machine: {
    cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown',
    cores: cpus().length,
    memory_bytes: totalmem(),
    node: process.version,
    duckdb: await ws.db.value('SELECT version()'),
    duckdb_node_api: packageVersion('@duckdb/node-api'),
    load_average_before: loadBefore.map((x) => round(x, 2)),
    load_average_after: loadavg().map((x) => round(x, 2)),
  },
  config: {
    samples: N,
    metadata_rows: 3 * N,
    prediction_rows: 3 * N,
    layout: LAYOUT,
    tag_sizes: Object.fromEntries(
      (await ws.db.all('SELECT tag, size FROM tags ORDER BY tag_id')).map((r) => [r.tag, r.size]),
    ),
    duckdb_threads: DUCKDB_THREADS,
    duckdb_memory_limit: DUCKDB_MEMORY_LIMIT,
    path: 'query/run.js runQuery (guard, own connection, dataset scope) over the user views',
    runs: RUNS,
    warmup_runs: 1,
  },
  generation,
  queries,
  memory: {
    peak_rss_bytes: peakRssBytes,
    how: peakResetOk
      ? 'max of process.memoryUsage().rss sampled every 20 ms and /proc/self/status VmHWM, reset per query (after generation and open)'
      : 'max of sampled rss and VmHWM over the whole process (VmHWM could not be reset)',
    rss_samples: rss.samples,
    target_bytes: TARGET_RSS_BYTES,
    pass: peakRssBytes < TARGET_RSS_BYTES,
    duckdb_memory_at_end: Object.fromEntries(duckdbMemory.map((r) => [r.tag, r.memory_usage_bytes])),
  },
  bench_seconds: benchSeconds,
  pass: Object.values(queries).every((q) => q.pass) && peakRssBytes < TARGET_RSS_BYTES,
};
ws.close();
const json = JSON.stringify(report, null, 2);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, LAYOUT === 'clustered' ? 'queries.json' : `queries-${LAYOUT}.json`), json + '\n');
process.stdout.write(json + '\n');

// ---- helpers ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--samples') out.samples = Number(argv[++i]);
    else if (a === '--runs') out.runs = Number(argv[++i]);
    else if (a === '--layout') out.layout = argv[++i];
    else if (a === '--explain') out.explain = true;
    else if (a === '--regenerate') out.regenerate = true;
    else if (a === '--variants') out.variants = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (out.layout && !['ingest', 'clustered'].includes(out.layout))
    throw new Error('--layout: use ingest or clustered');
  return out;
}

function packageVersion(name) {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    while (dir !== dirname(dir)) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(readFileSync(file, 'utf8'));
        if (pkg.name === name) return pkg.version;
      }
      dir = dirname(dir);
    }
  } catch {}
  return null;
}

function sqlList(values) {
  return `[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')}]`;
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
