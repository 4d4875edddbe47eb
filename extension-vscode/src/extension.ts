import * as vscode from 'vscode';
import { registerDatasetCommands } from './commands/dataset-commands.js';
import { registerInsertFilenames } from './commands/insert-filenames.js';
import { registerTagCommands } from './commands/tag-commands.js';
import { registerSelectionConfigs } from './configs/index.js';
import { registerSampleHover } from './hover/index.js';
import { PANEL_VIEW_ID, WinnowPanel } from './panel/panel-provider.js';
import type { ExtensionParts } from './parts.js';
import { ServerConnection } from './server/connection.js';
import { affectsConnection, locationFromSettings } from './server/settings.js';
import { TREE_VIEW_ID, WorkspaceTree } from './tree/workspace-tree.js';

/** Builds the objects the features share (the server connection, the tree, the panel) and registers each feature. */
export function activate(context: vscode.ExtensionContext): void {
  const connection = new ServerConnection(locationFromSettings);
  const tree = new WorkspaceTree(connection);
  const panel = new WinnowPanel(context.extensionUri, connection);
  const parts: ExtensionParts = { connection, tree, panel };

  context.subscriptions.push(
    vscode.window.registerTreeDataProvider(TREE_VIEW_ID, tree),
    // Kept alive while hidden: the scatter's points and selection stay as they were.
    vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel, {
      webviewOptions: { retainContextWhenHidden: true },
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!affectsConnection(event)) return;
      connection.forget();
      tree.refresh();
      void panel.refresh();
    }),
  );
  registerDatasetCommands(context, parts);
  registerTagCommands(context, parts);
  registerInsertFilenames(context, parts);
  registerSelectionConfigs(context, parts);
  registerSampleHover(context, parts);
}

export function deactivate(): void {
  // The server is left running: a notebook or a terminal may share it, and it stops when idle.
}
