import * as vscode from 'vscode';
import { reporting } from '../commands/errors.js';
import type { ExtensionParts } from '../parts.js';
import { trackActiveConfig } from './active-config.js';
import { ConfigDocuments } from './config-documents.js';
import { registerConfigDiagnostics } from './diagnostics.js';
import { runSelection } from './run-selection.js';
import { CONFIG_LANGUAGES } from './selection-file.js';

/**
 * Selection configs as code: diagnostics from core's schema at the offending field, a CodeLens
 * "Run selection" at the top of each config, and the `winnow.runSelection` command. Completion
 * comes from the JSON Schema that package.json contributes (schemas/selection-config.schema.json).
 */
export function registerSelectionConfigs(context: vscode.ExtensionContext, parts: ExtensionParts): void {
  const documents = new ConfigDocuments();
  registerConfigDiagnostics(context, documents);
  trackActiveConfig(context, documents);
  const selector = CONFIG_LANGUAGES.map((language) => ({ language }));
  context.subscriptions.push(
    vscode.languages.registerCodeLensProvider(selector, {
      provideCodeLenses: (document) =>
        documents.of(document).isConfig
          ? [
              new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
                title: 'Run selection',
                tooltip: 'Select samples by this config into a new tag (winnow select --config)',
                command: 'winnow.runSelection',
                arguments: [document.uri],
              }),
            ]
          : [],
    }),
    vscode.commands.registerCommand(
      'winnow.runSelection',
      reporting((uri?: vscode.Uri) =>
        runSelection(parts, documents, uri instanceof vscode.Uri ? uri : undefined),
      ),
    ),
  );
}
