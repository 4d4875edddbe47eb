import type * as vscode from 'vscode';
import { type ConfigDocument, readConfigDocument } from './config-document.js';
import { isConfigCandidate } from './selection-file.js';

/**
 * Each open document read as a selection config once per version: the diagnostics, the CodeLens
 * and the run command all ask, often for the same version.
 */
export class ConfigDocuments {
  private readonly read = new Map<string, { version: number; config: ConfigDocument }>();

  /** The document as a config; not one when it is not YAML or JSON. */
  of(document: vscode.TextDocument): ConfigDocument {
    if (!isConfigCandidate(document.fileName, document.languageId)) return { isConfig: false, problems: [] };
    const key = document.uri.toString();
    const known = this.read.get(key);
    if (known?.version === document.version) return known.config;
    const config = readConfigDocument(document.getText(), document.fileName);
    this.read.set(key, { version: document.version, config });
    return config;
  }

  forget(document: vscode.TextDocument): void {
    this.read.delete(document.uri.toString());
  }
}
