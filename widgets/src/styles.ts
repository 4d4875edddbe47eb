import { ensurePanelStyles } from './panel-style.js';

/**
 * The layouts', the scatter's and the grid's rules. The colours come from the shared panel base
 * (`.winnow-panel`: JupyterLab's variables, then VS Code's, then light fallbacks), so every view
 * follows the host's light or dark theme.
 */
export const viewStyles = `
.winnow-view { display: flex; flex-direction: column; width: 100%; height: 100%; min-height: 420px; overflow: hidden; }
.winnow-view [hidden] { display: none !important; }
.winnow-view-main { display: flex; flex: 1 1 auto; min-height: 0; }
.winnow-slot { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
.winnow-slot-query { flex: none; border-bottom: 1px solid var(--winnow-border); }
.winnow-slot-scatter { flex: 0 0 60%; }
.winnow-slot-grid { flex: 1 1 0; border-left: 1px solid var(--winnow-border); }
.winnow-layout-grid .winnow-slot-grid { border-left: none; }
.winnow-slot-facets { flex: 0 0 280px; overflow-y: auto; border-right: 1px solid var(--winnow-border); }
.winnow-slot-detail { flex: 0 0 45%; overflow: auto; border-left: 1px solid var(--winnow-border); }
.winnow-slot-label { flex: 1 1 auto; overflow: auto; }
.winnow-side { flex: 0 0 280px; overflow-y: auto; border-left: 1px solid var(--winnow-border); }
.winnow-side:not([open]) { flex: 0 0 auto; }
.winnow-side > summary { cursor: pointer; padding: 4px 6px; color: var(--winnow-fg-muted); white-space: nowrap; }
/* A narrow host (VS Code's side bar): the panels one above the other, not side by side. */
.winnow-view { container-type: inline-size; }
@container (max-width: 600px) {
  .winnow-view-main { flex-direction: column; overflow-y: auto; }
  .winnow-view-main > .winnow-slot, .winnow-view-main > .winnow-side { flex: 0 0 auto; border-left: none; border-top: 1px solid var(--winnow-border); }
  .winnow-slot-scatter, .winnow-slot-grid { height: 320px; }
  .winnow-slot-facets { max-height: 240px; border-right: none; }
}

.winnow-toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 6px; border-bottom: 1px solid var(--winnow-border); }
.winnow-control { display: inline-flex; align-items: center; gap: 4px; color: var(--winnow-fg-muted); }

.winnow-scatter { display: flex; flex-direction: column; flex: 1 1 auto; min-height: 0; outline: none; }
.winnow-plot-area { display: flex; flex: 1 1 auto; min-height: 0; }
.winnow-plot { position: relative; flex: 1 1 auto; min-width: 0; min-height: 0; overflow: hidden; touch-action: none; outline: none; cursor: grab; }
.winnow-scatter[data-tool='lasso'] .winnow-plot, .winnow-scatter[data-tool='box'] .winnow-plot { cursor: crosshair; }
.winnow-plot canvas { position: absolute; inset: 0; width: 100%; height: 100%; display: block; }
.winnow-lasso { position: absolute; inset: 0; width: 100%; height: 100%; pointer-events: none; }
.winnow-lasso polygon { fill: rgba(25, 118, 210, 0.12); stroke: var(--winnow-accent); stroke-width: 1.5; stroke-dasharray: 4 3; }
.winnow-message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; padding: 24px; text-align: center; color: var(--winnow-fg-muted); }
.winnow-tooltip {
  position: absolute; z-index: 2; pointer-events: none; max-width: 180px; padding: 4px;
  background: var(--winnow-bg-raised); border: 1px solid var(--winnow-border); border-radius: 4px;
  box-shadow: 0 2px 8px rgba(0, 0, 0, 0.25);
}
.winnow-tooltip img { display: block; max-width: 170px; max-height: 170px; margin: 0 auto; }
.winnow-tooltip-caption { font-size: 11px; overflow-wrap: anywhere; }
.winnow-legend {
  flex: 0 0 auto; max-width: 200px; overflow: auto;
  padding: 6px 8px; font-size: 11px; background: var(--winnow-bg-raised); border-left: 1px solid var(--winnow-border);
}
.winnow-legend-title { font-weight: 600; margin-bottom: 4px; }
.winnow-legend-ramp { width: 160px; height: 10px; border-radius: 2px; }
.winnow-legend-range { display: flex; justify-content: space-between; color: var(--winnow-fg-muted); }
.winnow-legend-entry { display: flex; align-items: center; gap: 6px; }
.winnow-legend-label { flex: 1 1 auto; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.winnow-legend-count { color: var(--winnow-fg-muted); }
.winnow-swatch { flex: none; width: 10px; height: 10px; border-radius: 50%; }

.winnow-grid { display: flex; flex-direction: column; flex: 1 1 auto; min-height: 0; }
.winnow-grid-count { flex: 1 1 auto; }
.winnow-grid-scroller { position: relative; flex: 1 1 auto; min-height: 0; overflow-x: hidden; overflow-y: auto; outline: none; }
.winnow-grid-spacer { position: relative; }
.winnow-grid-tiles { position: absolute; top: 0; left: 0; right: 0; display: grid; will-change: transform; }
.winnow-tile {
  display: flex; flex-direction: column; min-width: 0; overflow: hidden; padding: 3px; cursor: pointer; user-select: none;
  border: 2px solid transparent; border-radius: 4px;
}
.winnow-tile:hover { background: var(--winnow-bg-raised); }
.winnow-tile-thumb { flex: 1 1 auto; min-height: 0; display: flex; align-items: center; justify-content: center; background: var(--winnow-bg-raised); }
.winnow-tile-thumb img { max-width: 100%; max-height: 100%; object-fit: contain; }
.winnow-tile-caption { height: 16px; font-size: 11px; line-height: 16px; text-align: center; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.winnow-tile-loading { background: var(--winnow-bg-raised); opacity: 0.5; }
.winnow-tile-selected { border-color: var(--winnow-accent); }
.winnow-tile-focused { outline: 2px solid var(--winnow-accent); outline-offset: -6px; }
.winnow-tile-cursor { box-shadow: inset 0 0 0 1px var(--winnow-fg-muted); }
`;

/** Adds the views' stylesheet to the document once. */
export function injectStyles(): void {
  ensurePanelStyles('winnow-view-styles', viewStyles);
}
