import { resolve } from 'node:path';

/**
 * The environment variables that change what a server does with a workspace: a client set to
 * other values than a running server's does not silently use it (docs/server.md).
 */
export const BEHAVIOUR_SETTINGS = ['WINNOW_MODEL_DIR', 'WINNOW_MAX_PIXELS', 'WINNOW_MEMORY_LIMIT'] as const;

export type BehaviourSetting = (typeof BEHAVIOUR_SETTINGS)[number];

/** Each behaviour setting as this process has it (a folder as an absolute path), null when unset. */
export type BehaviourSettings = Record<BehaviourSetting, string | null>;

/**
 * An environment variable of Winnow's (WINNOW_MODEL_DIR, WINNOW_MAX_PIXELS, WINNOW_MEMORY_LIMIT,
 * WINNOW_THREADS, WINNOW_FFPROBE, WINNOW_MODEL_MIRROR: docs/cli.md), or undefined when it is
 * unset or blank. Read on each call, so worker threads (which inherit the environment) agree.
 */
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
