import * as vscode from 'vscode';
import type { ServerLocation } from './connection.js';
import { winnowCommand } from './winnow-command.js';
import { winnowWorkspace } from './workspace-folder.js';

/** The workspace and the command of the `winnow.*` settings, read when the extension connects. */
export function locationFromSettings(): ServerLocation {
  const settings = vscode.workspace.getConfiguration('winnow');
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return {
    workspace: winnowWorkspace(settings.get<string>('workspace') ?? '', folder),
    command: winnowCommand(settings.get<string>('command') ?? ''),
  };
}

/** Whether a settings change concerns the connection (then the server is found again). */
export function affectsConnection(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration('winnow.workspace') || event.affectsConfiguration('winnow.command');
}
