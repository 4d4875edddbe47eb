import { resolve } from 'node:path';
import { envSetting } from '../settings.js';
import { readWorkspaceSetting, writeWorkspaceSetting } from '../store/settings.js';
import type { Workspace } from '../store/workspace.js';
import { DEFAULT_MODEL_DIR } from './model.js';

/**
 * The folder of built-in models for a workspace: WINNOW_MODEL_DIR, else the folder the workspace
 * remembers from its last embed with one (so `search` after `embed` needs the variable no more),
 * else the default cache.
 */
export async function workspaceModelDir(ws: Workspace): Promise<string> {
  const given = envSetting('WINNOW_MODEL_DIR');
  if (given !== undefined) return resolve(given);
  return (await readWorkspaceSetting(ws.db, 'model_dir')) ?? DEFAULT_MODEL_DIR;
}

/** After an embed found its built-in model in WINNOW_MODEL_DIR: the workspace remembers that folder. */
export async function rememberModelDir(ws: Workspace): Promise<void> {
  const given = envSetting('WINNOW_MODEL_DIR');
  if (given !== undefined) await writeWorkspaceSetting(ws.db, 'model_dir', resolve(given));
}
