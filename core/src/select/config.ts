import { z } from 'zod';
import { InputError } from '../errors.js';
import type { Filter } from '../query/filter.js';
import {
  type ConfigProblem,
  configProblems,
  fieldMessage,
  fieldPath,
  parseConfig,
  parseFieldPath,
  readConfigFile,
} from '../util/config-file.js';

/**
 * The selection config, compatible with the Lightly Worker's `selection_config`: what to pick
 * (`n_samples` or `proportion_samples`), and strategies, each an input (where the numbers come
 * from) and a strategy (what to do with them). Winnow adds a `where` filter, a preselected tag,
 * object-level and sequence selection. Everything is checked before any work starts; an error
 * names the path of the bad field (`strategies[1].strategy.operation`).
 */

const INPUT_TYPES = ['EMBEDDINGS', 'SCORES', 'METADATA', 'PREDICTIONS', 'RANDOM'] as const;
const STRATEGY_TYPES = ['DIVERSITY', 'WEIGHTS', 'THRESHOLD', 'BALANCE', 'SIMILARITY', 'TYPICALITY'] as const;
/** Lightly's names and the symbols, both accepted. */
const OPERATIONS = {
  SMALLER: '<',
  SMALLER_EQUAL: '<=',
  BIGGER: '>',
  BIGGER_EQUAL: '>=',
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
} as const;
export type ThresholdOperation = (typeof OPERATIONS)[keyof typeof OPERATIONS];

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

// The descriptions go into the JSON Schema an editor completes from (selectionConfigJsonSchema).
const inputSchema = z
  .strictObject({
    type: z.enum(INPUT_TYPES).describe('where the numbers come from'),
    key: z
      .string()
      .min(1)
      .describe('METADATA: the metadata key; EMBEDDINGS: the embedding model (also `model`)')
      .optional(),
    model: z
      .string()
      .min(1)
      .describe('EMBEDDINGS: the embedding model, when the dataset has several')
      .optional(),
    task: z.string().min(1).describe('SCORES and PREDICTIONS: the prediction task').optional(),
    score: z
      .string()
      .min(1)
      .describe(
        'SCORES: max_score, min_score, mean_score, uncertainty_least_confidence, uncertainty_margin or uncertainty_entropy',
      )
      .optional(),
    name: z
      .enum(['CLASS_DISTRIBUTION', 'CATEGORY_COUNT'])
      .describe('PREDICTIONS: CLASS_DISTRIBUTION (for BALANCE) or CATEGORY_COUNT (with `category`)')
      .optional(),
    category: z.string().min(1).describe('PREDICTIONS with CATEGORY_COUNT: the class counted').optional(),
    tag_name: z
      .string()
      .min(1)
      .describe('EMBEDDINGS with SIMILARITY: the tag of the query samples')
      .optional(),
    random_seed: z.number().int().describe('RANDOM: the seed (default 0)').optional(),
    // LightlyOne names the dataset of a similarity query tag; here the query tag is in the same dataset.
    dataset_id: z.string().describe('LightlyOne: the query tag is in the same dataset here').optional(),
  })
  .describe('where the numbers come from');

const strategySchema = z
  .strictObject({
    type: z.enum(STRATEGY_TYPES).describe('what to do with the input'),
    strength: finite.describe('how much it weighs (default 1; negative prefers low values)').optional(),
    threshold: finite.describe('THRESHOLD: the value compared with').optional(),
    operation: z
      .enum(Object.keys(OPERATIONS) as [keyof typeof OPERATIONS, ...(keyof typeof OPERATIONS)[]])
      .describe('THRESHOLD: how the value compares with `threshold`')
      .optional(),
    target: z
      .record(z.string(), finite.min(0).max(1))
      .describe('BALANCE: the share of each class, 0 to 1 (the rest share what is left)')
      .optional(),
    distribution: z
      .enum(['TARGET', 'UNIFORM', 'INPUT'])
      .describe('BALANCE: TARGET (with `target`), UNIFORM, or INPUT (the shares among the items)')
      .optional(),
    stopping_condition_minimum_distance: finite
      .min(0)
      .describe('DIVERSITY: stop once the next pick is closer than this to those picked')
      .optional(),
    num_nearest_neighbors: z
      .number()
      .int()
      .min(1)
      .describe('TYPICALITY: the neighbours that measure density (default 20)')
      .optional(),
  })
  .describe('what to do with the input');

const configSchema = z
  .strictObject({
    n_samples: z.number().int().min(1).describe('how many new samples to pick').optional(),
    proportion_samples: finite
      .gt(0)
      .max(1)
      .describe("instead of n_samples: the share of the dataset's items to pick")
      .optional(),
    strategies: z
      .array(z.strictObject({ input: inputSchema, strategy: strategySchema }))
      .min(1)
      .describe('each an input and a strategy; a pick weighs them all'),
    /** A structured filter (query/filter.ts) or an SQL condition over the `samples` view. */
    where: z
      .union([z.string().min(1), z.record(z.string(), z.unknown())])
      .describe('only the items meeting this: an SQL condition over the samples view, or a structured filter')
      .optional(),
    preselected_tag: z
      .string()
      .min(1)
      .describe('samples already chosen: they count as picked and are not returned')
      .optional(),
    object_level: z
      .boolean()
      .describe('select object crops (samples of kind crop) instead of whole images')
      .optional(),
    sequence_length: z
      .number()
      .int()
      .min(1)
      .describe("select runs of this many consecutive video frames, each scored by its frames' mean")
      .optional(),
  })
  .describe('a selection config (docs/selection.md), Lightly Worker compatible');

export type InputConfig = z.infer<typeof inputSchema>;

/** One strategy, checked and with its defaults filled in. */
export type Strategy =
  | { kind: 'diversity'; index: number; model?: string; strength: number; minDistance: number }
  | { kind: 'typicality'; index: number; model?: string; strength: number; k: number }
  | { kind: 'similarity'; index: number; model?: string; strength: number; queryTag: string }
  | { kind: 'weights'; index: number; input: ValueInput; strength: number }
  | { kind: 'threshold'; index: number; input: ValueInput; operation: ThresholdOperation; threshold: number }
  | {
      kind: 'balance';
      index: number;
      input: ClassInput;
      strength: number;
      distribution: 'TARGET' | 'UNIFORM' | 'INPUT';
      target: Record<string, number>;
    };

/** Where a per-sample number comes from. */
export type ValueInput =
  | { type: 'SCORES'; task: string; score: string }
  | { type: 'METADATA'; key: string }
  | { type: 'CATEGORY_COUNT'; task: string; category: string }
  | { type: 'RANDOM'; seed: number };

/** Where a per-sample class distribution comes from. */
export type ClassInput = { type: 'CLASS_DISTRIBUTION'; task: string } | { type: 'METADATA'; key: string };

export interface SelectionConfig {
  /** Exactly one of the two. */
  nSamples?: number;
  proportion?: number;
  strategies: Strategy[];
  where?: Filter | string;
  preselectedTag?: string;
  level: 'samples' | 'objects' | 'sequences';
  sequenceLength?: number;
  /** The config as given, for the run record and the report. */
  raw: unknown;
}

/** Reads a config file (YAML or JSON) and checks it. */
export async function readSelectionConfig(file: string): Promise<SelectionConfig> {
  const { display, raw } = await readConfigFile(file);
  return checkSelectionConfig(raw, display);
}

/** Checks a parsed config; `source` names it in errors. */
export function checkSelectionConfig(raw: unknown, source = 'selection config'): SelectionConfig {
  const { body, within } = selectionBody(raw);
  const prefix = within.length ? `${fieldPath(within)}.` : '';
  const config = parseConfig(configSchema, body, source, prefix);
  const fail = (path: string, detail: string): never => {
    throw new InputError(source, prefix + path, detail);
  };
  if ((config.n_samples === undefined) === (config.proportion_samples === undefined)) {
    fail('n_samples', 'give exactly one of n_samples and proportion_samples');
  }
  if (config.object_level && config.sequence_length !== undefined) {
    fail('sequence_length', 'object_level and sequence_length cannot be combined');
  }
  if (
    config.sequence_length !== undefined &&
    config.n_samples !== undefined &&
    config.n_samples % config.sequence_length
  ) {
    fail(
      'n_samples',
      `${config.n_samples} frames is not a whole number of sequences of ${config.sequence_length}`,
    );
  }
  return {
    nSamples: config.n_samples,
    proportion: config.proportion_samples,
    strategies: config.strategies.map((s, index) => toStrategy(s.input, s.strategy, index, fail)),
    where: config.where as Filter | string | undefined,
    preselectedTag: config.preselected_tag,
    level: config.object_level ? 'objects' : config.sequence_length !== undefined ? 'sequences' : 'samples',
    sequenceLength: config.sequence_length,
    raw: body,
  };
}

/**
 * Every problem of a parsed config, for an editor to mark each at its field: all the schema's,
 * or, once the shape is right, the first of the checks across fields (checkSelectionConfig's,
 * which the CLI reports). Each message is the CLI's less the file name.
 */
export function selectionConfigProblems(raw: unknown): ConfigProblem[] {
  const { body, within } = selectionBody(raw);
  const shape = configProblems(configSchema, body, within);
  if (shape.length) return shape;
  try {
    checkSelectionConfig(raw);
    return [];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return [{ path: parseFieldPath(error.field ?? ''), message: fieldMessage(error.field, error.detail) }];
  }
}

/**
 * The config as JSON Schema (draft 7, which the YAML extension reads too), from the same zod
 * schema: a selection config, or a whole Lightly Worker config with one under `selection_config`.
 */
export function selectionConfigJsonSchema(): Record<string, unknown> {
  const { $schema, ...config } = z.toJSONSchema(configSchema, { target: 'draft-7', io: 'input' });
  const ref = { $ref: '#/definitions/SelectionConfig' };
  return {
    $schema,
    title: 'Winnow selection config',
    anyOf: [ref, { type: 'object', required: ['selection_config'], properties: { selection_config: ref } }],
    definitions: { SelectionConfig: config },
  };
}

/** The selection in a parsed file: a whole Lightly Worker config carries it under `selection_config`. */
function selectionBody(raw: unknown): { body: unknown; within: string[] } {
  return raw && typeof raw === 'object' && 'selection_config' in raw
    ? { body: (raw as { selection_config: unknown }).selection_config, within: ['selection_config'] }
    : { body: raw, within: [] };
}

type Fail = (path: string, detail: string) => never;

/** Which strategies each input feeds, and how. */
function toStrategy(
  input: InputConfig,
  strategy: z.infer<typeof strategySchema>,
  index: number,
  fail: Fail,
): Strategy {
  const at = `strategies[${index}]`;
  const strength = strategy.strength ?? 1;
  const need = <K extends keyof InputConfig>(key: K): NonNullable<InputConfig[K]> =>
    input[key] ?? fail(`${at}.input.${key}`, `required for ${input.type} with ${strategy.type}`);
  const unsupported = (): never =>
    fail(
      `${at}.strategy.type`,
      `${strategy.type} does not take ${input.type === 'PREDICTIONS' && input.name ? `${input.name} ` : ''}${input.type} input`,
    );
  const model = input.model ?? input.key;

  if (input.type === 'EMBEDDINGS') {
    if (strategy.type === 'DIVERSITY') {
      return {
        kind: 'diversity',
        index,
        model,
        strength,
        minDistance: strategy.stopping_condition_minimum_distance ?? 0,
      };
    }
    if (strategy.type === 'TYPICALITY') {
      return { kind: 'typicality', index, model, strength, k: strategy.num_nearest_neighbors ?? 20 };
    }
    if (strategy.type === 'SIMILARITY')
      return { kind: 'similarity', index, model, strength, queryTag: need('tag_name') };
    return unsupported();
  }
  if (strategy.type === 'BALANCE') {
    const classes: ClassInput =
      input.type === 'METADATA'
        ? { type: 'METADATA', key: need('key') }
        : input.type === 'PREDICTIONS' && (input.name ?? 'CLASS_DISTRIBUTION') === 'CLASS_DISTRIBUTION'
          ? { type: 'CLASS_DISTRIBUTION', task: need('task') }
          : unsupported();
    const distribution = strategy.distribution ?? (strategy.target ? 'TARGET' : 'UNIFORM');
    if (distribution === 'TARGET') {
      const target = strategy.target ?? fail(`${at}.strategy.target`, 'required with distribution TARGET');
      const sum = Object.values(target).reduce((a, b) => a + b, 0);
      if (sum > 1 + 1e-6)
        fail(`${at}.strategy.target`, `the fractions add up to ${Number(sum.toFixed(6))}, more than 1`);
    } else if (strategy.target) {
      fail(`${at}.strategy.target`, `only with distribution TARGET (this one is ${distribution})`);
    }
    return { kind: 'balance', index, input: classes, strength, distribution, target: strategy.target ?? {} };
  }
  const value: ValueInput =
    input.type === 'SCORES'
      ? { type: 'SCORES', task: need('task'), score: need('score') }
      : input.type === 'METADATA'
        ? { type: 'METADATA', key: need('key') }
        : input.type === 'RANDOM'
          ? { type: 'RANDOM', seed: input.random_seed ?? 0 }
          : input.name === 'CATEGORY_COUNT'
            ? { type: 'CATEGORY_COUNT', task: need('task'), category: need('category') }
            : unsupported();
  if (strategy.type === 'WEIGHTS') return { kind: 'weights', index, input: value, strength };
  if (strategy.type === 'THRESHOLD') {
    if (value.type === 'RANDOM') return unsupported();
    const threshold = strategy.threshold ?? fail(`${at}.strategy.threshold`, 'required for THRESHOLD');
    const operation =
      OPERATIONS[strategy.operation ?? fail(`${at}.strategy.operation`, 'required for THRESHOLD')];
    return { kind: 'threshold', index, input: value, operation, threshold };
  }
  return unsupported();
}
