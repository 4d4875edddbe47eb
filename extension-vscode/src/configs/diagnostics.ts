import * as vscode from 'vscode';
import type { ConfigDocuments } from './config-documents.js';

/** Quiet while the user types: a document is checked this long after its last change. */
const SETTLE_MS = 300;

/**
 * Diagnostics on selection configs: each problem core's schema finds (or a syntax error) at the
 * field it names, with the CLI's message; checked on open, after changes settle, cleared on close.
 */
export function registerConfigDiagnostics(
  context: vscode.ExtensionContext,
  documents: ConfigDocuments,
): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('winnow');
  const waiting = new Map<string, ReturnType<typeof setTimeout>>();
  const stopWaiting = (document: vscode.TextDocument) => {
    const key = document.uri.toString();
    clearTimeout(waiting.get(key));
    waiting.delete(key);
  };
  const check = (document: vscode.TextDocument) => {
    const { problems } = documents.of(document);
    diagnostics.set(
      document.uri,
      problems.map((problem) => {
        const range = new vscode.Range(document.positionAt(problem.start), document.positionAt(problem.end));
        const diagnostic = new vscode.Diagnostic(range, problem.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = 'winnow';
        return diagnostic;
      }),
    );
  };
  const checkLater = (document: vscode.TextDocument) => {
    stopWaiting(document);
    waiting.set(
      document.uri.toString(),
      setTimeout(() => {
        waiting.delete(document.uri.toString());
        check(document);
      }, SETTLE_MS),
    );
  };
  vscode.workspace.textDocuments.forEach(check);
  context.subscriptions.push(
    diagnostics,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((change) => checkLater(change.document)),
    vscode.workspace.onDidCloseTextDocument((document) => {
      stopWaiting(document);
      documents.forget(document);
      diagnostics.delete(document.uri);
    }),
    {
      dispose: () => {
        for (const timer of waiting.values()) clearTimeout(timer);
      },
    },
  );
}
