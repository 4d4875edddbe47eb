import type { Database } from './db.js';

/** What a workspace remembers between commands (winnow.settings): each name's one value. */
export type WorkspaceSettingName = 'model_dir';

export async function readWorkspaceSetting(
  db: Database,
  name: WorkspaceSettingName,
): Promise<string | undefined> {
  const value = await db.value<string | null>('SELECT value FROM winnow.settings WHERE name = ?', [name]);
  return value ?? undefined;
}

export async function writeWorkspaceSetting(
  db: Database,
  name: WorkspaceSettingName,
  value: string,
): Promise<void> {
  await db.run(
    `INSERT INTO winnow.settings (name, value) VALUES (?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [name, value],
  );
}
