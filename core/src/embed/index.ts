export { ImageEmbedder, imageTensor } from './embedder.js';
export {
  BUILTIN_MODELS,
  type ModelConfig,
  type ModelSpec,
  modelConfigSchema,
  modelDir,
  resolveModel,
  verifyModelFile,
} from './model.js';
export { type EmbedOptions, type EmbedSummary, embedDataset } from './run.js';
