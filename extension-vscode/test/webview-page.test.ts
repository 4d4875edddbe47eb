// The panel's page as the extension ships it (dist/webview.js under the page's strict CSP) in
// Debian's Chromium, over a real server holding coco128 embedded and analyzed. VS Code's side
// of postMessage is stood in for: `acquireVsCodeApi` hands the page's messages to Node, which
// relays them as the extension host does (relay.ts), and answers arrive as `message` events, as
// VS Code delivers them. The code-server end-to-end test runs the same page inside VS Code.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../core/src/analyze/analyze.js';
import { embedDataset } from '../../core/src/embed/run.js';
import { ingest } from '../../core/src/ingest/index.js';
import { type LocalServer, startServer } from '../../core/src/server/server.js';
import { Workspace } from '../../core/src/store/workspace.js';
import { COCO128 } from '../../core/test/helpers.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { bundleWebview } from '../scripts/bundle.mjs';
import type { FromWebview, ToWebview } from '../src/panel/messages.js';
import { relayViewRequest } from '../src/panel/relay.js';
import { newNonce, webviewHtml } from '../src/panel/webview-html.js';

const ORIGIN = 'http://webview.test';
const MEDIA = join(import.meta.dirname, '..', 'media');
let ws: Workspace;
let server: LocalServer;
let browser: Browser;
let script: string;
/** The test's folder (images, workspace, bundle): for all its tests, removed after them. */
const root = mkdtempSync(join(tmpdir(), 'winnow-webview-'));

beforeAll(async () => {
  ws = await Workspace.open(join(root, '.winnow'));
  const images = join(root, 'images');
  mkdirSync(images);
  for (const file of readdirSync(join(COCO128, 'images')))
    copyFileSync(join(COCO128, 'images', file), join(images, file));
  await ingest(ws, images, { dataset: 'coco' });
  const dataset = await ws.dataset('coco');
  process.env.WINNOW_MODEL_DIR ??= join(COCO128, '..', '..', 'models');
  await embedDataset(ws, dataset, { model: 'mobilenetv2-int8', device: 'cpu' });
  await analyze(ws, dataset, { projection: true, seed: 1 });
  server = await startServer(ws);
  const bundle = join(root, 'webview.js');
  await bundleWebview(bundle);
  script = readFileSync(bundle, 'utf8');
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

interface PanelPage {
  page: Page;
  /** What the page posted to the extension host, in order. */
  fromPage: FromWebview[];
  /** Every URL the page loaded: its own three files, nothing else. */
  loaded: string[];
  /** CSP violations the page reported. */
  violations(): Promise<string[]>;
  post(message: ToWebview): Promise<void>;
}

/** The panel's page, its messages relayed to the server as the extension host relays them. */
async function openPanel(): Promise<PanelPage> {
  const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
  const fromPage: FromWebview[] = [];
  const loaded: string[] = [];
  page.on('request', (request) => loaded.push(request.url()));
  const post = async (message: ToWebview) => {
    const wire =
      message.type === 'response'
        ? { ...message, body: Buffer.from(message.body).toString('base64') }
        : message;
    await page.evaluate(
      (sent) => {
        const data =
          sent.type === 'response'
            ? { ...sent, body: Uint8Array.from(atob(sent.body as string), (c) => c.charCodeAt(0)) }
            : sent;
        window.postMessage(data, '*');
      },
      wire as { type: string; body?: unknown },
    );
  };
  await page.exposeFunction('hostReceive', async (message: FromWebview) => {
    fromPage.push(message);
    if (message.type === 'ready') await post({ type: 'datasets', names: ['coco'] });
    if (message.type === 'request') {
      const answer = await relayViewRequest(server, message);
      await post({ type: 'response', id: message.id, ...answer });
    }
  });
  // Init scripts run before the page's own and are not subject to its CSP: VS Code's part.
  await page.addInitScript(() => {
    const recorded: string[] = [];
    document.addEventListener('securitypolicyviolation', (event) =>
      recorded.push(
        `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}:${event.columnNumber} ${event.sample}`,
      ),
    );
    const state: { value?: unknown } = {};
    Object.assign(window, {
      __violations: recorded,
      acquireVsCodeApi: () => ({
        postMessage: (message: unknown) =>
          (window as unknown as { hostReceive(m: unknown): void }).hostReceive(message),
        getState: () => state.value,
        setState: (value: unknown) => {
          state.value = value;
        },
      }),
    });
  });
  const nonce = newNonce();
  const html = webviewHtml({
    cspSource: ORIGIN,
    scriptUri: `${ORIGIN}/dist/webview.js`,
    styleUri: `${ORIGIN}/media/panel.css`,
    nonce,
  });
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/dist/webview.js') return route.fulfill({ contentType: 'text/javascript', body: script });
    if (path === '/media/panel.css')
      return route.fulfill({ contentType: 'text/css', body: readFileSync(join(MEDIA, 'panel.css')) });
    return route.fulfill({ contentType: 'text/html', body: html });
  });
  await page.goto(`${ORIGIN}/`);
  return {
    page,
    fromPage,
    loaded,
    post,
    violations: () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations),
  };
}

describe("the panel's page", () => {
  it("draws coco128's scatter under its strict CSP, its styles admitted by nonce, nothing else loaded", async () => {
    const panel = await openPanel();
    const scatter = panel.page.locator('.winnow-scatter');
    await expect.poll(() => scatter.getAttribute('data-points-drawn'), { timeout: 30_000 }).toBe('128');
    // The views' stylesheets (style elements carrying the nonce) apply: the layout is a flex column.
    expect(await panel.page.locator('.winnow-view').evaluate((view) => getComputedStyle(view).display)).toBe(
      'flex',
    );
    expect(
      await panel.page
        .locator('vscode-single-select[data-control="dataset"]')
        .evaluate((s) => (s as HTMLSelectElement).value),
    ).toBe('coco');
    expect(await panel.violations()).toEqual([]);
    expect(panel.loaded).toEqual([`${ORIGIN}/`, `${ORIGIN}/media/panel.css`, `${ORIGIN}/dist/webview.js`]);
    expect(panel.fromPage).toContainEqual({ type: 'shown', shown: { dataset: 'coco', view: 'scatter' } });
    await panel.page.close();
  });

  it("shows a selection made elsewhere (a notebook's lasso) through the live selection", async () => {
    const panel = await openPanel();
    const scatter = panel.page.locator('.winnow-scatter');
    await expect.poll(() => scatter.getAttribute('data-points-drawn'), { timeout: 30_000 }).toBe('128');
    // Once the view follows the live selection, a notebook selects five samples.
    await expect
      .poll(() => panel.fromPage.some((m) => m.type === 'request' && m.path.includes('/selection?after=')))
      .toBe(true);
    const response = await fetch(`${server.url}/api/datasets/coco/selection`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sample_ids: [1, 2, 3, 4, 5], source: 'notebook' }),
    });
    expect(response.status).toBe(200);
    await expect.poll(() => scatter.getAttribute('data-selected')).toBe('5');
    await panel.page.close();
  });

  it("opens a tag's samples in the grid when the extension asks (Open in Panel on a tag)", async () => {
    const created = await fetch(`${server.url}/api/datasets/coco/tags`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'first-ten', selection: { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] } }),
    });
    expect(created.status).toBeLessThan(300);
    const panel = await openPanel();
    await expect.poll(() => panel.page.locator('.winnow-scatter').count()).toBe(1);
    await panel.post({ type: 'show', shown: { dataset: 'coco', view: 'grid', tag: 'first-ten' } });
    await expect
      .poll(() => panel.page.locator('.winnow-grid-count').first().textContent())
      .toBe('10 samples');
    expect(
      await panel.page
        .locator('vscode-single-select[data-control="view"]')
        .evaluate((s) => (s as HTMLSelectElement).value),
    ).toBe('grid');
    // Thumbnails arrive as bytes and show as blob: images; the facets draw with plotly.
    await expect
      .poll(() => panel.page.locator('.winnow-tile-thumb img[src^="blob:"]').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(() => panel.page.locator('.winnow-slot-facets .js-plotly-plot').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await panel.violations()).toEqual([]);
    await panel.page.close();
  });
});
