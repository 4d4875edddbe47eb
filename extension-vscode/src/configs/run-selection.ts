import { basename, isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import type { ServerClient } from '../../../core/src/client/server-client.js';
import { firstLineOf, WinnowError } from '../../../core/src/errors.js';
import { checkSelectionConfig } from '../../../core/src/select/config.js';
import type { SelectionResult } from '../../../core/src/select/run.js';
import type { WinnowAccess } from '../access.js';
import { progressMessage } from '../job-progress.js';
import type { ConfigDocuments } from './config-documents.js';
import { datasetChoices, tagNameProblem } from './run-choices.js';
import { defaultTagName, freeTagName } from './selection-file.js';

/**
 * `winnow.runSelection`: runs a selection config (the one given, from the CodeLens or a menu, or
 * the active editor's) as `winnow select --config` does through a server: asks the dataset and
 * the new tag's name, runs the `select` job under a cancellable progress notification, and reports
 * the tag's size. The editor's text is what runs, saved or not. A config with problems does not run.
 */
export async function runSelectionCommand(
  access: WinnowAccess,
  documents: ConfigDocuments,
  uri?: vscode.Uri,
): Promise<void> {
  try {
    const document = uri
      ? await vscode.workspace.openTextDocument(uri)
      : vscode.window.activeTextEditor?.document;
    if (!document)
      throw new WinnowError('invalid_argument', 'open a selection config (YAML or JSON) to run it');
    const name = basename(document.fileName);
    const config = documents.of(document);
    if (!config.isConfig) {
      throw new WinnowError('invalid_input', `${name}: not a selection config (it has no strategies)`);
    }
    const problem = config.problems[0];
    if (problem) {
      revealProblem(document, problem.start);
      throw new WinnowError('invalid_input', `${name}: ${problem.message}`);
    }
    // As the CLI sends it: the selection itself, out of a Lightly Worker config's selection_config.
    const selection = checkSelectionConfig(config.raw, name).raw;
    const client = await access.client();
    const dataset = await pickDataset(client, access.currentDataset());
    const tag = dataset && (await askTagName(client, dataset, defaultTagName(document.fileName)));
    if (!dataset || !tag) return;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Winnow: selecting tag ${tag} of ${dataset}`,
        cancellable: true,
      },
      (progress, cancellation) => {
        const abort = new AbortController();
        cancellation.onCancellationRequested(() => abort.abort());
        return client.runJob<SelectionResult>(
          { kind: 'select', dataset, config: selection, tag },
          { signal: abort.signal, onProgress: (step) => progress.report({ message: progressMessage(step) }) },
        );
      },
    );
    access.refresh();
    await reportSelection(result);
  } catch (error) {
    if (error instanceof WinnowError && error.code === 'cancelled') {
      void vscode.window.showInformationMessage('Winnow: selection cancelled; no tag was made');
    } else {
      void vscode.window.showErrorMessage(`Winnow: ${firstLineOf(error)}`);
    }
  }
}

async function pickDataset(client: ServerClient, current: string | undefined): Promise<string | undefined> {
  const { datasets } = await client.info();
  if (datasets.length === 0) {
    throw new WinnowError('not_found', 'the workspace has no dataset yet: ingest a folder first');
  }
  const picked = await vscode.window.showQuickPick(datasetChoices(datasets, current), {
    title: 'Run selection: the dataset to select from',
  });
  return picked?.label;
}

async function askTagName(
  client: ServerClient,
  dataset: string,
  fromFile: string,
): Promise<string | undefined> {
  const taken = new Set((await client.tags(dataset)).map((tag) => tag.name));
  return vscode.window.showInputBox({
    title: `Run selection on ${dataset}: the new tag`,
    prompt: 'The selected samples become this new tag',
    value: freeTagName(fromFile, taken),
    validateInput: (name) => tagNameProblem(name, taken, dataset),
  });
}

async function reportSelection(result: SelectionResult): Promise<void> {
  const stopped = result.stopped_by === 'count' ? '' : ` (stopped: ${result.stopped_by})`;
  const message = `Winnow: tag ${result.tag}: ${result.selected} samples${stopped}`;
  // The report opens where the work location is a folder here; a bucket's is a URL to sign first.
  const local = isAbsolute(result.report.html);
  const action = await vscode.window.showInformationMessage(message, ...(local ? ['Open Report'] : []));
  if (action) await vscode.env.openExternal(vscode.Uri.file(result.report.html));
}

/** Puts the cursor on the config's first problem, when the config is open in an editor. */
function revealProblem(document: vscode.TextDocument, offset: number): void {
  const editor = vscode.window.visibleTextEditors.find((shown) => shown.document === document);
  if (!editor) return;
  const position = document.positionAt(offset);
  editor.selection = new vscode.Selection(position, position);
  editor.revealRange(new vscode.Range(position, position));
}
