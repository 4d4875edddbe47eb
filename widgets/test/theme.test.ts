/**
 * The views follow the host's theme: JupyterLab's `--jp-*` variables, VS Code's `--vscode-*` ones
 * (light, dark, high contrast), and the system's contrast settings, in a real Chromium. A view is
 * mounted over a transport that never answers: only its styles matter here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { bundleWidgets } from '../scripts/bundle.mjs';
import type { TestWindow } from './harness.js';

/** The colours a panel draws with, as the browser resolves them. */
interface Drawn {
  fg: string;
  muted: string;
  bg: string;
  raised: string;
  border: string;
  accent: string;
}

let browser: Browser;
let page: Page;
let bundle: string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-theme-'));
  bundle = readFileSync(await bundleWidgets(join(dir, 'winnow-widgets.js')), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});
afterAll(() => browser?.close());

beforeEach(async () => {
  page = await browser.newPage();
  await page.setContent('<div id="winnow" style="width:800px;height:500px"></div>');
  await page.addScriptTag({ content: bundle });
});

/** Mounts a grid with the body given `bodyClass` and the host's `variables`; what it draws with. */
async function drawnWith(variables: Record<string, string>, bodyClass = ''): Promise<Drawn> {
  return page.evaluate(
    ({ variables, bodyClass }) => {
      document.body.className = bodyClass;
      for (const [name, value] of Object.entries(variables)) document.body.style.setProperty(name, value);
      const element = document.getElementById('winnow')!;
      (window as unknown as TestWindow).WinnowWidgets.mountView(
        element,
        { view: 'grid', dataset: 'any' },
        { transport: { request: () => new Promise(() => {}) } },
      );
      const panel = element.querySelector<HTMLElement>('.winnow-panel')!;
      const probe = document.createElement('span');
      probe.style.cssText =
        'color: var(--winnow-fg-muted); background: var(--winnow-bg-raised); border: 1px solid var(--winnow-border); outline: 1px solid var(--winnow-accent)';
      panel.append(probe);
      const [root, probed] = [getComputedStyle(panel), getComputedStyle(probe)];
      return {
        fg: root.color,
        bg: root.backgroundColor,
        muted: probed.color,
        raised: probed.backgroundColor,
        border: probed.borderTopColor,
        accent: probed.outlineColor,
      };
    },
    { variables, bodyClass },
  );
}

const JUPYTERLAB_DARK = {
  '--jp-ui-font-color1': 'rgb(230, 230, 230)',
  '--jp-ui-font-color2': 'rgb(160, 160, 160)',
  '--jp-layout-color1': 'rgb(17, 17, 17)',
  '--jp-layout-color2': 'rgb(40, 40, 40)',
  '--jp-border-color1': 'rgb(70, 70, 70)',
  '--jp-brand-color1': 'rgb(66, 165, 245)',
};

const VSCODE_DARK = {
  '--vscode-foreground': 'rgb(204, 204, 204)',
  '--vscode-descriptionForeground': 'rgb(157, 157, 157)',
  '--vscode-editor-background': 'rgb(31, 31, 31)',
  '--vscode-sideBar-background': 'rgb(24, 24, 24)',
  '--vscode-panel-border': 'rgb(43, 43, 43)',
  '--vscode-focusBorder': 'rgb(0, 120, 212)',
};

describe('the views in the host’s theme', () => {
  it('take JupyterLab’s colours (here its dark theme)', async () => {
    expect(await drawnWith(JUPYTERLAB_DARK)).toEqual({
      fg: 'rgb(230, 230, 230)',
      muted: 'rgb(160, 160, 160)',
      bg: 'rgb(17, 17, 17)',
      raised: 'rgb(40, 40, 40)',
      border: 'rgb(70, 70, 70)',
      accent: 'rgb(66, 165, 245)',
    });
  });

  it('take VS Code’s colours where JupyterLab’s are absent (a webview, a VS Code notebook)', async () => {
    expect(await drawnWith(VSCODE_DARK, 'vscode-dark')).toEqual({
      fg: 'rgb(204, 204, 204)',
      muted: 'rgb(157, 157, 157)',
      bg: 'rgb(31, 31, 31)',
      raised: 'rgb(24, 24, 24)',
      border: 'rgb(43, 43, 43)',
      accent: 'rgb(0, 120, 212)',
    });
  });

  it('fall back to light colours in a host with neither (Colab)', async () => {
    const drawn = await drawnWith({});
    expect([drawn.fg, drawn.bg]).toEqual(['rgb(34, 34, 34)', 'rgb(255, 255, 255)']);
  });

  for (const [theme, bodyClass, fg, bg] of [
    ['dark', 'vscode-high-contrast', 'rgb(255, 255, 255)', 'rgb(0, 0, 0)'],
    ['light', 'vscode-high-contrast-light', 'rgb(41, 41, 41)', 'rgb(255, 255, 255)'],
  ] as const) {
    it(`keep VS Code’s high contrast (${theme}): its contrast borders, no muted text or raised background`, async () => {
      const drawn = await drawnWith(
        {
          ...VSCODE_DARK,
          '--vscode-foreground': fg,
          '--vscode-editor-background': bg,
          '--vscode-contrastBorder': 'rgb(111, 195, 223)',
          '--vscode-contrastActiveBorder': 'rgb(243, 133, 24)',
        },
        bodyClass,
      );
      expect(drawn).toEqual({
        fg,
        muted: fg,
        bg,
        raised: bg,
        border: 'rgb(111, 195, 223)',
        accent: 'rgb(243, 133, 24)',
      });
    });
  }

  it('follow the system’s “more contrast” where the host has no high-contrast theme (JupyterLab)', async () => {
    await page.emulateMedia({ contrast: 'more' });
    const drawn = await drawnWith(JUPYTERLAB_DARK);
    expect([drawn.muted, drawn.border]).toEqual([drawn.fg, drawn.fg]);
  });

  it('take the system colours when forced (Windows high contrast), keeping the legend’s colours', async () => {
    await page.emulateMedia({ forcedColors: 'active' });
    const drawn = await drawnWith(JUPYTERLAB_DARK);
    expect(drawn.muted).toBe(drawn.fg);
    expect(drawn.fg).not.toBe('rgb(230, 230, 230)');
    const swatchAdjust = await page.evaluate(() => {
      const swatch = document.createElement('span');
      swatch.className = 'winnow-swatch';
      document.querySelector('.winnow-panel')!.append(swatch);
      return getComputedStyle(swatch).forcedColorAdjust;
    });
    expect(swatchAdjust).toBe('none');
  });
});
