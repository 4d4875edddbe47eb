import { basename, isAbsolute } from 'node:path';
import * as vscode from 'vscode';
import { WinnowError } from '../../../core/src/errors.js';
import { checkSelectionConfig } from '../../../core/src/select/config.js';
import type { SelectionResult } from '../../../core/src/select/run.js';
import { pickDataset } from '../commands/pick-dataset.js';
import { runJobWithProgress } from '../jobs/run-job.js';
import type { ExtensionParts } from '../parts.js';
import type { ConfigDocuments } from './config-documents.js';
import { defaultTagName } from './selection-file.js';
import { existingTagNote, tagNameProblem } from './tag-name.js';

/**
 * `winnow.runSelection`: runs a selection config (the one given, from the CodeLens or a menu, or
 * the active editor's) as `winnow select --config` does through a server: asks the dataset and
 * the new tag's name, runs the `select` job under a cancellable progress notification, reports the
 * tag's size and refreshes the tree. The editor's text is what runs, saved or not. A config with
 * problems does not run: its first is the error, and the cursor goes to it.
 */
export async function runSelection(parts: ExtensionParts, documents: ConfigDocuments, uri?: vscode.Uri) {
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
  const dataset = await pickDataset(parts, { title: `Run ${name}: the dataset to select from` });
  const tag = dataset && (await askTagName(parts, dataset, defaultTagName(document.fileName)));
  if (!dataset || !tag) return;
  const result = await runJobWithProgress<SelectionResult>(
    parts.connection,
    `Winnow: selecting tag ${tag} of ${dataset}`,
    { kind: 'select', dataset, config: selection, tag },
  );
  parts.tree.refresh();
  await reportSelection(result);
}

async function askTagName(
  parts: ExtensionParts,
  dataset: string,
  fromFile: string,
): Promise<string | undefined> {
  const tags = await parts.connection.withClient((client) => client.tags(dataset));
  const taken = new Set(tags.map((tag) => tag.name));
  return vscode.window.showInputBox({
    title: `Run selection on ${dataset}: the tag`,
    prompt: 'The selected samples become this tag (a new version of it, if it exists)',
    value: fromFile,
    validateInput: (name) => {
      const problem = tagNameProblem(name);
      if (problem) return problem;
      const note = existingTagNote(name, taken, dataset);
      return note && { message: note, severity: vscode.InputBoxValidationSeverity.Info };
    },
  });
}

async function reportSelection(result: SelectionResult): Promise<void> {
  const stopped = result.stopped_by === 'count' ? '' : ` (stopped: ${result.stopped_by})`;
  const version = result.tag_version > 1 ? ` (version ${result.tag_version})` : '';
  const message = `Winnow: tag ${result.tag}${version}: ${result.selected} samples${stopped}`;
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
