import { resolve } from 'node:path';

/**
 * The environment variables that change what a server does with a workspace: a client set to
 * other values than a running server's does not silently use it (docs/server.md).
 */
export const BEHAVIOUR_SETTINGS = ['WINNOW_MODEL_DIR', 'WINNOW_MAX_PIXELS', 'WINNOW_MEMORY_LIMIT'] as const;

export type BehaviourSetting = (typeof BEHAVIOUR_SETTINGS)[number];

/** Each behaviour setting as this process has it (a folder as an absolute path), null when unset. */
export type BehaviourSettings = Record<BehaviourSetting, string | null>;

/** An environment variable of Winnow's, or undefined when it is unset or blank. */
export function envSetting(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

export function behaviourSettings(): BehaviourSettings {
  const modelDir = envSetting('WINNOW_MODEL_DIR');
  return {
    WINNOW_MODEL_DIR: modelDir === undefined ? null : resolve(modelDir),
    WINNOW_MAX_PIXELS: envSetting('WINNOW_MAX_PIXELS') ?? null,
    WINNOW_MEMORY_LIMIT: envSetting('WINNOW_MEMORY_LIMIT') ?? null,
  };
}
