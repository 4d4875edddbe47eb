/**
 * The names of the built-in models (model.ts's BUILTIN_MODELS holds one entry for each, which the
 * type checker enforces) and the default one: what a client offers (the VS Code extension's
 * Embed) without loading the model registry and its schema.
 */
export const BUILTIN_MODEL_NAMES = [
  'clip-vit-b32',
  'clip-vit-b32-int8',
  'squeezenet1.1',
  'mobilenetv2-int8',
] as const;

export type BuiltinModelName = (typeof BUILTIN_MODEL_NAMES)[number];

/** The model used when none is named: CLIP, so that text search works on what was embedded. */
export const DEFAULT_MODEL: BuiltinModelName = 'clip-vit-b32';
