/**
 * The VS Code extension end to end, in a real VS Code: code-server 4.100.3 (from npm, installed by
 * `scripts/setup.sh --test`) with the .vsix the set-up builds, driven by Debian's Chromium. A folder
 * whose workspace holds coco128 ingested, embedded and analyzed: the Winnow container lists it, the
 * panel's scatter draws its points, a box selection goes into train.py through "Winnow: Insert
 * Selected Filenames", a selection config runs from its CodeLens, a misspelt key gets a diagnostic,
 * and the panel follows a dark theme. Screenshots go to extension-vscode/e2e/artifacts/.
 *
 * code-server runs offline: the browser may reach it and nothing else (every other request is
 * aborted and listed), and its extension gallery, update check and telemetry are off
 * (scripts/lib/code-server.mjs). Nothing the test started outlives it: code-server with its
 * extension host, and the Winnow server the extension started for the folder.
 *
 * VS Code's own notebook editor is not tested here: it needs Microsoft's Jupyter extension from
 * the marketplace, which this machine cannot reach. What a notebook host without Winnow's
 * JupyterLab extension shows (the views through anywidget) is tested in JupyterLab with that
 * extension disabled (extension-jupyter/e2e).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRuntime, stopRunning } from '../../core/src/server/runtime.js';
import { backgroundColor, showsDrawing } from '../../scripts/lib/canvas-pixels.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import {
  installExtension,
  isRunning,
  processTree,
  startCodeServer,
  writeUserSettings,
} from '../../scripts/lib/code-server.mjs';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const WINNOW = join(REPOSITORY, 'core/bin/winnow.js');
const COCO128_IMAGES = join(REPOSITORY, '../shared/datasets/coco128/images');
const ARTIFACTS = join(REPOSITORY, 'extension-vscode/e2e/artifacts');
const { version } = JSON.parse(readFileSync(join(REPOSITORY, 'extension-vscode/package.json'), 'utf8'));
const VSIX = join(REPOSITORY, `extension-vscode/dist/winnow-vscode-${version}.vsix`);
const MODELS = join(REPOSITORY, '../shared/models');
const SAMPLES = 128;

const TRAIN_PY = `import torch

# The samples picked in Winnow's scatter.
train_files = `;

const SELECTION_YAML = `# Twenty samples as different from each other as the embeddings tell.
strategies:
  - input:
      type: EMBEDDINGS
    strategy:
      type: DIVERSITY
n_samples: 20
`;

let root: string;
let folder: string;
let workspace: string;
let codeServerRoot: string;
let codeServer: Awaited<ReturnType<typeof startCodeServer>> | undefined;
let browser: Browser | undefined;
let page: Page;
const blocked: string[] = [];

/** Runs the winnow command on the folder's workspace (`env` added to its environment). */
function winnow(args: string[], env: Record<string, string> = {}): string {
  return execFileSync('node', [WINNOW, '--workspace', workspace, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
}

beforeAll(async () => {
  if (!existsSync(VSIX)) throw new Error(`${VSIX} is missing: scripts/setup.sh --test builds it`);
  root = mkdtempSync(join(tmpdir(), 'winnow-vscode-'));
  folder = join(root, 'project');
  workspace = join(folder, '.winnow');
  codeServerRoot = join(root, 'code-server');
  mkdirSync(folder);
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(folder, 'train.py'), TRAIN_PY);
  writeFileSync(join(folder, 'selection.yaml'), SELECTION_YAML);
  winnow(['ingest', COCO128_IMAGES, '--dataset', 'coco128']);
  // The model by its name, found in the shared models folder; the server started later does not
  // need it (a command whose environment differs from the server's is refused).
  winnow(['embed', '--dataset', 'coco128', '--model', 'mobilenetv2-int8'], { WINNOW_MODEL_DIR: MODELS });
  winnow(['analyze', '--dataset', 'coco128', '--projection']);

  await installExtension(codeServerRoot, VSIX);
  writeUserSettings(codeServerRoot, {
    'workbench.colorTheme': 'Default Light Modern',
    'winnow.command': WINNOW,
  });
  codeServer = await startCodeServer({ root: codeServerRoot });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  // The page may reach code-server only: no gallery, CDN or telemetry behind its back.
  const origin = codeServer.url;
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`) || url.startsWith('blob:') || url.startsWith('data:'))
      return route.continue();
    blocked.push(url);
    return route.abort();
  });
  page = await context.newPage();
  await page.goto(codeServer.folderUrl(folder));
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 90_000 });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await codeServer?.stop();
  if (workspace) await stopRunning(workspace);
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The panel's page: the webview's content frame inside the frame VS Code hosts it in. */
function panel(): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The Winnow tree's pane (its header and rows). */
function treePane() {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Workspace' }) });
}

/** A row of the Winnow tree whose label is `label`. */
function treeRow(label: string) {
  return treePane().locator('.monaco-list-row', {
    has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }),
  });
}

/** Runs a command from the palette by its title, as a user would. */
async function runCommand(title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.fill(`>${title}`);
  await page
    .locator('.quick-input-list .monaco-list-row', { has: page.getByText(title, { exact: true }) })
    .first()
    .click();
}

/** Opens a file of the folder in an editor through Quick Open. */
async function openFile(name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().click();
  await page.locator('.tab.active', { hasText: name }).waitFor();
  await page.locator('.editor-instance .monaco-editor').last().click();
}

/**
 * Gives the views room: the side bar `width` pixels wide, and the tree `treeHeight` pixels high
 * with the panel below it taking the rest, by dragging the sashes (the splits' handles) as a user.
 */
async function layOutSideBar(width: number, treeHeight: number): Promise<void> {
  const bar = (await page.locator('.part.sidebar').boundingBox())!;
  await dragSashAt('vertical', { x: bar.x + bar.width }, { x: bar.x + width });
  const panelHeader = (await page.locator('.pane-header', { hasText: 'Views' }).boundingBox())!;
  const treeTop = (await page.locator('.pane-header', { hasText: 'Workspace' }).boundingBox())!;
  await dragSashAt('horizontal', { y: panelHeader.y }, { y: treeTop.y + treeHeight });
}

/** Drags the sash found at `at` (its x when vertical, its y when horizontal) to `to`. */
async function dragSashAt(
  orientation: 'vertical' | 'horizontal',
  at: { x?: number; y?: number },
  to: { x?: number; y?: number },
): Promise<void> {
  for (const sash of await page.locator(`.monaco-sash.${orientation}`).all()) {
    const box = await sash.boundingBox();
    if (!box) continue;
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    const near = orientation === 'vertical' ? Math.abs(x - at.x!) < 4 : Math.abs(y - at.y!) < 4;
    if (!near) continue;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(to.x ?? x, to.y ?? y, { steps: 5 });
    await page.mouse.up();
    return;
  }
  throw new Error(`no ${orientation} sash at ${JSON.stringify(at)}`);
}

describe('Winnow in code-server', () => {
  it('opens the Winnow container; its tree lists coco128 with 128 samples', async () => {
    await page.locator('.activitybar a.action-label[aria-label="Winnow"]').click();
    const coco = treeRow('coco128');
    await expect
      .poll(() => coco.locator('.label-description').textContent(), { timeout: 60_000 })
      .toBe(`${SAMPLES} samples`);
    await layOutSideBar(760, 160);
    await coco.click();
    await expect.poll(() => treeRow('Tags').count(), { timeout: 30_000 }).toBe(1);
    await treePane().screenshot({ path: join(ARTIFACTS, 'tree.png') });
  }, 180_000);

  it("shows coco128's scatter in the panel, every point drawn", async () => {
    const scatter = panel().locator('.winnow-scatter[data-points-drawn]');
    await expect
      .poll(() => scatter.getAttribute('data-points-drawn'), { timeout: 90_000 })
      .toBe(String(SAMPLES));
    // No fit needed: the scatter fits itself again when the side bar is widened (until a pan or zoom).
    const canvas = scatter.locator('canvas').first();
    // The canvas shows them: points cover a share of it, whatever the theme's background.
    await expect
      .poll(async () => showsDrawing(await canvas.screenshot(), 0.01), { timeout: 30_000 })
      .toBe(true);
    await page.locator('.part.sidebar').screenshot({ path: join(ARTIFACTS, 'panel-scatter.png') });
  }, 180_000);

  it('puts exactly the samples of a box selection into train.py with Insert Selected Filenames', async () => {
    const scatter = panel().locator('.winnow-scatter');
    await panel().locator('[data-action="box"]').click();
    const canvas = (await scatter.locator('canvas').first().boundingBox())!;
    await page.mouse.move(canvas.x + canvas.width * 0.15, canvas.y + canvas.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width * 0.6, canvas.y + canvas.height * 0.75, { steps: 10 });
    await page.mouse.up();
    await expect.poll(() => scatter.getAttribute('data-selected'), { timeout: 30_000 }).toMatch(/^[1-9]\d*$/);
    const boxed = Number(await scatter.getAttribute('data-selected'));
    expect(boxed).toBeLessThan(SAMPLES);
    // The same server holds the live selection the box left: what a terminal beside it reads.
    const selected = () => JSON.parse(winnow(['selected', '--dataset', 'coco128', '--json']));
    await expect.poll(() => selected().filenames.length, { timeout: 30_000 }).toBe(boxed);
    const { filenames, source } = selected() as { filenames: string[]; source: string };
    expect(source).toBe('scatter');

    await openFile('train.py');
    await page.keyboard.press('Control+End');
    await runCommand('Winnow: Insert Selected Filenames');
    const editorText = page.locator('.editor-instance .view-lines').last();
    await expect.poll(() => editorText.textContent(), { timeout: 30_000 }).toContain(`"${filenames[0]}",`);
    await page.keyboard.press('Control+S');
    const file = join(folder, 'train.py');
    await expect
      .poll(() => readFileSync(file, 'utf8').length, { timeout: 30_000 })
      .toBeGreaterThan(TRAIN_PY.length);
    const written = readFileSync(file, 'utf8');
    expect(written.startsWith(TRAIN_PY)).toBe(true);
    // A Python list of string literals, each a JSON string: the paths come back exactly.
    const list = written.slice(TRAIN_PY.length).trim();
    expect(list).toMatch(/^\[\n(\s+".*",\n)+\]$/);
    const paths = [...list.matchAll(/^\s+(".*"),$/gm)].map((match) => JSON.parse(match[1]!) as string);
    expect(paths).toEqual(filenames);
    expect(paths.every((path) => path.startsWith(`${COCO128_IMAGES}/`))).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'train-py-inserted.png') });
  }, 180_000);

  it('runs selection.yaml from its CodeLens: the new tag appears in the tree', async () => {
    await openFile('selection.yaml');
    await page.locator('.codelens-decoration a', { hasText: 'Run selection' }).click();
    // The new tag's name, offered from the file's; the dataset is not asked (there is one).
    const input = page.locator('.quick-input-widget input');
    await expect.poll(() => input.inputValue(), { timeout: 30_000 }).toBe('selection');
    await input.fill('diverse-20');
    await input.press('Enter');
    await page
      .locator('.notifications-toasts', { hasText: 'Winnow: tag diverse-20: 20 samples' })
      .waitFor({ timeout: 120_000 });
    const tags = treeRow('Tags');
    if ((await tags.getAttribute('aria-expanded')) !== 'true') await tags.click();
    await expect
      .poll(() => treeRow('diverse-20').locator('.label-description').textContent(), { timeout: 30_000 })
      .toBe('20 samples');
    await treePane().screenshot({ path: join(ARTIFACTS, 'tree-new-tag.png') });
  }, 180_000);

  it('marks a misspelt key of selection.yaml on its line, with the message naming it', async () => {
    // Line 5 is `    strategy:`; the cursor to its first letter, the key retyped wrong.
    await page.keyboard.press('Control+G');
    await page.keyboard.type('5');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('stratgy:');
    await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', {
      hasText: 'Unrecognized key: "stratgy"',
    });
    await expect.poll(() => problem.textContent(), { timeout: 30_000 }).toContain('[Ln 5, Col 5]');
    expect(await problem.textContent()).toContain('strategies[0]');
    await page.screenshot({ path: join(ARTIFACTS, 'selection-yaml-diagnostic.png') });
  }, 120_000);

  it('follows a dark theme: the workbench and the panel turn dark', async () => {
    await runCommand('Preferences: Color Theme');
    await page.locator('.quick-input-widget input').fill('Dark Modern');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Dark Modern' }).first().click();
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => panel().locator('body').getAttribute('class'), { timeout: 30_000 })
      .toContain('vscode-dark');
    const canvas = panel().locator('.winnow-scatter canvas').first();
    await expect
      .poll(async () => showsDrawing(await canvas.screenshot(), 0.01), { timeout: 30_000 })
      .toBe(true);
    // The plot's background is the theme's, dark: each channel below the middle.
    const background = await backgroundColor(await canvas.screenshot());
    expect([background >> 16, (background >> 8) & 255, background & 255].every((c) => c < 96)).toBe(true);
    await page.locator('.part.sidebar').screenshot({ path: join(ARTIFACTS, 'panel-dark.png') });
  }, 120_000);

  it('reached nothing but code-server, and the server token never reached the page', async () => {
    expect(blocked).toEqual([]);
    const { token } = readRuntime(workspace)!;
    const frames = await Promise.all(page.frames().map((frame) => frame.content().catch(() => '')));
    expect(frames.join('\n')).not.toContain(token);
  });

  it('leaves nothing running: code-server, its extension host, the server the extension started', async () => {
    const serverPid = readRuntime(workspace)!.pid;
    const started = [...processTree(codeServer!.child.pid!), serverPid];
    expect(started.length).toBeGreaterThan(2);
    await browser!.close();
    await codeServer!.stop();
    expect(await stopRunning(workspace)).toBe(serverPid);
    expect(started.filter(isRunning)).toEqual([]);
  }, 60_000);
});
