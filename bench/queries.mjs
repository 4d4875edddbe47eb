#!/usr/bin/env node
/**
 * Query benchmark: the usual curation queries over a synthetic 10M-sample dataset, through the
 * user views (main.*) and, for comparison, straight against the base tables (winnow.*).
 *
 *   node bench/queries.mjs [--samples N] [--runs N] [--explain] [--regenerate] [--no-raw]
 *
 * The dataset is generated once with SQL (range()) into bench/out/queries-<N>/winnow.duckdb
 * and reused while its row counts match. Prints one JSON document on stdout (progress goes to
 * stderr) and writes it to bench/out/queries.json. The engine is imported from the built core:
 * core/dist by default, or the folder named by WINNOW_CORE_DIST.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const CORE = process.env.WINNOW_CORE_DIST
  ? pathToFileURL(resolve(process.env.WINNOW_CORE_DIST) + '/')
  : new URL('../core/dist/', import.meta.url);
const { Workspace } = await import(new URL('store/workspace.js', CORE).href);

/** Bump when the generated data changes shape, so cached files are rebuilt. */
const GENERATOR_VERSION = 1;
const DUCKDB_THREADS = 2;
const DUCKDB_MEMORY_LIMIT = '1.2GB';
const TARGET_P50_MS = 100;
const TARGET_RSS_BYTES = 2 * 1024 ** 3;

const args = parseArgs(process.argv.slice(2));
const N = args.samples ?? 10_000_000;
const RUNS = args.runs ?? 15;
const log = (...parts) => console.error('[bench:queries]', ...parts);

// ---- memory sampling -------------------------------------------------------------------------

const rss = { peak: 0, samples: 0 };
const sampleRss = () => {
  const value = process.memoryUsage().rss;
  rss.samples++;
  if (value > rss.peak) rss.peak = value;
};
const sampler = setInterval(sampleRss, 25);
sampler.unref();

function procStatus(field) {
  const match = readFileSync('/proc/self/status', 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) * 1024 : null;
}

/** Resets VmHWM (Linux: writing 5 to clear_refs), so the query phase is measured on its own. */
function resetPeak() {
  rss.peak = 0;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

// ---- generation ------------------------------------------------------------------------------

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
]; // biome-ignore format: a list of names

const WEATHER = ['clear', 'cloudy', 'rain', 'fog', 'snow'];

/** A deterministic uniform value in [0, 1) for row `i` and stream `salt`. */
const u = (i, salt) => `((hash(${i}, ${salt}) % 1000000)::DOUBLE / 1000000)`;
/** The sample's width and height, recomputable from its id wherever a row needs it. */
const width = (i) => `([640, 1280, 1920, 1024][1 + (hash(${i}, 3) % 4)::INTEGER])`;
const height = (i) => `([480, 720, 1080, 768][1 + (hash(${i}, 3) % 4)::INTEGER])`;

function expectedCounts(n) {
  return { samples: n, metadata: 3 * n, predictions: 3 * n, categories: COCO.length, tags: 3 };
}

async function actualCounts(db) {
  return db.one(`SELECT
    (SELECT count(*) FROM winnow.samples) AS samples,
    (SELECT count(*) FROM winnow.metadata) AS metadata,
    (SELECT count(*) FROM winnow.predictions) AS predictions,
    (SELECT count(*) FROM winnow.categories) AS categories,
    (SELECT count(*) FROM winnow.tags) AS tags`);
}

async function openWorkspace(dir) {
  const ws = await Workspace.open(dir);
  await ws.db.run(`SET threads = ${DUCKDB_THREADS}`);
  await ws.db.run(`SET memory_limit = '${DUCKDB_MEMORY_LIMIT}'`);
  return ws;
}

async function generate(ws, n) {
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
       'jpg', 40000 + hash(i, 1) % 460000, ${now} - to_seconds((hash(i, 2) % 31536000)::BIGINT),
       ${width('i')}, ${height('i')}, 'ok', ${now}, ${now}
     FROM range(1, ${n + 1}) r(i)`,
  );

  await db.run(
    `INSERT INTO winnow.metadata_fields VALUES (${ds}, 'brightness', 'float', false),
       (${ds}, 'frame_count', 'int', false), (${ds}, 'weather', 'string', true)`,
  );
  // Sample-major, as an import writes it: the three keys of one sample are adjacent.
  await step(
    `metadata (${3 * n})`,
    `INSERT INTO winnow.metadata (dataset_id, sample_id, key, value_num, value_str, value_bool)
     SELECT ${ds}, i, k,
       CASE k WHEN 'brightness' THEN ${u('i', 10)} WHEN 'frame_count' THEN (hash(i, 11) % 3600)::DOUBLE END,
       CASE k WHEN 'weather' THEN ${sqlList(WEATHER)}[1 + (hash(i, 12) % ${WEATHER.length})::INTEGER] END,
       NULL
     FROM (SELECT j // 3 + 1 AS i, ['brightness', 'frame_count', 'weather'][1 + (j % 3)::INTEGER] AS k
           FROM range(0, ${3 * n}) r(j))`,
  );

  const taskId = await db.value(
    `INSERT INTO winnow.tasks (dataset_id, name, type) VALUES (${ds}, 'detection', 'object-detection')
     RETURNING task_id`,
  );
  await db.run(
    `INSERT INTO winnow.categories SELECT ${taskId}, c - 1, ${sqlList(COCO)}[c] FROM range(1, ${COCO.length + 1}) r(c)`,
  );
  // Three boxes per sample; classes follow a long tail (person ≈ 11 %, the rarest ≈ 0.1 %).
  await step(
    `predictions (${3 * n})`,
    `INSERT INTO winnow.predictions (sample_id, task_id, category_id, score, box)
     SELECT i, ${taskId}, least(79, floor(80 * ${u('j', 20)} * ${u('j', 20)}))::INTEGER, ${u('j', 21)}::FLOAT,
       [x, y, bw, bh]::FLOAT[4]
     FROM (SELECT j, i, w * ${u('j', 22)} * 0.8 AS x, h * ${u('j', 23)} * 0.8 AS y,
             greatest(4, (w - w * 0.8) * ${u('j', 24)} + 4) AS bw, greatest(4, (h - h * 0.8) * ${u('j', 25)} + 4) AS bh
           FROM (SELECT j, j // 3 + 1 AS i, ${width('(j // 3 + 1)')} AS w, ${height('(j // 3 + 1)')} AS h
                 FROM range(0, ${3 * n}) r(j)))`,
  );

  // Tags with a history that replays to their members:
  //   train: v1 adds ≈ 11 % of samples, v2 removes ≈ 9 % of those (≈ 1.0M members at 10M);
  //   val: v1 adds ≈ 1 %; reviewed: v1 adds ≈ 0.1 %.
  const tagDefs = [
    { name: 'train', pick: `hash(i, 30) % 100 < 11`, remove: `hash(i, 31) % 100 < 9` },
    { name: 'val', pick: `hash(i, 30) % 100 = 11` },
    { name: 'reviewed', pick: `hash(i, 32) % 1000 = 0` },
  ];
  for (const tag of tagDefs) {
    const versions = tag.remove ? 2 : 1;
    const tagId = await db.value(
      `INSERT INTO winnow.tags (dataset_id, name, origin, version, created_at)
       VALUES (${ds}, '${tag.name}', '{"kind":"bench"}', ${versions}, ${now}) RETURNING tag_id`,
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
        `INSERT INTO winnow.tag_history SELECT ${tagId}, 2, sample_id, false FROM winnow.tag_history
         WHERE tag_id = ${tagId} AND version = 1 AND ${tag.remove.replaceAll('(i,', '(sample_id,')}`,
      );
    }
    // Members are the replay of the history: the last event per sample decides.
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
  const dir = join(OUT, `queries-${N}`);
  const sidecar = join(dir, 'generated.json');
  const expected = expectedCounts(N);
  if (!args.regenerate && existsSync(sidecar)) {
    const info = JSON.parse(readFileSync(sidecar, 'utf8'));
    if (info.generatorVersion === GENERATOR_VERSION) {
      const ws = await openWorkspace(dir);
      const counts = await actualCounts(ws.db);
      if (Object.entries(expected).every(([k, v]) => counts[k] === v)) {
        log(`reusing ${dir} (generated in ${info.generationSeconds} s)`);
        return {
          ws,
          generation: { cached: true, seconds: info.generationSeconds, peakRssBytes: info.peakRssBytes },
        };
      }
      log(`cached counts ${JSON.stringify(counts)} differ from ${JSON.stringify(expected)}; regenerating`);
      ws.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating ${N} samples into ${dir}`);
  const started = performance.now();
  const ws = await openWorkspace(dir);
  await generate(ws, N);
  const counts = await actualCounts(ws.db);
  for (const [k, v] of Object.entries(expected)) {
    if (counts[k] !== v) throw new Error(`generated ${counts[k]} ${k}, expected ${v}`);
  }
  const seconds = round((performance.now() - started) / 1000, 1);
  sampleRss();
  const peakRssBytes = Math.max(rss.peak, procStatus('VmHWM') ?? 0);
  writeFileSync(
    sidecar,
    JSON.stringify({
      generatorVersion: GENERATOR_VERSION,
      samples: N,
      counts,
      generationSeconds: seconds,
      peakRssBytes,
    }),
  );
  log(`generated in ${seconds} s`);
  return { ws, generation: { cached: false, seconds, peakRssBytes } };
}

// ---- queries ---------------------------------------------------------------------------------

const BRIGHTNESS = [0.3, 0.4];
const TAG = 'train';
const TASK = 'detection';
const CLASS = 'person';
const K = 100;
const PAGE = 100;
const OFFSET = Math.min(500_000, Math.floor(N / 2)); // smaller only for smoke runs (--samples)

/**
 * Each query is a list of statements run one after another (a count and its first page);
 * the latency is the time for all of them. `views` goes through main.*, `raw` through winnow.*.
 */
const QUERIES = {
  a_metadata_range_and_tag: {
    description: `brightness in [${BRIGHTNESS}] and in tag '${TAG}': count + first ${PAGE} filenames by sample_id`,
    views: () => {
      const hits = `FROM samples s
        WHERE s.sample_id IN (SELECT sample_id FROM metadata WHERE key = 'brightness'
                                AND value_num BETWEEN ${BRIGHTNESS[0]} AND ${BRIGHTNESS[1]})
          AND s.sample_id IN (SELECT sample_id FROM tag_members WHERE tag = '${TAG}')`;
      return [
        `SELECT count(*) AS n ${hits}`,
        `SELECT s.sample_id, s.filename ${hits} ORDER BY s.sample_id LIMIT ${PAGE}`,
      ];
    },
    raw: (ids) => {
      const hits = `FROM winnow.samples s
        WHERE s.dataset_id = ${ids.dataset} AND s.status <> 'removed'
          AND s.sample_id IN (SELECT sample_id FROM winnow.metadata WHERE dataset_id = ${ids.dataset}
                                AND key = 'brightness' AND value_num BETWEEN ${BRIGHTNESS[0]} AND ${BRIGHTNESS[1]})
          AND s.sample_id IN (SELECT sample_id FROM winnow.tag_members WHERE tag_id = ${ids.tag})`;
      return [
        `SELECT count(*) AS n ${hits}`,
        `SELECT s.sample_id, s.path AS filename ${hits} ORDER BY s.sample_id LIMIT ${PAGE}`,
      ];
    },
  },
  b_boxes_per_class: {
    description: `number of boxes per class of task '${TASK}', with class names`,
    views: () => [
      `SELECT category, count(*) AS boxes FROM predictions WHERE task = '${TASK}' GROUP BY category ORDER BY boxes DESC, category`,
    ],
    raw: (ids) => [
      `SELECT c.name AS category, p.boxes
       FROM (SELECT category_id, count(*) AS boxes FROM winnow.predictions WHERE task_id = ${ids.task} GROUP BY ALL) p
       LEFT JOIN winnow.categories c ON c.task_id = ${ids.task} AND c.category_id = p.category_id
       ORDER BY boxes DESC, category`,
    ],
  },
  c_top_k_by_score: {
    description: `top ${K} samples by their best '${TASK}' score, with filenames`,
    // Exact: the best K samples are among the best 10·K predictions whenever those span ≥ K samples
    // (checked below); this keeps the query a top-N instead of a 10M-group aggregate.
    views: () => [
      `WITH best AS (SELECT sample_id, score FROM predictions WHERE task = '${TASK}' ORDER BY score DESC LIMIT ${10 * K}),
         per_sample AS (SELECT sample_id, max(score) AS score, count(*) OVER () AS distinct_samples
                        FROM best GROUP BY sample_id ORDER BY score DESC, sample_id LIMIT ${K})
       SELECT p.sample_id, s.filename, p.score, p.distinct_samples
       FROM per_sample p JOIN samples s USING (sample_id) ORDER BY p.score DESC, p.sample_id`,
    ],
    raw: (ids) => [
      `WITH best AS (SELECT sample_id, score FROM winnow.predictions WHERE task_id = ${ids.task}
                     ORDER BY score DESC LIMIT ${10 * K}),
         per_sample AS (SELECT sample_id, max(score) AS score, count(*) OVER () AS distinct_samples
                        FROM best GROUP BY sample_id ORDER BY score DESC, sample_id LIMIT ${K})
       SELECT p.sample_id, s.path AS filename, p.score, p.distinct_samples
       FROM per_sample p JOIN winnow.samples s USING (sample_id) ORDER BY p.score DESC, p.sample_id`,
    ],
    check: (results) => {
      const rows = results[0];
      if (rows.length !== K) throw new Error(`top-k returned ${rows.length} rows`);
      if (rows[0].distinct_samples < K) throw new Error('top-k window spans fewer than K samples; widen it');
    },
  },
  d_class_low_score: {
    description: `samples with a '${CLASS}' box scored < 0.5: count + first ${PAGE} filenames by sample_id`,
    views: () => {
      const hits = `FROM samples s WHERE s.sample_id IN (SELECT sample_id FROM predictions
        WHERE task = '${TASK}' AND category = '${CLASS}' AND score < 0.5)`;
      return [
        `SELECT count(*) AS n ${hits}`,
        `SELECT s.sample_id, s.filename ${hits} ORDER BY s.sample_id LIMIT ${PAGE}`,
      ];
    },
    raw: (ids) => {
      const hits = `FROM winnow.samples s WHERE s.dataset_id = ${ids.dataset} AND s.status <> 'removed'
        AND s.sample_id IN (SELECT sample_id FROM winnow.predictions
          WHERE task_id = ${ids.task} AND category_id = ${ids.category} AND score < 0.5)`;
      return [
        `SELECT count(*) AS n ${hits}`,
        `SELECT s.sample_id, s.path AS filename ${hits} ORDER BY s.sample_id LIMIT ${PAGE}`,
      ];
    },
  },
  e_page_at_offset: {
    description: `${PAGE} samples at offset ${OFFSET} ordered by sample_id`,
    views: () => [
      `SELECT sample_id, filename FROM samples ORDER BY sample_id LIMIT ${PAGE} OFFSET ${OFFSET}`,
    ],
    raw: (ids) => [
      `SELECT sample_id, path AS filename FROM winnow.samples WHERE dataset_id = ${ids.dataset} AND status <> 'removed'
       ORDER BY sample_id LIMIT ${PAGE} OFFSET ${OFFSET}`,
    ],
    check: (results) => {
      const rows = results[0];
      if (rows.length !== PAGE || rows[0].sample_id !== OFFSET + 1)
        throw new Error('page at offset is wrong');
    },
  },
};

async function runStatements(db, statements) {
  const results = [];
  for (const sql of statements) results.push(await db.all(sql));
  return results;
}

async function measure(db, statements, check) {
  const warm = await runStatements(db, statements); // warm-up, also the result we check
  check?.(warm);
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    await runStatements(db, statements);
    times.push(performance.now() - t);
  }
  return { times, result: warm };
}

function summarize(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const pick = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50_ms: round(pick(0.5), 1), p95_ms: round(pick(0.95), 1), min_ms: round(sorted[0], 1) };
}

async function explain(db, name, variant, statements) {
  const dir = join(OUT, 'explain');
  mkdirSync(dir, { recursive: true });
  const text = [];
  for (const sql of statements) {
    const rows = await db.all(`EXPLAIN ANALYZE ${sql}`);
    text.push(`-- ${sql.replace(/\s+/g, ' ')}\n${rows.map((r) => r.explain_value).join('\n')}`);
  }
  writeFileSync(join(dir, `${name}.${variant}.txt`), text.join('\n\n'));
}

// ---- main ------------------------------------------------------------------------------------

const { ws, generation } = await prepare();
const db = ws.db;
const ids = await db.one(`SELECT
  (SELECT dataset_id FROM winnow.datasets WHERE name = 'bench') AS dataset,
  (SELECT task_id FROM winnow.tasks WHERE name = '${TASK}') AS task,
  (SELECT tag_id FROM winnow.tags WHERE name = '${TAG}') AS tag,
  (SELECT category_id FROM winnow.categories c JOIN winnow.tasks t USING (task_id)
     WHERE t.name = '${TASK}' AND c.name = '${CLASS}') AS category`);
await db.run(`SET VARIABLE winnow_dataset_id = ${ids.dataset}`);

const peakResetOk = resetPeak();
const benchStarted = performance.now();
const queries = {};
for (const [name, q] of Object.entries(QUERIES)) {
  const views = await measure(db, q.views(ids), q.check);
  const entry = {
    description: q.description,
    ...summarize(views.times),
    target_p50_ms: TARGET_P50_MS,
    pass: false,
    rows: views.result.map((r) => r.length),
  };
  entry.pass = entry.p50_ms <= TARGET_P50_MS;
  if (views.result[0]?.[0] && 'n' in views.result[0][0]) entry.count = views.result[0][0].n;
  if (!args.noRaw) {
    const raw = await measure(db, q.raw(ids), q.check);
    entry.raw_tables = summarize(raw.times);
    if (JSON.stringify(raw.result) !== JSON.stringify(views.result))
      throw new Error(`${name}: views and raw differ`);
  }
  if (args.explain) {
    await explain(db, name, 'views', q.views(ids));
    if (!args.noRaw) await explain(db, name, 'raw', q.raw(ids));
  }
  queries[name] = entry;
  log(
    `${name}: p50 ${entry.p50_ms} ms, p95 ${entry.p95_ms} ms` +
      (entry.raw_tables ? ` (raw p50 ${entry.raw_tables.p50_ms})` : ''),
  );
}
sampleRss();
const vmHwm = procStatus('VmHWM');
const peakRssBytes = Math.max(rss.peak, vmHwm ?? 0);
const duckdbMemory = await db.all(
  `SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0 ORDER BY 2 DESC`,
);

const report = {
  benchmark: 'queries',
  machine: {
    cpu: (readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m) ?? [])[1] ?? 'unknown',
    cores: cpus().length,
    memory_bytes: totalmem(),
    node: process.version,
    duckdb: await db.value('SELECT version()'),
    duckdb_node_api: packageVersion('@duckdb/node-api'),
  },
  config: {
    samples: N,
    metadata_rows: 3 * N,
    prediction_rows: 3 * N,
    tag_sizes: Object.fromEntries(
      (await db.all('SELECT tag, size FROM tags ORDER BY tag_id')).map((r) => [r.tag, r.size]),
    ),
    duckdb_threads: DUCKDB_THREADS,
    duckdb_memory_limit: DUCKDB_MEMORY_LIMIT,
    runs: RUNS,
    warmup_runs: 1,
  },
  generation: { ...generation, seconds: generation.seconds },
  queries,
  memory: {
    peak_rss_bytes: peakRssBytes,
    sampled_peak_rss_bytes: rss.peak,
    vm_hwm_bytes: vmHwm,
    vm_hwm_covers: peakResetOk ? 'query phase (reset after generation/open)' : 'whole process',
    rss_samples: rss.samples,
    target_bytes: TARGET_RSS_BYTES,
    pass: peakRssBytes < TARGET_RSS_BYTES,
    duckdb_memory: Object.fromEntries(duckdbMemory.map((r) => [r.tag, r.memory_usage_bytes])),
  },
  bench_seconds: round((performance.now() - benchStarted) / 1000, 1),
  pass: Object.values(queries).every((q) => q.pass) && peakRssBytes < TARGET_RSS_BYTES,
};
ws.close();
const json = JSON.stringify(report, null, 2);
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'queries.json'), json + '\n');
process.stdout.write(json + '\n');

// ---- helpers ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--samples') out.samples = Number(argv[++i]);
    else if (a === '--runs') out.runs = Number(argv[++i]);
    else if (a === '--explain') out.explain = true;
    else if (a === '--regenerate') out.regenerate = true;
    else if (a === '--no-raw') out.noRaw = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

function packageVersion(name) {
  try {
    const main = fileURLToPath(import.meta.resolve(name));
    let dir = dirname(main);
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
