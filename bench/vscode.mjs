#!/usr/bin/env node
/**
 * VS Code benchmark: the time from opening Winnow's side bar (a click on its activity-bar icon) in
 * code-server to the panel's scatter drawing its first frame of the synthetic workspace's 1M points
 * (bench/lib/synthetic-workspace.mjs), in headless Chromium (software WebGL: SwiftShader); beside
 * it, the notebook's figure measured in the same run (bench/notebook.mjs, Winnow only); and the
 * bytes a point costs over postMessage.
 *
 *   node bench/vscode.mjs [--sizes 1000000] [--runs N] [--no-notebook]
 *
 * - The .vsix is the one the set-up builds (extension-vscode/dist), code-server the one it installs
 *   (`scripts/setup.sh --test`); the folder opened is the synthetic workspace's, so the extension
 *   finds its `.winnow` by the default setting and starts `winnow serve` for it.
 * - Two clocks, as the notebook benchmark's: the widget's own `winnow:points-drawn` mark (in the
 *   panel's frame, put on the page's clock through the frames' time origins), and the first
 *   screenshot of the panel's canvas with at least 2 % of its pixels unlike its background.
 * - Run 0 opens the side bar as a user's first time does (the extension starts the server); it is
 *   the warm-up, reported apart. Each later run opens a new window (a fresh browser context, the
 *   Explorer shown) and Winnow's side bar in it (the server already running, as the notebook's
 *   warm runs). The click comes 5 s after the window shows, once its extension host is up.
 * - Bytes a point over postMessage: the points answer as it crosses into the webview (the
 *   `response` message whose request asked for `/points`), its body's bytes over the points.
 * Prints one JSON document (progress on stderr) and writes bench/out/vscode.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { chromium } from 'playwright-core';
import { stopRunning } from '../core/dist/server/runtime.js';
import { showsDrawing } from '../scripts/lib/canvas-pixels.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/lib/chromium.mjs';
import {
  CODE_SERVER_VERSION,
  installExtension,
  startCodeServer,
  writeUserSettings,
} from '../scripts/lib/code-server.mjs';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';

const args = parseArgs(process.argv.slice(2));
const SIZES = String(args.sizes ?? '1000000')
  .split(',')
  .map(Number);
const RUNS = Number(args.runs ?? 3);
const WITH_NOTEBOOK = !args['no-notebook'];
/** Points cover this share of the canvas; a loading message over it covers far less. */
const DRAWN_SHARE = 0.02;
const { version } = JSON.parse(readFileSync(join(ROOT, 'extension-vscode/package.json'), 'utf8'));
const VSIX = join(ROOT, `extension-vscode/dist/winnow-vscode-${version}.vsix`);
const log = (...parts) => console.error('[bench:vscode]', ...parts);

/**
 * In every frame, before its scripts: the messages a frame's own `message` listeners get are
 * noted, keeping the largest Arrow answer. VS Code writes a webview's page into its frame with
 * document.write, which drops listeners added before but keeps this realm's patched
 * addEventListener, so the page's own listener (the views' transport) is wrapped.
 */
function recordArrowAnswers() {
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (type !== 'message' || this !== window || typeof listener !== 'function')
      return add.call(this, type, listener, options);
    const noting = function (event) {
      const message = event.data;
      if (
        message?.type === 'response' &&
        message.contentType === 'application/vnd.apache.arrow.stream' &&
        message.body.byteLength > (window.__winnowLargestArrow?.byteLength ?? 0)
      )
        window.__winnowLargestArrow = message.body;
      return listener.call(this, event);
    };
    return add.call(this, type, noting, options);
  };
}

/** The panel's content frame (inside the webview's host frame), once it is there. */
async function panelFrame(page) {
  for (;;) {
    const frame = page
      .frames()
      .find(
        (f) =>
          f.url().includes('/webview/browser/pre/') && f.parentFrame()?.url().includes('/pre/index.html'),
      );
    if (frame) return frame;
    await page.waitForTimeout(50);
  }
}

/**
 * How long a (re)loaded window is left to settle before the click: its extension host starts and
 * activates the extension (on a workspace with `.winnow`), as by the time a user reaches for the icon.
 */
const SETTLE_MS = 5_000;

/** One opening of the side bar: both clocks, from the click on Winnow's icon. */
async function timeOpen(page, points) {
  await page.locator('.activitybar a.action-label[aria-label="Winnow"]').waitFor();
  await page.waitForTimeout(SETTLE_MS);
  const clicked = await page.evaluate(() => performance.timeOrigin + performance.now());
  await page.locator('.activitybar a.action-label[aria-label="Winnow"]').click();
  const frame = await panelFrame(page);
  const canvas = frame.locator('.winnow-scatter canvas').first();
  const deadline = Date.now() + 300_000;
  for (;;) {
    const png = (await canvas.count())
      ? await canvas.screenshot({ animations: 'disabled', timeout: 5_000 }).catch(() => null)
      : null;
    if (png && (await showsDrawing(png, DRAWN_SHARE))) break;
    if (Date.now() > deadline) {
      await page.screenshot({ path: join(OUT, 'vscode-not-drawn.png') });
      throw new Error(`no points drawn after 5 minutes (${join(OUT, 'vscode-not-drawn.png')})`);
    }
  }
  const shared = (await page.evaluate(() => performance.timeOrigin + performance.now())) - clicked;
  const ownAt = await frame.evaluate(async (expected) => {
    for (;;) {
      const drawn = document.querySelector('[data-points-drawn]');
      const [mark] = performance.getEntriesByName('winnow:points-drawn');
      if (drawn && mark && Number(drawn.getAttribute('data-points-drawn')) === expected) {
        return performance.timeOrigin + mark.startTime;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, points);
  return { shared, own: ownAt - clicked, frame };
}

/**
 * The largest Arrow answer the panel got, read back as a table: the points answer when it holds a
 * row for each point. Its bytes are what crossed postMessage.
 */
async function pointsAnswer(frame, points) {
  const base64 = await frame.evaluate(() => {
    const bytes = window.__winnowLargestArrow;
    if (!bytes) return null;
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000)
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  });
  if (!base64) throw new Error('the panel got no Arrow answer');
  const bytes = Buffer.from(base64, 'base64');
  const table = tableFromIPC(bytes);
  if (table.numRows !== points)
    throw new Error(`the largest Arrow answer has ${table.numRows} rows, not ${points}`);
  return {
    bytes: bytes.byteLength,
    columns: table.schema.fields.map((field) => `${field.name}: ${field.type}`),
    bytes_per_point: bytes.byteLength / points,
  };
}

/**
 * A new window on the folder, in a browser context of its own: no state kept from the run before
 * (VS Code keeps a window's layout in the browser's storage), so the side bar shows the Explorer
 * and Winnow's panel is made anew at the click.
 */
async function openWindow(browser, codeServer, folder) {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  await context.addInitScript(recordArrowAnswers);
  const page = await context.newPage();
  await page.goto(codeServer.folderUrl(folder));
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 120_000 });
  return { context, page };
}

async function measure(size) {
  const workspace = await syntheticWorkspace(size);
  const folder = dirname(workspace);
  const root = mkdtempSync(join(tmpdir(), 'winnow-bench-vscode-'));
  await installExtension(root, VSIX);
  writeUserSettings(root, {
    'workbench.colorTheme': 'Default Light Modern',
    'winnow.command': join(ROOT, 'core/bin/winnow.js'),
  });
  const codeServer = await startCodeServer({ root });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const shared = [];
    const own = [];
    let first;
    let answer;
    for (let run = 0; run <= RUNS; run++) {
      const { context, page } = await openWindow(browser, codeServer, folder);
      const time = await timeOpen(page, size);
      if (run === RUNS) answer = await pointsAnswer(time.frame, size);
      await context.close();
      log(
        `${size} points: side bar click → first frame ${Math.round(time.own)} ms (screenshot ${Math.round(time.shared)} ms)${run === 0 ? ', first open (starts the server)' : ''}`,
      );
      if (run === 0) {
        first = { own_mark_ms: Math.round(time.own), screenshot_ms: Math.round(time.shared) };
        continue;
      }
      shared.push(Math.round(time.shared));
      own.push(Math.round(time.own));
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    return {
      product: 'winnow-vscode',
      points: size,
      first_open: first,
      own_mark_runs_ms: own,
      own_mark_median_ms: median(own),
      screenshot_runs_ms: shared,
      screenshot_median_ms: median(shared),
      points_answer_over_postmessage: answer,
    };
  } finally {
    await browser.close();
    await codeServer.stop();
    await stopRunning(workspace);
    rmSync(root, { recursive: true, force: true });
  }
}

/** The notebook's figure in the same run: bench/notebook.mjs, Winnow only, at the same sizes. */
function notebookFigures() {
  const stdout = execFileSync(
    process.execPath,
    [join(ROOT, 'bench/notebook.mjs'), '--sizes', SIZES.join(','), '--runs', String(RUNS), '--no-peer'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout).results;
}

if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: scripts/setup.sh builds it`);
const results = [];
for (const size of SIZES) results.push(await measure(size));
const notebook = WITH_NOTEBOOK ? notebookFigures() : [];
const report = {
  benchmark: 'vscode',
  machine: machine(),
  browser: 'Debian Chromium, headless, WebGL on SwiftShader (software)',
  editor: `code-server ${CODE_SERVER_VERSION}`,
  measured:
    "from the click on Winnow's activity-bar icon to the panel's first frame of every point (its winnow:points-drawn mark) and to the first screenshot of its canvas showing them; the notebook's: from running its scatter cell (bench/notebook.mjs)",
  results: [...results, ...notebook.map((result) => ({ ...result, product: 'winnow-notebook' }))],
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'vscode.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
