import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, WinnowError } from '../errors.js';
import { parseConfig, readConfigFile } from '../util/config-file.js';

/**
 * How to feed an ONNX image model and read its embedding. Everything a user's model needs is
 * here, so any ONNX image model works without code: the input tensor's name, size and layout,
 * how pixels become values (channel order, range, mean and std, in the model's channel order),
 * and which output holds the embedding.
 */
const positive = z.number().positive();
const triple = z.tuple([z.number(), z.number(), z.number()]);
export const modelConfigSchema = z.strictObject({
  /** The .onnx file: absolute, or relative to the config file (or the model folder). */
  file: z.string().min(1),
  /** Checked before the model is loaded; a mismatch is refused. */
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
    .optional(),
  input: z.string().min(1),
  /** Width and height of the input, or one number for both. */
  size: z.union([
    z.number().int().positive(),
    z.tuple([z.number().int().positive(), z.number().int().positive()]),
  ]),
  /** stretch: to exactly the size; crop: cover the size and cut the centre; pad: fit inside, black borders. */
  resize: z.enum(['stretch', 'crop', 'pad']).default('stretch'),
  channels: z.enum(['rgb', 'bgr']).default('rgb'),
  /** Pixel values before mean and std: 0–1 or 0–255. */
  range: z.enum(['0-1', '0-255']).default('0-1'),
  mean: triple.default([0, 0, 0]),
  std: z.tuple([positive, positive, positive]).default([1, 1, 1]),
  layout: z.enum(['nchw', 'nhwc']).default('nchw'),
  output: z.string().min(1),
  /** mean: average an output of shape [batch, c, h, w] over h and w; none: flatten it. */
  pooling: z.enum(['none', 'mean']).default('none'),
  /** L2-normalize each embedding (cosine and euclidean orders then agree). */
  normalize: z.boolean().default(true),
});
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** A model ready to load: its name (stored with the embeddings), config and file on disk. */
export interface ModelSpec {
  name: string;
  config: ModelConfig;
  path: string;
}

/**
 * Named models whose weights Winnow knows by checksum. They are looked up in the model folder
 * (WINNOW_MODEL_DIR, else ~/.cache/winnow/models); the two ImageNet CNNs are the real weights the
 * offline tests and benchmarks use.
 */
export const BUILTIN_MODELS: Record<string, ModelConfig> = {
  'squeezenet1.1': modelConfigSchema.parse({
    file: 'squeezenet1.1-embed.onnx',
    sha256: '7a38378f37ae2d17678fc897424d3fd1fced8a1b1d45c10df46b23dec67922bc',
    input: 'data_0',
    size: 224,
    channels: 'bgr',
    range: '0-255',
    mean: [104, 117, 123],
    output: 'embedding',
    pooling: 'mean',
  }),
  'mobilenetv2-int8': modelConfigSchema.parse({
    file: 'mobilenetv2-12-int8-embed.onnx',
    sha256: '2a923a9c0c5a7658ca3e07ec17d6b91dde68208bd11973d49b85a81afa291703',
    input: 'input',
    size: 224,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    output: 'embedding',
  }),
};

export function modelDir(): string {
  return process.env.WINNOW_MODEL_DIR || join(homedir(), '.cache', 'winnow', 'models');
}

/** A built-in model's name, or a model config file (YAML or JSON). */
export async function resolveModel(nameOrConfig: string): Promise<ModelSpec> {
  const builtin = BUILTIN_MODELS[nameOrConfig];
  if (builtin) return { name: nameOrConfig, config: builtin, path: join(modelDir(), builtin.file) };
  if (!/\.(ya?ml|json)$/i.test(nameOrConfig)) {
    throw new WinnowError(
      'not_found',
      `unknown model '${nameOrConfig}' (built in: ${Object.keys(BUILTIN_MODELS).join(', ')}; or give a model config file)`,
    );
  }
  const { display, raw } = await readConfigFile(nameOrConfig);
  const config = parseConfig(modelConfigSchema, raw, display);
  const path = isAbsolute(config.file) ? config.file : resolve(dirname(nameOrConfig), config.file);
  return { name: config.file.replace(/^.*\//, '').replace(/\.onnx$/i, ''), config, path };
}

/** Checks that the model file is there and, when the config pins one, that its sha256 matches. */
export async function verifyModelFile(spec: ModelSpec): Promise<void> {
  if (!existsSync(spec.path)) {
    throw new WinnowError(
      'not_found',
      `model '${spec.name}': ${spec.path} is missing; put ${spec.config.file} there (or set WINNOW_MODEL_DIR to its folder)`,
    );
  }
  if (!spec.config.sha256) return;
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(spec.path)) hash.update(chunk as Buffer);
  const actual = hash.digest('hex');
  if (actual !== spec.config.sha256) {
    throw new InputError(
      spec.path,
      'sha256',
      `is ${actual}, expected ${spec.config.sha256}; refusing to load`,
    );
  }
}
