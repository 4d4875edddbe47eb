import * as vscode from 'vscode';
import type { ExtensionParts } from '../parts.js';
import { counted } from '../tree/nodes.js';

/**
 * The dataset a command works on: the one named (a tree node's), else the one the panel shows
 * when `preferPanel`, else the only one, else the user's pick. Undefined when the user cancels;
 * an error when the workspace has no dataset.
 */
export async function pickDataset(
  parts: ExtensionParts,
  options: { named?: string; preferPanel?: boolean; title: string },
): Promise<string | undefined> {
  if (options.named) return options.named;
  if (options.preferPanel && parts.panel.shown) return parts.panel.shown.dataset;
  const { datasets } = await parts.connection.withClient((client) => client.info());
  if (datasets.length === 0)
    throw new Error('the workspace has no dataset yet: Winnow: Ingest Folder… adds one');
  if (datasets.length === 1) return datasets[0]!.name;
  const picked = await vscode.window.showQuickPick(
    datasets.map((d) => ({ label: d.name, description: counted(d.samples, 'sample') })),
    { title: options.title, placeHolder: 'Dataset' },
  );
  return picked?.label;
}
