import { basename } from 'node:path';
import * as vscode from 'vscode';
import { BUILTIN_MODEL_NAMES, DEFAULT_MODEL } from '../../../core/src/embed/model-names.js';
import { runJobWithProgress } from '../jobs/run-job.js';
import type { ExtensionParts } from '../parts.js';
import type { TreeNode } from '../tree/nodes.js';
import { reporting } from './errors.js';
import { pickDataset } from './pick-dataset.js';

/** Refresh, Open Dataset, Open in Panel, and the jobs on a dataset: Ingest Folder…, Embed, Analyze. */
export function registerDatasetCommands(context: vscode.ExtensionContext, parts: ExtensionParts): void {
  const { tree, panel, connection } = parts;
  const refreshAll = async () => {
    tree.refresh();
    await panel.refresh();
  };
  const register = (id: string, handler: (node?: TreeNode) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, reporting(handler)));

  register('winnow.refresh', async () => {
    connection.forget();
    await refreshAll();
  });

  register('winnow.openDataset', async (node) => {
    const dataset = await pickDataset(parts, { named: datasetOf(node), title: 'Open Dataset' });
    if (dataset) await panel.show({ dataset, view: panel.shown?.view ?? 'scatter' });
  });

  register('winnow.openInPanel', async (node) => {
    if (node?.kind === 'tag') return panel.show({ dataset: node.dataset, view: 'grid', tag: node.name });
    const dataset = await pickDataset(parts, { named: datasetOf(node), title: 'Open in Panel' });
    if (dataset) await panel.show({ dataset, view: panel.shown?.view ?? 'scatter' });
  });

  register('winnow.ingestFolder', async () => {
    const folders = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      title: 'Ingest Folder',
      openLabel: 'Ingest',
    });
    const folder = folders?.[0];
    if (!folder) return;
    const dataset = await vscode.window.showInputBox({
      title: 'Ingest Folder',
      prompt: `The dataset's name for ${folder.fsPath}`,
      value: basename(folder.fsPath),
      validateInput: (name) => (name.trim() ? undefined : 'name the dataset'),
    });
    if (!dataset) return;
    await runJobWithProgress(connection, `Winnow: ingesting ${folder.fsPath}`, {
      kind: 'ingest',
      dataset: dataset.trim(),
      location: folder.fsPath,
    });
    await refreshAll();
  });

  register('winnow.embed', async (node) => {
    const dataset = await pickDataset(parts, { named: datasetOf(node), title: 'Embed' });
    if (!dataset) return;
    const model = await pickModel(parts, dataset);
    if (!model) return;
    await runJobWithProgress(connection, `Winnow: embedding ${dataset} with ${model}`, {
      kind: 'embed',
      dataset,
      options: { model },
    });
    tree.refresh();
  });

  register('winnow.analyze', async (node) => {
    const dataset = await pickDataset(parts, { named: datasetOf(node), title: 'Analyze' });
    if (!dataset) return;
    await runJobWithProgress(connection, `Winnow: analyzing ${dataset}`, { kind: 'analyze', dataset });
    tree.refresh();
  });
}

function datasetOf(node: TreeNode | undefined): string | undefined {
  return node && 'dataset' in node ? node.dataset : undefined;
}

const MODEL_FILE = 'Model config file…';

/** The model to embed with: one the dataset has embeddings of, a built-in one, or a model config file. */
async function pickModel(parts: ExtensionParts, dataset: string): Promise<string | undefined> {
  const { rows } = await parts.connection.withClient((client) =>
    client.query({ dataset, sql: 'SELECT model FROM embedding_models ORDER BY model' }),
  );
  const embedded = rows.map((row) => String(row.model));
  const builtIn = BUILTIN_MODEL_NAMES.filter((name) => !embedded.includes(name));
  const picked = await vscode.window.showQuickPick(
    [
      ...embedded.map((label) => ({ label, description: 'embedded already' })),
      ...builtIn.map((label) => ({
        label,
        description: label === DEFAULT_MODEL ? 'built in (default)' : 'built in',
      })),
      { label: MODEL_FILE, description: 'a YAML or JSON model config' },
    ],
    { title: `Embed ${dataset}`, placeHolder: 'Model' },
  );
  if (picked?.label !== MODEL_FILE) return picked?.label;
  const files = await vscode.window.showOpenDialog({
    canSelectMany: false,
    filters: { 'Model config': ['yaml', 'yml', 'json'] },
    title: 'Model config',
  });
  return files?.[0]?.fsPath;
}
