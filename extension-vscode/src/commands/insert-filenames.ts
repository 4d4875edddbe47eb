import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  fileListText,
  formOfDocument,
  type ListForm,
  pathLiteral,
  pythonList,
  yamlList,
} from '../insert/filename-list.js';
import type { ExtensionParts } from '../parts.js';
import { reporting } from './errors.js';
import { pickDataset } from './pick-dataset.js';

const FORMS: { label: string; form: ListForm; detail: string }[] = [
  { label: 'Python list', form: 'python', detail: 'one quoted path per line' },
  { label: 'YAML list', form: 'yaml', detail: '- path, one per line' },
  {
    label: 'Path of a file list',
    form: 'file-list',
    detail: 'the paths exported to a file; its path inserted',
  },
];

/**
 * Winnow: Insert Selected Filenames: the dataset's live selection (what was lassoed last, in the
 * panel, a notebook or a terminal), with its samples' locations, inserted at the cursor as the
 * file's language writes a list, or as the path of an exported file list.
 */
export function registerInsertFilenames(context: vscode.ExtensionContext, parts: ExtensionParts): void {
  const handler = async (asked?: ListForm) => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error('open the file to insert the filenames into');
    const dataset = await pickDataset(parts, {
      preferPanel: true,
      title: 'Insert the selection of which dataset',
    });
    if (!dataset) return;
    const selection = await parts.connection.withClient((client) => client.selection(dataset));
    if (selection.filenames.length === 0) {
      void vscode.window.showInformationMessage(
        `Winnow: nothing is selected in ${dataset}: select samples in the panel or a notebook first`,
      );
      return;
    }
    const { document } = editor;
    const natural = formOfDocument(document.languageId, document.fileName);
    const form = asked ?? natural ?? (await askForm());
    if (!form) return;
    const indent = /^\s*/.exec(document.lineAt(editor.selection.active.line).text)![0];
    const text =
      form === 'python'
        ? pythonList(selection.filenames, indent)
        : form === 'yaml'
          ? yamlList(selection.filenames, indent)
          : pathLiteral(await exportFileList(dataset, selection.filenames), natural);
    await editor.edit((edit) => edit.replace(editor.selection, text));
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'winnow.insertSelectedFilenames',
      reporting(() => handler()),
    ),
    // The same, asking the form whatever the file's language.
    vscode.commands.registerCommand(
      'winnow.insertSelectedFilenamesAs',
      reporting(async () => {
        const form = await askForm();
        if (form) await handler(form);
      }),
    ),
  );
}

async function askForm(): Promise<ListForm | undefined> {
  const picked = await vscode.window.showQuickPick(FORMS, { title: 'Insert the selected filenames as' });
  return picked?.form;
}

/** Writes the paths to <folder>/winnow-exports/<dataset>-selection-<time>.txt; returns its path. */
async function exportFileList(dataset: string, paths: readonly string[]): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) throw new Error('open a folder to export the file list into');
  const dir = join(folder, 'winnow-exports');
  await mkdir(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(dir, `${dataset.replace(/[^\w.-]+/g, '_')}-selection-${stamp}.txt`);
  await writeFile(file, fileListText(paths));
  return file;
}
