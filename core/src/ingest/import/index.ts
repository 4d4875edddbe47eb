/**
 * Importers: labels and metadata made elsewhere, attached to a dataset's samples. Each one
 * validates its whole input before writing, writes in one transaction, and records a run.
 */
export { type CocoOptions, importCoco } from './coco.js';
export type { ImportSummary, ImportTarget, TaskType } from './common.js';
export { type EmbeddingsOptions, importEmbeddings } from './embeddings.js';
export { importLightlyMetadata, importLightlyPredictions } from './lightly.js';
export { type ImportSource, runImport } from './run.js';
export { importMetadataTable, type TableOptions } from './tables.js';
export { importYolo, type YoloOptions } from './yolo.js';
