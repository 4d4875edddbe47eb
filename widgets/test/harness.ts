/**
 * A real page for the widgets: a workspace with a few COCO images (labels imported, embedded and
 * analyzed), the local server on it, and headless Chromium with the widget bundle. Requests go
 * from the page to Node through a binding, as they go through the kernel's comm in JupyterLab:
 * the page never learns the server's address or token.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { analyze, embedDataset, ingest, Workspace } from '../../core/dist/index.js';
import { importYolo } from '../../core/dist/ingest/import/index.js';
import { type LocalServer, startServer } from '../../core/dist/server/server.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { fillSynthetic } from '../../scripts/lib/synthetic.mjs';
import { bundleWidgets } from '../scripts/bundle.mjs';
import type { Transport } from '../src/transport.js';
import type { MountedView } from '../src/view.js';

const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));
const COCO128 = join(SHARED, 'datasets/coco128');
const PAGE_ORIGIN = 'http://winnow.test';

/** What the test page holds on `window`: the bundle, the relaying transport, the mounted view. */
export interface TestWindow {
  WinnowWidgets: typeof import('../src/index.js');
  __transport: Transport;
  __mounted?: MountedView;
  /** The ids `onSelection` was last called with. */
  __selection?: number[];
  /** The query `onWhere` was last called with. */
  __where?: string;
}

export interface Harness {
  page: Page;
  dataset: string;
  workspace: string;
  mount(options: {
    view: 'scatter' | 'grid' | 'label';
    where?: string;
    pointBudget?: number;
    dataset?: string;
  }): Promise<void>;
  /** A request to the server from Node, with the token (for the tests' expectations). */
  request(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  /** The JSON answer of a request under the dataset (`/samples/1`), which must not fail. */
  datasetJson<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** How many COCO images the dataset holds (default 24). */
  images?: number;
  /** Embed and analyze (typicality and a 2-D projection), for the scatter (default true). */
  withProjection?: boolean;
  /** Also a dataset `synthetic` of this many samples with a 2-D projection, made with SQL. */
  syntheticPoints?: number;
}

let bundled: Promise<string> | undefined;

/** The widget bundle's source, built once per process. */
function widgetBundle(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'winnow-bundle-'));
    const file = await bundleWidgets(join(dir, 'winnow-widgets.js'));
    const source = readFileSync(file, 'utf8');
    rmSync(dir, { recursive: true, force: true });
    return source;
  })();
  return bundled;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'winnow-widgets-'));
  const [{ ws, server }, bundle] = await Promise.all([servedWorkspace(root, options), widgetBundle()]);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await openPage(browser, server, bundle);
    return {
      page,
      dataset: 'coco',
      workspace: ws.dir,
      mount: (mountOptions) => mountInPage(page, mountOptions),
      request: (path, init = {}) => serverRequest(server, path, init),
      async datasetJson<T>(path: string, init = {}) {
        const response = await serverRequest(server, `/api/datasets/coco${path}`, init);
        if (response.status >= 400)
          throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
        return (await response.json()) as T;
      },
      async close() {
        await browser.close();
        await server.close();
        ws.close();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

async function servedWorkspace(root: string, options: HarnessOptions) {
  const { images = 24, withProjection = true, syntheticPoints } = options;
  const imageDir = join(root, 'images');
  mkdirSync(imageDir);
  for (const file of readdirSync(join(COCO128, 'images')).sort().slice(0, images)) {
    copyFileSync(join(COCO128, 'images', file), join(imageDir, file));
  }
  const ws = await Workspace.open(join(root, '.winnow'));
  try {
    await ingest(ws, imageDir, { dataset: 'coco' });
    const dataset = await ws.dataset('coco');
    await importYolo(ws, dataset, join(COCO128, 'labels'), {
      classes: join(COCO128, 'classes.yaml'),
      as: 'predictions',
    });
    if (withProjection) {
      process.env.WINNOW_MODEL_DIR ??= join(SHARED, 'models');
      await embedDataset(ws, dataset, { model: 'mobilenetv2-int8', device: 'cpu' });
      await analyze(ws, dataset, { typicality: true, projection: true, seed: 1 });
    }
    if (syntheticPoints) {
      await fillSynthetic(
        ws,
        await ws.createDataset('synthetic', { kind: 'local', uri: imageDir }),
        syntheticPoints,
      );
    }
    return { ws, server: await startServer(ws) };
  } catch (error) {
    ws.close();
    throw error;
  }
}

function serverRequest(
  server: LocalServer,
  path: string,
  { method = 'GET', body }: { method?: string; body?: unknown },
): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

interface RelayedRequest {
  method: string;
  path: string;
  body?: unknown;
}

/** A page at a made-up origin, served from Node: the widget bundle and a 1200×700 element. */
async function openPage(browser: Browser, server: LocalServer, bundle: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.exposeBinding('winnowRequest', async (_source, request: RelayedRequest) => {
    const response = await serverRequest(server, request.path, request);
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: Buffer.from(await response.arrayBuffer()).toString('base64'),
    };
  });
  await page.route(`${PAGE_ORIGIN}/**`, (route) => {
    const isBundle = route.request().url().endsWith('/winnow-widgets.js');
    return route.fulfill({
      contentType: isBundle ? 'text/javascript' : 'text/html',
      body: isBundle ? bundle : PAGE_HTML,
    });
  });
  await page.goto(`${PAGE_ORIGIN}/`);
  return page;
}

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><script src="/winnow-widgets.js"></script></head>
<body style="margin:0"><div id="winnow" style="width:1200px;height:700px"></div>
<script>
  window.__transport = {
    async request(request) {
      const answer = await window.winnowRequest(request);
      const bytes = Uint8Array.from(atob(answer.body), (c) => c.charCodeAt(0));
      return { status: answer.status, contentType: answer.contentType, body: bytes.buffer };
    },
  };
</script></body></html>`;

/** The ids the page's `onSelection` was last called with. */
export function pageSelection(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as TestWindow).__selection ?? []);
}

async function mountInPage(
  page: Page,
  options: { view: 'scatter' | 'grid' | 'label'; where?: string; pointBudget?: number; dataset?: string },
): Promise<void> {
  await page.evaluate((options) => {
    const w = window as unknown as TestWindow;
    w.__mounted?.dispose();
    w.__selection = undefined;
    w.__where = undefined;
    const element = document.body.firstChild as HTMLElement;
    element.replaceChildren();
    w.__mounted = w.WinnowWidgets.mountView(
      element,
      { dataset: 'coco', ...options },
      {
        transport: w.__transport,
        onSelection: (ids: Int32Array) => {
          w.__selection = Array.from(ids);
        },
        onWhere: (where: string) => {
          w.__where = where;
        },
      },
    );
  }, options);
}
