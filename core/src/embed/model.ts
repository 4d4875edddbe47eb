import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { InputError, type LongTaskOptions, WinnowError } from '../errors.js';
import { envSetting } from '../settings.js';
import { parseConfig, readConfigFile } from '../util/config-file.js';
import { downloadFile, sha256Of } from './download.js';
import type { BuiltinModelName } from './model-names.js';

/**
 * How to feed an ONNX image model and read its embedding. Everything a user's model needs is
 * here, so any ONNX image model works without code: the input tensor's name, size and layout,
 * how pixels become values (channel order, range, mean and std, in the model's channel order),
 * and which output holds the embedding.
 */
const positive = z.number().positive();
const triple = z.tuple([z.number(), z.number(), z.number()]);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/**
 * A file of the model: its local name, its checksum and, for a file Winnow may fetch, where from
 * (a Hugging Face `resolve` URL pinned to a commit, so the bytes behind it never change).
 */
const fileFields = {
  /** Absolute, or relative to the config file (or, for a registry entry, the model folder). */
  file: z.string().min(1),
  /** Checked before the model is loaded and after a download; a mismatch is refused. */
  sha256: sha256.optional(),
  /** Fetched into place when the file is missing; needs `sha256`. */
  url: z.url({ protocol: /^https?$/ }).optional(),
};
const urlNeedsSha256 = (entry: { url?: string; sha256?: string }) => !entry.url || !!entry.sha256;
const needsSha256 = { message: 'a file with a url needs its sha256', path: ['sha256'] };

export const tokenizerConfigSchema = z
  .strictObject({
    /** A Hugging Face tokenizers file (tokenizer.json). */
    ...fileFields,
  })
  .refine(urlNeedsSha256, needsSha256);

/**
 * The text tower of a CLIP-style model: text → the same embedding space as the images. Text is
 * tokenized with `tokenizer`, padded or cut to `contextLength` tokens (int64 ids), fed as `input`
 * (and a 1/0 mask as `attentionMask` where the graph takes one); `output` is [batch, dim].
 */
export const textConfigSchema = z
  .strictObject({
    ...fileFields,
    input: z.string().min(1).default('input_ids'),
    attentionMask: z.string().min(1).optional(),
    output: z.string().min(1).default('text_embeds'),
    tokenizer: tokenizerConfigSchema,
    contextLength: z.number().int().positive().default(77),
    normalize: z.boolean().default(true),
  })
  .refine(urlNeedsSha256, needsSha256);
export type TextConfig = z.output<typeof textConfigSchema>;

export const modelConfigSchema = z
  .strictObject({
    /** The .onnx image model, with its checksum and where to fetch it. */
    ...fileFields,
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
    /** A text tower embedding into the same space: what text search needs. */
    text: textConfigSchema.optional(),
  })
  .refine(urlNeedsSha256, needsSha256);
export type ModelConfig = z.output<typeof modelConfigSchema>;

/** A model ready to load: its name (stored with the embeddings), config and files on disk. */
export interface ModelSpec {
  name: string;
  config: ModelConfig;
  /** The image model. */
  path: string;
  /** Where the text tower and its tokenizer are, when the config has one. */
  text?: { path: string; tokenizer: string };
}

/**
 * OpenAI CLIP ViT-B/32 (MIT) as exported to ONNX by Xenova for transformers.js, pinned to one
 * commit so the bytes behind each URL, and so the checksums below, never change.
 */
const CLIP_B32 =
  'https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/d15189d7028b43f1d3e65039190477f6af591c2a';
/** CLIP's image preprocessing: shortest side to 224, centre crop, its own mean and std. */
const CLIP_IMAGE = {
  input: 'pixel_values',
  size: 224,
  resize: 'crop',
  mean: [0.48145466, 0.4578275, 0.40821073],
  std: [0.26862954, 0.26130258, 0.27577711],
  output: 'image_embeds',
};
/**
 * The int8 text tower (64.5 MB): a query is embedded on its own, so dynamic quantization (whose
 * scale depends on the whole batch) costs nothing here. Ids are padded with <|endoftext|>.
 */
const CLIP_B32_TEXT = {
  file: 'clip-vit-b32-text-int8.onnx',
  url: `${CLIP_B32}/onnx/text_model_quantized.onnx`,
  sha256: '73baab855d406190da9faa498cfedf65f15cf309f4cc7385b7b032e6d08e5c3a',
  input: 'input_ids',
  output: 'text_embeds',
  contextLength: 77,
  tokenizer: {
    file: 'clip-vit-b32-tokenizer.json',
    url: `${CLIP_B32}/tokenizer.json`,
    sha256: 'f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd',
  },
};

/**
 * Named models whose weights Winnow knows by checksum. They are looked up in the model folder
 * (WINNOW_MODEL_DIR, else ~/.cache/winnow/models); an entry with URLs is fetched there when its
 * files are missing, one without tells the user where to put them. The two ImageNet CNNs are the
 * real weights the offline tests and benchmarks use.
 */
export const BUILTIN_MODELS: Record<string, ModelConfig> = {
  /**
   * The default: CLIP with the float32 image tower (352 MB). The int8 one is smaller but
   * quantizes each batch with one scale, so an image's embedding would depend on its batchmates.
   */
  'clip-vit-b32': modelConfigSchema.parse({
    ...CLIP_IMAGE,
    file: 'clip-vit-b32-vision.onnx',
    url: `${CLIP_B32}/onnx/vision_model.onnx`,
    sha256: 'fd6e1402a588279d1723c7534d4bcba5bc0b14b47dfab0e46f8c47b8270d7d40',
    text: CLIP_B32_TEXT,
  }),
  /** CLIP with the int8 image tower (89 MB, faster on CPU; embeddings vary slightly with the batch). */
  'clip-vit-b32-int8': modelConfigSchema.parse({
    ...CLIP_IMAGE,
    file: 'clip-vit-b32-vision-int8.onnx',
    url: `${CLIP_B32}/onnx/vision_model_quantized.onnx`,
    sha256: '583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299',
    text: CLIP_B32_TEXT,
  }),
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
} satisfies Record<BuiltinModelName, ModelConfig>;

export { DEFAULT_MODEL } from './model-names.js';

/** Where built-in models live when neither WINNOW_MODEL_DIR nor the workspace names a folder. */
export const DEFAULT_MODEL_DIR = join(homedir(), '.cache', 'winnow', 'models');

/** The folder of built-in models for a command without a workspace: WINNOW_MODEL_DIR, else the default. */
export function modelDir(): string {
  return envSetting('WINNOW_MODEL_DIR') ?? DEFAULT_MODEL_DIR;
}

const HUB = 'https://huggingface.co';

/** A hub URL as fetched: WINNOW_MODEL_MIRROR (e.g. an internal mirror) replaces the hub's origin. */
export function mirrored(url: string): string {
  const mirror = envSetting('WINNOW_MODEL_MIRROR')?.replace(/\/+$/, '');
  return mirror && url.startsWith(`${HUB}/`) ? mirror + url.slice(HUB.length) : url;
}

export interface ResolveOptions extends LongTaskOptions {
  /** With an .onnx file for the model: the config file that says how to feed it. */
  config?: string;
  /** The folder of built-in models (default: `modelDir()`); a workspace's is `workspaceModelDir`. */
  modelDir?: string;
}

/**
 * A built-in model's name, a model config file (YAML or JSON), or an .onnx file with its config
 * in `options.config`. Files of the model that have a
 * URL and are missing are downloaded first (resumable, checked against their sha256).
 */
export async function resolveModel(nameOrConfig: string, options: ResolveOptions = {}): Promise<ModelSpec> {
  const builtin = BUILTIN_MODELS[nameOrConfig];
  let spec: ModelSpec;
  let hint: string | undefined;
  if (/\.onnx$/i.test(nameOrConfig)) {
    if (!options.config) {
      throw new WinnowError(
        'invalid_argument',
        `model '${nameOrConfig}': an ONNX file needs a model config (--model-config FILE) with its input, output and preprocessing`,
      );
    }
    const { display, raw } = await readConfigFile(options.config);
    const withFile = raw && typeof raw === 'object' ? { ...raw, file: resolve(nameOrConfig) } : raw;
    const config = parseConfig(modelConfigSchema, withFile, display);
    spec = locate(basename(nameOrConfig).replace(/\.onnx$/i, ''), config, dirname(options.config));
    hint = '';
  } else if (builtin) {
    spec = locate(nameOrConfig, builtin, options.modelDir ?? modelDir());
  } else if (/\.(ya?ml|json)$/i.test(nameOrConfig)) {
    const { display, raw } = await readConfigFile(nameOrConfig);
    const config = parseConfig(modelConfigSchema, raw, display);
    spec = locate(config.file.replace(/^.*\//, '').replace(/\.onnx$/i, ''), config, dirname(nameOrConfig));
    // Its files live where the config says: WINNOW_MODEL_DIR is no way around a failed download.
    hint = '';
  } else {
    throw new WinnowError(
      'not_found',
      `unknown model '${nameOrConfig}' (built in: ${Object.keys(BUILTIN_MODELS).join(', ')}; or give a model config file)`,
    );
  }
  const { config } = spec;
  const files: { entry: { file: string; url?: string; sha256?: string }; path: string }[] = [
    { entry: config, path: spec.path },
  ];
  if (config.text && spec.text) {
    files.push({ entry: config.text, path: spec.text.path });
    files.push({ entry: config.text.tokenizer, path: spec.text.tokenizer });
  }
  for (const { entry, path } of files) {
    if (!entry.url || !entry.sha256 || existsSync(path)) continue;
    await downloadFile({
      ...options,
      url: mirrored(entry.url),
      dest: path,
      sha256: entry.sha256,
      phase: `download ${entry.file.replace(/^.*\//, '')}`,
      hint,
    });
  }
  return spec;
}

/** The spec of `config`, its relative file names taken from `dir`. */
function locate(name: string, config: ModelConfig, dir: string): ModelSpec {
  const at = (file: string) => (isAbsolute(file) ? file : resolve(dir, file));
  const spec: ModelSpec = { name, config, path: at(config.file) };
  if (config.text) spec.text = { path: at(config.text.file), tokenizer: at(config.text.tokenizer.file) };
  return spec;
}

/** Checks that the model file is there and, when the config pins one, that its sha256 matches. */
export function verifyModelFile(spec: ModelSpec): Promise<void> {
  return verifyFile(spec.name, spec.path, spec.config);
}

/** One file of model `name` (weights or tokenizer) at `path`: there, and of its pinned sha256. */
export async function verifyFile(
  name: string,
  path: string,
  entry: { file: string; sha256?: string },
): Promise<void> {
  if (!existsSync(path)) {
    throw new WinnowError(
      'not_found',
      `model '${name}': ${path} is missing; put ${entry.file} there (or set WINNOW_MODEL_DIR to its folder)`,
    );
  }
  if (!entry.sha256) return;
  const actual = await sha256Of(path);
  if (actual !== entry.sha256) {
    throw new InputError(path, 'sha256', `is ${actual}, expected ${entry.sha256}; refusing to load`);
  }
}
