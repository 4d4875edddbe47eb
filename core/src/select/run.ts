import { createHash } from 'node:crypto';
import type { SelectionStrategy } from '@winnow-curate/native';
import * as native from '@winnow-curate/native';
import { type LongTaskOptions, throwIfAborted, WinnowError } from '../errors.js';
import { openWorkArea } from '../storage/open.js';
import type { Secrets } from '../storage/options.js';
import { type EmbeddingModel, findModel, loadVectors } from '../store/embeddings.js';
import { finishRun, startRun } from '../store/runs.js';
import type { Dataset, Workspace } from '../store/workspace.js';
import { checkName, Tags } from '../tags/tags.js';
import type { SelectionConfig, Strategy } from './config.js';
import { type Funnel, ITEMS, keepItems, numberItems, stageItems, startItems } from './items.js';
import { type ReportInput, type StrategyReport, writeReports } from './report.js';
import {
  itemClassRows,
  itemValues,
  type ResolvedClasses,
  type ResolvedValue,
  resolveClasses,
  resolveValue,
  stageItemValues,
} from './values.js';

export interface SelectOptions extends LongTaskOptions {
  /** The tag the selection becomes: a new tag, or the next version of an existing one. */
  tag: string;
  /** Credentials for the work location (where the report goes), held in memory only. */
  secrets?: Secrets;
}

export interface SelectionResult {
  run_id: string;
  tag: string;
  /** The tag's version holding this run's picks: 1 for a new tag, more when it existed. */
  tag_version: number;
  dataset: string;
  /** Samples selected by this run, in pick order (a sequence's frames together). */
  selected: number;
  filenames: string[];
  /** Why selection stopped: the count was reached, a stopping condition held, or nothing was left. */
  stopped_by: 'count' | 'minDistance' | 'exhausted';
  funnel: Funnel;
  report: { json: string; html: string };
  seconds: number;
}

/** A strategy with what it was resolved to before any work. */
type Prepared =
  | { strategy: Strategy & { kind: 'weights' | 'threshold' }; value: ResolvedValue }
  | { strategy: Strategy & { kind: 'balance' }; classes: ResolvedClasses }
  | { strategy: Strategy & { kind: 'diversity' | 'typicality' | 'similarity' }; model: EmbeddingModel };

/**
 * Runs a selection: checks every reference in the config, narrows the items (where, thresholds,
 * missing inputs), hands the numbers to the native core, and stores the picks as a run and as the
 * tag (a new one, or the next version of an existing one), with report.json and report.html
 * under `.winnow/runs/<run_id>/` in the work location.
 */
export async function runSelection(
  ws: Workspace,
  dataset: Dataset,
  config: SelectionConfig,
  options: SelectOptions,
): Promise<SelectionResult> {
  const started = performance.now();
  const db = ws.db;
  const tags = new Tags(ws, dataset);
  checkName(options.tag);
  const prepared = await prepare(ws, dataset, config);
  const runId = await db.transaction(() => startRun(db, dataset.id, 'selection', config.raw));
  const timings: Record<string, number> = {};
  const time = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    options.onProgress?.({ phase, done: 0 });
    const result = await work();
    timings[phase] = (performance.now() - t0) / 1000;
    throwIfAborted(options.signal);
    return result;
  };
  try {
    const funnel = await time('filter', async () => {
      await stageItems(db, dataset, config);
      const counts = await startItems(ws, dataset, config);
      await applyFilters(db, prepared, counts);
      return counts;
    });
    const { n, preselected } = await numberItems(db);
    const inputs = await time('inputs', () => buildStrategies(ws, prepared, n, options));
    const available = n - preselected.length;
    const wanted =
      config.nSamples !== undefined
        ? config.nSamples / (config.sequenceLength ?? 1)
        : Math.round((config.proportion ?? 0) * funnel.items);
    const count = Math.min(wanted, available);
    const picked = await time('select', () =>
      native.selectSamples(
        n,
        count,
        inputs.map((i) => i.native),
        {
          preselected,
          onProgress: (done, total) => options.onProgress?.({ phase: 'select', done, total }),
        },
        options.signal,
      ),
    );
    const stoppedBy = picked.stoppedBy === 'count' && count < wanted ? 'exhausted' : picked.stoppedBy;
    const fingerprint = fingerprintOf(config.raw, inputs, preselected);
    const result = await time('store', () =>
      db.transaction(async () => {
        await db.run(
          `INSERT INTO winnow.run_samples (run_id, sample_id, rank)
           SELECT ?, p.sample_id, r.rank FROM (SELECT unnest(?::INTEGER[]) AS position, generate_subscripts(?::INTEGER[], 1) AS rank) r
           JOIN temp.select_positions p USING (position) ORDER BY r.rank, p.sample_id`,
          [runId, JSON.stringify(Array.from(picked.indices)), JSON.stringify(Array.from(picked.indices))],
        );
        const { tag } = await tags.replace(options.tag, { run: runId });
        const rows = await db.all<{ path: string }>(
          `SELECT s.path FROM winnow.run_samples r JOIN winnow.samples s USING (sample_id)
           WHERE r.run_id = ? ORDER BY r.rank, s.sample_id`,
          [runId],
        );
        return { filenames: rows.map((r) => r.path), version: tag.version };
      }),
    );
    const reportInput: ReportInput = {
      runId,
      dataset: dataset.name,
      tag: options.tag,
      config: config.raw,
      fingerprint,
      funnel,
      counts: {
        items: n,
        preselected: preselected.length,
        requested: wanted,
        selected: picked.indices.length,
      },
      stoppedBy,
      timings,
      strategies: inputs.map((i) => i.report),
      picked: picked.indices,
    };
    const report = await writeReports(await openWorkArea(dataset.work, options.secrets), reportInput);
    const seconds = (performance.now() - started) / 1000;
    const stats = {
      tag: options.tag,
      tag_version: result.version,
      fingerprint,
      funnel,
      counts: reportInput.counts,
      selected_samples: result.filenames.length,
      stopped_by: stoppedBy,
      timings,
      seconds,
      report,
    };
    await db.transaction(() => finishRun(db, runId, { status: 'done', stats }));
    return {
      run_id: runId,
      tag: options.tag,
      tag_version: result.version,
      dataset: dataset.name,
      selected: result.filenames.length,
      filenames: result.filenames,
      stopped_by: stoppedBy,
      funnel,
      report,
      seconds,
    };
  } catch (error) {
    const cancelled =
      (error instanceof WinnowError && error.code === 'cancelled') || (error as Error)?.name === 'AbortError';
    const message = error instanceof Error ? error.message : String(error);
    await db.transaction(() =>
      finishRun(db, runId, { status: cancelled ? 'cancelled' : 'failed', error: message }),
    );
    if (cancelled && !(error instanceof WinnowError)) throw new WinnowError('cancelled', 'cancelled');
    throw error;
  } finally {
    await db.run('DROP TABLE IF EXISTS temp.select_positions');
  }
}

/** Resolves every reference (models, tasks, keys, categories, tags) so a bad config fails before work. */
async function prepare(ws: Workspace, dataset: Dataset, config: SelectionConfig): Promise<Prepared[]> {
  const db = ws.db;
  const prepared: Prepared[] = [];
  for (const strategy of config.strategies) {
    const path = `strategies[${strategy.index}]`;
    if (strategy.kind === 'weights' || strategy.kind === 'threshold') {
      prepared.push({ strategy, value: await resolveValue(db, dataset, strategy.input, path) });
    } else if (strategy.kind === 'balance') {
      const classes = await resolveClasses(db, dataset, strategy.input, path);
      for (const name of Object.keys(strategy.target)) {
        if (!classes.classes.includes(name)) {
          throw new WinnowError(
            'invalid_argument',
            `${path}.strategy.target: '${name}' is not a class of ${classes.describe} (classes: ${classes.classes.slice(0, 30).join(', ')})`,
          );
        }
      }
      if (classes.classes.length === 0) {
        throw new WinnowError('invalid_input', `${path}.input: ${classes.describe} has no classes`);
      }
      prepared.push({ strategy, classes });
    } else {
      const model = await findModel(db, dataset, strategy.model).catch((error: Error) => {
        throw new WinnowError('invalid_argument', `${path}.input: ${error.message}`);
      });
      if (strategy.kind === 'similarity') await new Tags(ws, dataset).members(strategy.queryTag);
      prepared.push({ strategy, model });
    }
  }
  return prepared;
}

/** Thresholds and missing values narrow the items; counts go to the funnel. */
async function applyFilters(db: Workspace['db'], prepared: Prepared[], funnel: Funnel): Promise<void> {
  for (const p of prepared) {
    const label = `strategies[${p.strategy.index}]`;
    if ('value' in p) {
      const table = `select_values_${p.strategy.index}`;
      await stageItemValues(db, p.value, table);
      if (p.strategy.kind === 'threshold') {
        const { operation, threshold } = p.strategy;
        funnel.thresholds[label] = await keepItems(
          db,
          `SELECT item FROM temp.${table} WHERE value ${operation} ${Number(threshold)}`,
        );
      } else {
        funnel.missing[label] = await keepItems(
          db,
          `SELECT item FROM temp.${table} WHERE value IS NOT NULL AND isfinite(value)`,
        );
      }
      await db.run(`DROP TABLE temp.${table}`);
    } else if ('model' in p) {
      const table = `winnow.embeddings_${Number(p.model.id)}`;
      // An item whose samples lack a vector cannot be placed; it is left out (and counted).
      funnel.missing[label] = await keepItems(
        db,
        `SELECT m.item FROM temp.select_members m JOIN temp.${ITEMS} USING (item) LEFT JOIN ${table} e USING (sample_id)
         GROUP BY m.item HAVING count(*) = count(e.sample_id)`,
      );
    }
  }
}

interface BuiltStrategy {
  native: SelectionStrategy;
  /** The arrays the fingerprint covers. */
  data: ArrayBufferView[];
  report: StrategyReport;
}

async function buildStrategies(
  ws: Workspace,
  prepared: Prepared[],
  n: number,
  options: SelectOptions,
): Promise<BuiltStrategy[]> {
  const db = ws.db;
  const vectorsOf = new Map<number, { vectors: Float32Array; dim: number }>();
  const itemVectors = async (model: EmbeddingModel) => {
    const cached = vectorsOf.get(model.id);
    if (cached) return cached;
    const built = { vectors: await meanVectors(db, model, n), dim: model.dim };
    vectorsOf.set(model.id, built);
    return built;
  };
  const built: BuiltStrategy[] = [];
  for (const p of prepared) {
    const { strategy } = p;
    const base = { index: strategy.index, kind: strategy.kind };
    if (strategy.kind === 'threshold') continue;
    if ('value' in p) {
      const values = Float32Array.from(await itemValues(db, p.value, n));
      built.push({
        native: { type: 'weights', values, strength: strategy.strength },
        data: [values],
        report: { ...base, describe: p.value.describe, values },
      });
    } else if ('classes' in p && strategy.kind === 'balance') {
      const classes = await itemClassRows(db, p.classes, n);
      const { names, rows, target } = balanceTarget(p.classes.classes, classes, strategy);
      built.push({
        native: {
          type: 'balance',
          classes: rows,
          numClasses: names.length,
          target,
          strength: strategy.strength,
        },
        data: [rows, target],
        report: { ...base, describe: p.classes.describe, classes: { names, rows, target } },
      });
    } else if ('model' in p) {
      const strategy = p.strategy;
      const { vectors, dim } = await itemVectors(p.model);
      const describe = `${strategy.kind} on ${p.model.name} embeddings`;
      if (strategy.kind === 'diversity') {
        built.push({
          native: {
            type: 'diversity',
            embeddings: vectors,
            dim,
            strength: strategy.strength,
            minDistance: strategy.minDistance,
          },
          data: [vectors],
          report: { ...base, describe },
        });
      } else {
        const values =
          strategy.kind === 'similarity'
            ? await native.similarityWeights(
                vectors,
                await tagVectors(ws, p.model, strategy.queryTag),
                dim,
                {},
                options.signal,
              )
            : await native.typicality(vectors, dim, { k: Math.min(strategy.k, n - 1) }, options.signal);
        built.push({
          native: { type: 'weights', values, strength: strategy.strength },
          data: [vectors],
          report: { ...base, describe, values },
        });
      }
    }
  }
  return built;
}

/** Each item's embedding: its samples' mean (one sample: its vector), in position order. */
async function meanVectors(db: Workspace['db'], model: EmbeddingModel, n: number): Promise<Float32Array> {
  await db.run(
    'CREATE OR REPLACE TEMP TABLE select_vector_rows AS SELECT sample_id, position FROM temp.select_positions',
  );
  const rows = await loadVectors(db, model, 'select_vector_rows');
  await db.run('DROP TABLE temp.select_vector_rows');
  if (rows.ids.length === n) return rows.vectors;
  // Sequences: several rows per position, in position order; average them.
  const positions = await db.all<{ sample_id: number; position: number }>(
    'SELECT sample_id, position FROM temp.select_positions',
  );
  const positionOf = new Map(positions.map((p) => [p.sample_id, p.position]));
  const dim = model.dim;
  const sums = new Float32Array(n * dim);
  const counts = new Uint32Array(n);
  rows.ids.forEach((id, r) => {
    const p = positionOf.get(id)!;
    counts[p]!++;
    for (let j = 0; j < dim; j++) sums[p * dim + j]! += rows.vectors[r * dim + j]!;
  });
  for (let p = 0; p < n; p++) for (let j = 0; j < dim; j++) sums[p * dim + j]! /= counts[p]!;
  return sums;
}

async function tagVectors(ws: Workspace, model: EmbeddingModel, tag: string): Promise<Float32Array> {
  const dataset = { id: model.datasetId, name: '' };
  await ws.db.run(
    `CREATE OR REPLACE TEMP TABLE select_query_rows AS
     SELECT m.sample_id, m.sample_id AS position FROM winnow.tag_members m JOIN winnow.tags t USING (tag_id)
     WHERE t.dataset_id = ? AND t.name = ? AND t.deleted_at IS NULL`,
    [dataset.id, tag],
  );
  const rows = await loadVectors(ws.db, model, 'select_query_rows');
  await ws.db.run('DROP TABLE temp.select_query_rows');
  if (rows.ids.length === 0) {
    throw new WinnowError(
      'invalid_input',
      `similarity query tag '${tag}' has no samples with ${model.name} embeddings`,
    );
  }
  return rows.vectors;
}

/**
 * The class columns and target the balance runs on. TARGET names some classes; the rest are
 * merged into one column `other` that gets what is left of the target (and the target is
 * rescaled to 1 when nothing is left over for no class). UNIFORM gives every class the same
 * share; INPUT keeps the classes' shares among the items.
 */
function balanceTarget(
  classNames: string[],
  classes: Float32Array,
  strategy: Strategy & { kind: 'balance' },
): { names: string[]; rows: Float32Array; target: Float32Array } {
  const width = classNames.length;
  const n = classes.length / width;
  if (strategy.distribution !== 'TARGET') {
    const totals = new Float64Array(width);
    for (let i = 0; i < n; i++) for (let c = 0; c < width; c++) totals[c]! += classes[i * width + c]!;
    const sum = totals.reduce((a, b) => a + b, 0);
    const target =
      strategy.distribution === 'UNIFORM' || sum === 0
        ? new Float32Array(width).fill(1 / width)
        : Float32Array.from(totals, (t) => t / sum);
    return { names: classNames, rows: classes, target };
  }
  const named = classNames.filter((c) => c in strategy.target);
  const rest = classNames.filter((c) => !(c in strategy.target));
  const names = rest.length ? [...named, 'other'] : named;
  const columnOf = classNames.map((c) => (c in strategy.target ? named.indexOf(c) : named.length));
  const rows = new Float32Array(n * names.length);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < width; c++) rows[i * names.length + columnOf[c]!]! += classes[i * width + c]!;
  }
  const shares = named.map((c) => strategy.target[c]!);
  const given = shares.reduce((a, b) => a + b, 0);
  if (rest.length) shares.push(Math.max(0, 1 - given));
  const total = shares.reduce((a, b) => a + b, 0);
  return { names, rows, target: Float32Array.from(shares, (s) => s / total) };
}

/** SHA-256 over the config and every number the native core was given: equal fingerprints, equal inputs. */
function fingerprintOf(config: unknown, inputs: BuiltStrategy[], preselected: Uint32Array): string {
  const hash = createHash('sha256').update(JSON.stringify(config));
  for (const input of inputs) {
    for (const view of input.data) hash.update(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  }
  hash.update(new Uint8Array(preselected.buffer, preselected.byteOffset, preselected.byteLength));
  return `sha256:${hash.digest('hex')}`;
}
