export { type DownloadOptions, downloadFile } from './download.js';
export { ImageEmbedder } from './embedder.js';
export {
  BUILTIN_MODELS,
  DEFAULT_MODEL,
  type ModelConfig,
  type ModelSpec,
  mirrored,
  modelConfigSchema,
  modelDir,
  resolveModel,
  type TextConfig,
  verifyModelFile,
} from './model.js';
export { decodeImage, imageTensor } from './preprocess.js';
export { type EmbedOptions, type EmbedSummary, embedDataset } from './run.js';
export {
  nearestSamples,
  type SearchHit,
  type SearchOptions,
  type SearchResult,
  searchDataset,
} from './search.js';
export { TextEmbedder, textTowerOf } from './text.js';
