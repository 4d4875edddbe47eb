import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { ExportResult } from '../../../core/src/export/run.js';
import type { ExtensionParts } from '../parts.js';
import type { TagNode, TreeNode } from '../tree/nodes.js';
import { reporting } from './errors.js';
import { pickDataset } from './pick-dataset.js';

/** A tag's actions: Export Tag… (its filenames to a file), Copy Paths, Delete Tag. */
export function registerTagCommands(context: vscode.ExtensionContext, parts: ExtensionParts): void {
  const { connection, tree } = parts;
  const register = (id: string, handler: (node?: TreeNode) => Promise<unknown>) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, reporting(handler)));

  register('winnow.exportTag', async (node) => {
    const tag = node?.kind === 'tag' ? node : await pickTag(parts);
    if (!tag) return;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Export the filenames of ${tag.name}`,
      saveLabel: 'Export',
      filters: { 'File list': ['txt'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${tag.name}.txt`) } : {}),
    });
    if (!target) return;
    const files = await tagLocations(parts, tag);
    await writeFile(target.fsPath, files.map((file) => `${file}\n`).join(''));
    void vscode.window.showInformationMessage(
      `Winnow: wrote ${files.length} filenames of ${tag.name} to ${target.fsPath}`,
    );
  });

  register('winnow.copyTagPaths', async (node) => {
    const tag = node?.kind === 'tag' ? node : await pickTag(parts);
    if (!tag) return;
    const files = await tagLocations(parts, tag);
    await vscode.env.clipboard.writeText(files.join('\n'));
    vscode.window.setStatusBarMessage(`Winnow: copied ${files.length} paths of ${tag.name}`, 5000);
  });

  register('winnow.deleteTag', async (node) => {
    const tag = node?.kind === 'tag' ? node : await pickTag(parts);
    if (!tag) return;
    const answer = await vscode.window.showWarningMessage(
      `Delete the tag ${tag.name} of ${tag.dataset} (${tag.size} samples)? Its history is kept.`,
      { modal: true },
      'Delete',
    );
    if (answer !== 'Delete') return;
    await connection.withClient((client) => client.deleteTag(tag.dataset, tag.name));
    tree.refresh();
  });
}

/** A tag's samples as absolute paths (or URLs, for a bucket): what a training script reads. */
async function tagLocations(
  parts: ExtensionParts,
  tag: Pick<TagNode, 'dataset' | 'name'>,
): Promise<string[]> {
  const result = await parts.connection.withClient((client) =>
    client.export(tag.dataset, { format: 'filenames', selection: { tag: tag.name }, paths: 'absolute' }),
  );
  // A `filenames` export answers with the files (ExportResult's first form).
  return (result as Extract<ExportResult, { format: 'filenames' }>).files;
}

/** A tag chosen from a quick pick, for a command run from the palette. */
async function pickTag(parts: ExtensionParts): Promise<TagNode | undefined> {
  const dataset = await pickDataset(parts, { preferPanel: true, title: 'Tag of which dataset' });
  if (!dataset) return undefined;
  const tags = await parts.connection.withClient((client) => client.tags(dataset));
  if (tags.length === 0) throw new Error(`${dataset} has no tags`);
  const picked = await vscode.window.showQuickPick(
    tags.map((tag) => ({ label: tag.name, description: `${tag.size} samples`, tag })),
    { title: `Tags of ${dataset}`, placeHolder: 'Tag' },
  );
  return picked && { kind: 'tag', dataset, name: picked.tag.name, size: picked.tag.size };
}
