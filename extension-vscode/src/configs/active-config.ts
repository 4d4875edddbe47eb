import * as vscode from 'vscode';
import type { ConfigDocuments } from './config-documents.js';
import { ACTIVE_CONFIG_KEY } from './selection-file.js';

/**
 * Keeps ACTIVE_CONFIG_KEY true while the active editor holds a selection config, so the editor's
 * title bar and context menu offer the run on configs only, not on every YAML and JSON file.
 */
export function trackActiveConfig(context: vscode.ExtensionContext, documents: ConfigDocuments): void {
  let shown: boolean | undefined;
  const update = () => {
    const document = vscode.window.activeTextEditor?.document;
    const isConfig = document !== undefined && documents.of(document).isConfig;
    if (isConfig !== shown) void vscode.commands.executeCommand('setContext', ACTIVE_CONFIG_KEY, isConfig);
    shown = isConfig;
  };
  update();
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.workspace.onDidChangeTextDocument((change) => {
      if (change.document === vscode.window.activeTextEditor?.document) update();
    }),
  );
}
