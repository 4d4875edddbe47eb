import { randomBytes } from 'node:crypto';

/** A fresh nonce for one page: the only scripts and style elements the page's CSP lets run. */
export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export interface PageSources {
  /** The webview's own origin for resources (`webview.cspSource`). */
  cspSource: string;
  /** dist/webview.js as a webview URI. */
  scriptUri: string;
  /** media/panel.css as a webview URI: the page's own layout (the picker bar). */
  styleUri: string;
  nonce: string;
}

/**
 * The panel's page: nothing loads or runs unless the CSP allows it. Scripts: only the one
 * carrying the nonce. Styles: the extension's files and elements carrying the nonce (the views
 * register their stylesheets with it, read from the `csp-nonce` meta; plotly, which the facets
 * draw with, inserts its rules into the empty style element it finds by id, as it does under a
 * strict CSP, rather than add an element of its own, which the CSP would block). Images: `data:` and
 * `blob:` (thumbnails arrive as bytes over postMessage). No connections: the page reaches the
 * server only through the extension host.
 */
export function webviewHtml({ cspSource, scriptUri, styleUri, nonce }: PageSources): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    'img-src data: blob:',
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" nonce="${nonce}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${styleUri}">
<style id="plotly.js-style-global" nonce="${nonce}"></style>
<title>Winnow</title>
</head>
<body>
<div id="winnow-root"></div>
<script nonce="${nonce}" src="${scriptUri}"></script>
</body>
</html>`;
}
