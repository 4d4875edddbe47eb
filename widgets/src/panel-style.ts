/**
 * Each panel brings its own stylesheet and registers it once per page: the panels mount in
 * JupyterLab, VS Code webviews and plain test pages, and none of them has a build step for CSS.
 * A page whose Content Security Policy admits style elements by nonce only (the VS Code panel)
 * names it in `<meta property="csp-nonce" nonce="…">`, and the stylesheets carry it.
 */
export function ensureStyle(id: string, css: string): void {
  if (document.getElementById(id)) return;
  const style = document.createElement('style');
  style.id = id;
  const nonce = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]')?.nonce;
  if (nonce) style.nonce = nonce;
  style.textContent = css;
  document.head.append(style);
}

/**
 * The colours every panel draws with, defined once on `.winnow-panel`: JupyterLab's variables
 * first, then VS Code's, then a light fallback, so the panels follow either host's theme, light or
 * dark. High contrast: VS Code's themes set `--vscode-contrastBorder` (and mark the body
 * `vscode-high-contrast` or `vscode-high-contrast-light`), where muted text and raised backgrounds
 * would lose the contrast the user asked for; JupyterLab has no such theme, so the system's own
 * (`prefers-contrast: more`, Windows' forced colours) is followed there.
 */
export const panelBaseStyles = `
.winnow-panel {
  --winnow-fg: var(--jp-ui-font-color1, var(--vscode-foreground, #222));
  --winnow-fg-muted: var(--jp-ui-font-color2, var(--vscode-descriptionForeground, #666));
  --winnow-bg: var(--jp-layout-color1, var(--vscode-editor-background, #fff));
  --winnow-bg-raised: var(--jp-layout-color2, var(--vscode-sideBar-background, #f3f3f3));
  --winnow-border: var(--jp-border-color1, var(--vscode-contrastBorder, var(--vscode-panel-border, #ccc)));
  --winnow-accent: var(--jp-brand-color1, var(--vscode-contrastActiveBorder, var(--vscode-focusBorder, #1976d2)));
  --winnow-error: var(--jp-error-color1, var(--vscode-errorForeground, #c62828));
  --winnow-input-bg: var(--jp-input-background, var(--vscode-input-background, #fff));
  --winnow-font: var(--jp-ui-font-family, var(--vscode-font-family, system-ui, sans-serif));
  color: var(--winnow-fg);
  background: var(--winnow-bg);
  font-family: var(--winnow-font);
  font-size: 12px;
}
body.vscode-high-contrast .winnow-panel, body.vscode-high-contrast-light .winnow-panel {
  --winnow-fg-muted: var(--winnow-fg);
  --winnow-bg-raised: var(--winnow-bg);
}
@media (prefers-contrast: more) {
  .winnow-panel { --winnow-fg-muted: var(--winnow-fg); --winnow-border: var(--winnow-fg); }
}
@media (forced-colors: active) {
  .winnow-panel {
    --winnow-fg: CanvasText; --winnow-fg-muted: CanvasText; --winnow-bg: Canvas; --winnow-bg-raised: Canvas;
    --winnow-border: CanvasText; --winnow-accent: Highlight; --winnow-error: CanvasText; --winnow-input-bg: Field;
  }
  /* A colour that carries meaning (a class's swatch, the ramp) keeps it. */
  .winnow-panel .winnow-swatch, .winnow-panel .winnow-legend-ramp { forced-color-adjust: none; }
}
.winnow-panel [hidden] { display: none !important; }
.winnow-panel, .winnow-panel *, .winnow-panel *::before, .winnow-panel *::after { box-sizing: border-box; }
.winnow-panel input, .winnow-panel select, .winnow-panel textarea, .winnow-panel button {
  font: inherit;
  color: var(--winnow-fg);
  background: var(--winnow-input-bg);
  border: 1px solid var(--winnow-border);
  border-radius: 3px;
  padding: 2px 6px;
}
.winnow-panel button { cursor: pointer; background: var(--winnow-bg-raised); }
.winnow-panel button:disabled { opacity: 0.5; cursor: default; }
.winnow-panel button[aria-pressed='true'] { border-color: var(--winnow-accent); color: var(--winnow-accent); }
.winnow-error { color: var(--winnow-error); min-height: 1.4em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.winnow-chip {
  display: inline-flex; align-items: center; gap: 4px;
  padding: 1px 4px 1px 8px; border-radius: 10px;
  border: 1px solid var(--winnow-border); background: var(--winnow-bg-raised);
}
.winnow-chip button { border: none; background: none; padding: 0 4px; line-height: 1; }
.winnow-row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
`;

/** Registers the shared colours and this panel's own rules. */
export function ensurePanelStyles(id: string, css: string): void {
  ensureStyle('winnow-panel-base', panelBaseStyles);
  ensureStyle(id, css);
}
