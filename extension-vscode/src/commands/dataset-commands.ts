import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { JobRequest } from '../../../core/src/contract/jobs.js';
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
    const options = await pickAnalyses(parts, dataset);
    if (!options) return;
    await runJobWithProgress(connection, `Winnow: analyzing ${dataset}`, {
      kind: 'analyze',
      dataset,
      options,
    });
    tree.refresh();
    // A new projection: the panel's scatter of the dataset draws it.
    if (panel.shown?.dataset === dataset) await panel.show(panel.shown);
  });
}

function datasetOf(node: TreeNode | undefined): string | undefined {
  return node && 'dataset' in node ? node.dataset : undefined;
}

const MODEL_FILE = 'Model config file…';

/** An analyze job's options, as the contract declares them. */
type AnalyzeOptions = NonNullable<Extract<JobRequest, { kind: 'analyze' }>['options']>;

/** What Analyze offers: typicality and the 2-D projection picked at first. */
const ANALYSES = [
  {
    label: 'Typicality',
    description: 'stored as the metadata key typicality',
    picked: true,
    key: 'typicality',
  },
  { label: '2-D projection', description: 'PaCMAP, for the scatter', picked: true, key: 'projection' },
  {
    label: 'Near duplicates',
    description: 'groups of samples closer than a distance',
    picked: false,
    key: 'duplicates',
  },
] as const;

/** The analyses to run (typicality and the 2-D projection picked at first), over which model when there are several. */
async function pickAnalyses(parts: ExtensionParts, dataset: string): Promise<AnalyzeOptions | undefined> {
  const models = await embeddedModels(parts, dataset);
  if (models.length === 0) throw new Error(`${dataset} has no embeddings yet: run Winnow: Embed first`);
  const model =
    models.length === 1
      ? models[0]
      : await vscode.window.showQuickPick(models, { title: `Analyze ${dataset}`, placeHolder: 'Model' });
  if (!model) return undefined;
  const picked = await vscode.window.showQuickPick(ANALYSES, {
    title: `Analyze ${dataset} (${model})`,
    canPickMany: true,
  });
  if (!picked || picked.length === 0) return undefined;
  const chosen = new Set(picked.map((analysis) => analysis.key));
  const options: AnalyzeOptions = {
    model,
    typicality: chosen.has('typicality'),
    projection: chosen.has('projection'),
  };
  if (!chosen.has('duplicates')) return options;
  const distance = await vscode.window.showInputBox({
    title: 'Near duplicates',
    prompt: 'The cosine distance under which samples are duplicates',
    value: '0.02',
    validateInput: (text) =>
      Number(text) >= 0 && text.trim() !== '' ? undefined : 'a distance of 0 or more',
  });
  return distance === undefined ? undefined : { ...options, duplicates: Number(distance) };
}

/** The models the dataset has embeddings of. */
async function embeddedModels(parts: ExtensionParts, dataset: string): Promise<string[]> {
  const { rows } = await parts.connection.withClient((client) =>
    client.query({ dataset, sql: 'SELECT model FROM embedding_models ORDER BY model' }),
  );
  return rows.map((row) => String(row.model));
}

/** The model to embed with: one the dataset has embeddings of, a built-in one, or a model config file. */
async function pickModel(parts: ExtensionParts, dataset: string): Promise<string | undefined> {
  const embedded = await embeddedModels(parts, dataset);
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
