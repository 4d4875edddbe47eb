import * as vscode from 'vscode';
import { WinnowError } from '../../../core/src/errors.js';
import type { ServerConnection } from '../server/connection.js';
import type { FromWebview, Shown, ToWebview } from './messages.js';
import { errorAnswer, relayViewRequest } from './relay.js';
import { newNonce, webviewHtml } from './webview-html.js';

export const PANEL_VIEW_ID = 'winnow.panel';

/**
 * The panel (a webview view in the Winnow container) showing the notebook's views of a dataset.
 * Its page reaches the server only through `relay`: the extension host adds the token and the
 * view-origin header, and sends the answer's bytes back as they came.
 */
export class WinnowPanel implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** What to show once the page is ready (asked for before the panel was opened). */
  private pending: Shown | undefined;
  /** What the page shows now, as it last said. */
  shown: Shown | null = null;
  /** Aborts the requests of a page that went away (its long polls would wait 20 s for nobody). */
  private requests = new AbortController();

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly connection: ServerConnection,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    this.requests = new AbortController();
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = webviewHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      nonce: newNonce(),
    });
    view.webview.onDidReceiveMessage((message: FromWebview) => this.receive(message));
    view.onDidDispose(() => {
      this.requests.abort();
      this.view = undefined;
      this.shown = null;
    });
  }

  /** Opens the panel on a dataset (the view as the user left it unless given). */
  async show(shown: Shown): Promise<void> {
    this.pending = shown;
    await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
    if (this.ready) this.flush();
  }

  /** Tells the page the datasets of the workspace again (after a refresh, an ingest). */
  async refresh(): Promise<void> {
    if (this.ready) await this.sendDatasets();
  }

  private async receive(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        await this.sendDatasets();
        this.flush();
        return;
      case 'shown':
        this.shown = message.shown;
        return;
      case 'request':
        return this.relay(message);
    }
  }

  private async relay(message: Extract<FromWebview, { type: 'request' }>): Promise<void> {
    const signal = this.requests.signal;
    const answer = await this.connection
      .withServer((server) => relayViewRequest(server, message, signal))
      .catch((error: Error) =>
        errorAnswer(502, error instanceof WinnowError ? error.code : 'unavailable', error.message),
      );
    if (signal.aborted) return;
    const { status, contentType, body } = answer;
    this.post({ type: 'response', id: message.id, status, contentType, body });
  }

  private async sendDatasets(): Promise<void> {
    try {
      const info = await this.connection.withClient((client) => client.info());
      this.post({ type: 'datasets', names: info.datasets.map((dataset) => dataset.name) });
    } catch (error) {
      this.post({ type: 'datasets', names: [], error: (error as Error).message });
    }
  }

  private flush(): void {
    if (!this.pending) return;
    this.post({ type: 'show', shown: this.pending });
    this.pending = undefined;
  }

  private post(message: ToWebview): void {
    void this.view?.webview.postMessage(message);
  }
}
