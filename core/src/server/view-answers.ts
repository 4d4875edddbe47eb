/**
 * The answers of the routes the browser views ask instead of writing SQL over core's views
 * (docs/server.md, "What the views ask"). Types only: `widgets/src/api.ts` imports them with
 * `import type`, so the wire shapes are written once and a view bundle gains no code from core.
 */

/** A labeling task and its classes, in category id order (the imported model's order, then new ones). */
export interface TaskClasses {
  task: string;
  /** `classification`, `object-detection`, … as imported. */
  type: string;
  classes: string[];
}

/** A metadata key of the dataset and how its values are stored. */
export interface MetadataField {
  key: string;
  type: 'int' | 'float' | 'string' | 'bool';
  categorical: boolean;
}

/** What a dataset's views offer as choices: its tasks and classes, models and metadata keys. */
export interface DatasetVocabulary {
  /** Every task, by name. */
  tasks: TaskClasses[];
  /** Every class once, in the order of the first task (by task id) that has it. */
  classes: string[];
  /** The tasks with predictions, by name: what class balance can balance. */
  predictionTasks: string[];
  /** The embedding models with vectors for the dataset, by name. */
  models: string[];
  /** The metadata keys, by name. */
  metadataFields: MetadataField[];
}

/** Where a sample stands among the samples meeting a condition, in sample id order. */
export interface SamplePosition {
  /** Matching samples with a smaller id. */
  before: number;
  /** Whether the sample itself meets the condition. */
  matches: boolean;
  /** All matching samples. */
  total: number;
}

/** One quick filter of the query bar; `range` takes `[lo, hi]` and means `lo <= field < hi`. */
export interface FilterChip {
  field: string;
  op: '=' | '!=' | '<' | '<=' | '>' | '>=' | 'range';
  value: string | number | null | [number, number];
}

/** The query bar's condition: its chips and its SQL text made one `where` over the samples view. */
export interface QueryCondition {
  where: string;
}
