/**
 * The selection panel's form as a selection config (docs/selection.md: the Lightly Worker's
 * `selection_config`, with Winnow's `where`), as the server's `select` job takes it.
 */

export interface SelectionForm {
  diversity: boolean;
  typicality: boolean;
  balance: boolean;
  random: boolean;
  n: number;
  /** The embedding model, when the dataset has several. */
  model?: string;
  /** The prediction task whose classes to balance. */
  balanceTask?: string;
  randomSeed?: number;
  /** A condition over the samples view: only samples meeting it are picked. */
  where?: string;
}

export type Scope = 'all' | 'query' | 'selection';

export function selectionConfig(form: SelectionForm): Record<string, unknown> {
  if (!Number.isInteger(form.n) || form.n < 1) throw new Error('samples: a whole number of at least 1');
  const strategies = strategiesOf(form);
  if (!strategies.length) throw new Error('strategies: choose at least one');
  return { n_samples: form.n, ...(form.where ? { where: form.where } : {}), strategies };
}

function strategiesOf(form: SelectionForm): object[] {
  const embeddings = { type: 'EMBEDDINGS', ...(form.model ? { model: form.model } : {}) };
  const strategies: object[] = [];
  if (form.diversity) strategies.push({ input: embeddings, strategy: { type: 'DIVERSITY' } });
  if (form.typicality) strategies.push({ input: embeddings, strategy: { type: 'TYPICALITY' } });
  if (form.balance) {
    if (!form.balanceTask) throw new Error('class balance: the dataset has no predictions to balance');
    strategies.push({
      input: { type: 'PREDICTIONS', task: form.balanceTask, name: 'CLASS_DISTRIBUTION' },
      strategy: { type: 'BALANCE', distribution: 'UNIFORM' },
    });
  }
  if (form.random) {
    strategies.push({
      input: { type: 'RANDOM', random_seed: form.randomSeed ?? 0 },
      strategy: { type: 'WEIGHTS' },
    });
  }
  return strategies;
}

/** More ids than this make an unwieldy condition: tag the selection and select within the tag instead. */
export const MAX_SCOPE_IDS = 50_000;

/** The condition that keeps the picks within the current query or selection; undefined for all samples. */
export function scopeCondition(
  scope: Scope,
  where: string,
  selection: ArrayLike<number>,
): string | undefined {
  if (scope === 'all') return undefined;
  if (scope === 'query') return where.trim() || undefined;
  if (!selection.length) throw new Error('within: nothing is selected');
  if (selection.length > MAX_SCOPE_IDS) {
    throw new Error(
      `within: ${selection.length} selected samples is too many; tag them and select within the tag`,
    );
  }
  return `sample_id IN (${Array.from(selection).join(', ')})`;
}

/** The edited config text as an object, with the JSON error in one line. */
export function parseConfigText(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`config: not valid JSON (${(error as Error).message})`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('config: expected an object');
  return parsed as Record<string, unknown>;
}
