// The panel's page admits only its own script (by nonce), its own styles, and images from bytes.
import { describe, expect, it } from 'vitest';
import { newNonce, webviewHtml } from '../src/panel/webview-html.js';

const SOURCES = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css',
};

/** The page's CSP as directive → sources. */
function policyOf(html: string): Map<string, string[]> {
  const content = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  if (!content) throw new Error('no CSP meta');
  return new Map(
    content.split(';').map((directive) => {
      const [name, ...sources] = directive.trim().split(/\s+/);
      return [name!, sources];
    }),
  );
}

describe("the panel's page", () => {
  it('has a strict CSP: nothing by default, scripts by nonce only, no inline or eval, no connections', () => {
    const nonce = newNonce();
    const policy = policyOf(webviewHtml({ ...SOURCES, nonce }));
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual([`'nonce-${nonce}'`]);
    expect(policy.get('style-src')).toEqual([SOURCES.cspSource, `'nonce-${nonce}'`]);
    expect(policy.get('img-src')).toEqual(['data:', 'blob:']);
    expect([...policy.keys()]).toEqual(['default-src', 'script-src', 'style-src', 'img-src']);
    for (const sources of policy.values()) {
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'unsafe-eval'");
      expect(sources).not.toContain('*');
    }
  });

  it('loads its one script with the nonce and hands the nonce to the views for their stylesheets', () => {
    const nonce = newNonce();
    const html = webviewHtml({ ...SOURCES, nonce });
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((match) => match[1]);
    expect(scripts).toEqual([` nonce="${nonce}" src="${SOURCES.scriptUri}"`]);
    expect(html).toContain(`<meta property="csp-nonce" nonce="${nonce}">`);
    expect(html).toContain(`<link rel="stylesheet" href="${SOURCES.styleUri}">`);
  });

  it('gets a fresh nonce each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, newNonce));
    expect(nonces.size).toBe(50);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9+/]{24}$/);
  });
});
