/**
 * The notebook experience end to end, in a real JupyterLab (from .venv, with the winnow wheel and
 * its prebuilt extension installed by `scripts/setup.sh`) driven by Debian's Chromium: open the
 * example notebook, run all cells, see the scatter draw its points, lasso a region, see the grid
 * follow, get those filenames from `%winnow selected`, draw a box and find it stored; the Winnow
 * side panel lists the dataset, read through the notebook's kernel.
 *
 * The browser may reach JupyterLab and nothing else: every other request is aborted, so the views
 * can only work through the widget comm, as with a remote kernel whose server the browser cannot
 * reach. Then the same views in Notebook 7, and in a JupyterLab with the prebuilt Winnow extension
 * disabled: the views come through anywidget alone, as in a host that never loads the extension.
 * Screenshots go to extension-jupyter/e2e/artifacts/.
 */
/** biome-ignore-all lint/suspicious/noExplicitAny: JupyterLab's app object, read inside the page, has no types there */
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RuntimeInfo, readRuntime, stopRunning } from '../../core/src/server/runtime.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { startJupyterLab } from '../../scripts/lib/jupyterlab.mjs';
import { stopProcess } from '../../scripts/lib/loopback.mjs';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const COCO128 = join(REPOSITORY, '../shared/datasets/coco128');
const VENV_BIN = join(REPOSITORY, '.venv/bin');
const ARTIFACTS = join(REPOSITORY, 'extension-jupyter/e2e/artifacts');
const NOTEBOOK = 'curate-coco128.ipynb';
const IMAGES = 40;

let root: string;
let jupyter: ChildProcess;
let notebook7: ChildProcess | undefined;
let withoutExtension: ChildProcess | undefined;
let browser: Browser;
let page: Page;
let labUrl: string;
const blocked: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'winnow-lab-'));
  const images = join(root, 'images');
  mkdirSync(images);
  for (const file of readdirSync(join(COCO128, 'images')).sort().slice(0, IMAGES)) {
    copyFileSync(join(COCO128, 'images', file), join(images, file));
  }
  copyFileSync(join(REPOSITORY, 'extension-jupyter/examples', NOTEBOOK), join(root, NOTEBOOK));
  mkdirSync(ARTIFACTS, { recursive: true });
  const lab = await startJupyterLab({
    venvBin: VENV_BIN,
    root,
    env: {
      WINNOW_WORKSPACE: join(root, '.winnow'),
      WINNOW_COMMAND: join(REPOSITORY, 'core/bin/winnow.js'),
      WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models'),
      WINNOW_DEMO_IMAGES: images,
    },
  });
  jupyter = lab.child;
  labUrl = lab.url;
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width: 1500, height: 1100 } });
  // The browser reaches JupyterLab only: the views must go through the kernel's comm.
  await context.route('**/*', (route) => {
    if (route.request().url().startsWith(labUrl)) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  page = await context.newPage();
  await page.goto(`${labUrl}/lab/tree/${NOTEBOOK}?token=${lab.token}`);
}, 120_000);

afterAll(async () => {
  if (notebook7) await stopProcess(notebook7);
  if (withoutExtension) await stopProcess(withoutExtension);
  await browser?.close();
  // The kernel started the workspace's server (in a session of its own, so it outlives JupyterLab):
  // stop JupyterLab and its kernels first, or a kernel may start the server again after it stopped.
  if (jupyter) await stopProcess(jupyter);
  if (root) await stopRunning(join(root, '.winnow'));
  if (root) rmSync(root, { recursive: true, force: true });
});

function winnowServer(): RuntimeInfo {
  return readRuntime(join(root, '.winnow'))!;
}

async function sql(query: string, dataset = 'coco128') {
  const { url, token } = winnowServer();
  const response = await fetch(`${url}/api/datasets/${dataset}/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql: query }),
  });
  return (await response.json()).rows as Record<string, unknown>[];
}

/** Runs JupyterLab commands on the notebook through the app JupyterLab exposes in the page. */
function lab<T>(script: (app: any, notebook: any) => T): Promise<T> {
  return page.evaluate(
    `(${script.toString()})(window.jupyterapp, window.jupyterapp.shell.currentWidget)`,
  ) as Promise<T>;
}

/** Waits until every code cell ran and the kernel is idle; fails with the first error a cell raised. */
async function waitForCells(timeoutMs: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const panel = (window as any).jupyterapp?.shell?.currentWidget;
      const kernel = panel?.sessionContext?.session?.kernel;
      if (kernel?.status !== 'idle') return false;
      const cells = panel.content.widgets.filter((cell: any) => cell.model.type === 'code');
      return cells.every(
        (cell: any) => cell.model.executionCount !== null && !cell.promptNode?.textContent?.includes('*'),
      );
    },
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
  const errors = await lab((_app, panel) =>
    panel.content.widgets
      .flatMap((cell: any) => (cell.model.type === 'code' ? cell.model.outputs.toJSON() : []))
      .filter((output: any) => output.output_type === 'error')
      .map((output: any) => `${output.ename}: ${output.evalue}`),
  );
  expect(errors).toEqual([]);
}

/** Runs the code cell whose source starts with `prefix` and returns what it printed and showed. */
async function runCell(prefix: string): Promise<string> {
  const index = await lab(
    new Function(
      'app',
      'panel',
      `return panel.content.widgets.findIndex((c) => c.model.sharedModel.getSource().startsWith(${JSON.stringify(prefix)}))`,
    ) as (app: any, panel: any) => number,
  );
  expect(index).toBeGreaterThanOrEqual(0);
  const before = await page.evaluate(
    (i) => (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.executionCount,
    index,
  );
  await page.evaluate((i) => {
    const app = (window as any).jupyterapp;
    app.shell.currentWidget.content.activeCellIndex = i;
    return app.commands.execute('notebook:run-cell');
  }, index);
  await page.waitForFunction(
    ([i, count]) => {
      const cell = (window as any).jupyterapp.shell.currentWidget.content.widgets[i];
      return cell.model.executionCount !== null && cell.model.executionCount !== count;
    },
    [index, before] as const,
    { timeout: 60_000 },
  );
  await waitForCells(60_000);
  return page.evaluate(
    (i) =>
      (window as any).jupyterapp.shell.currentWidget.content.widgets[i].model.outputs
        .toJSON()
        .map((output: any) => (output.text ?? output.data?.['text/plain'] ?? '') as string)
        .join(''),
    index,
  );
}

/** Waits until the notebook open in the page has its kernel. */
async function waitForKernel(): Promise<void> {
  await page.waitForFunction(
    () => (window as any).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel,
    undefined,
    { timeout: 60_000 },
  );
}

/** The scatter in a cell's output, once it has drawn every image's point. */
async function drawnScatter(output: Locator): Promise<Locator> {
  const scatter = output.locator('[data-points-drawn]');
  await expect
    .poll(() => scatter.getAttribute('data-points-drawn'), { timeout: 60_000 })
    .toBe(String(IMAGES));
  return scatter;
}

/**
 * Draws a box with the scatter's box tool in a cell's output, between two corners given as
 * fractions of the plot, and returns how many samples the grid then says are selected.
 */
async function boxSelect(output: Locator, from: [number, number], to: [number, number]): Promise<number> {
  await output.locator('[data-action="box"]').click();
  const box = (await output.locator('[data-points-drawn] canvas').first().boundingBox())!;
  await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 10 });
  await page.mouse.up();
  const count = output.locator('.winnow-grid-count');
  await expect.poll(() => count.textContent(), { timeout: 30_000 }).toMatch(/selected/);
  return Number(/([\d,]+) selected/.exec((await count.textContent())!)![1]!.replace(/,/g, ''));
}

function outputOf(prefix: string): Locator {
  return page.locator('.jp-CodeCell', { hasText: prefix }).locator('.jp-OutputArea');
}

describe('the example notebook in JupyterLab', () => {
  it('runs every cell, draws the scatter, and a lasso comes back as filenames', async () => {
    await waitForKernel();
    // The side panel, before the notebook loaded winnow: its kernel closes the panel's comm.
    await lab((app) => app.shell.activateById('winnow-side-panel'));
    const sidePanel = page.locator('#winnow-side-panel');
    await sidePanel.locator('.winnow-side-panel-refresh').click();
    await expect
      .poll(() => sidePanel.locator('.winnow-side-panel-status').textContent(), { timeout: 30_000 })
      .toContain('Run `%load_ext winnow` in a notebook');

    await lab((app) => app.commands.execute('notebook:run-all-cells'));
    await waitForCells(600_000);
    await page.screenshot({ path: join(ARTIFACTS, 'notebook-run.png'), fullPage: true });

    // Now it lists the dataset with its samples, the selection's tag and the runs.
    await sidePanel.locator('.winnow-side-panel-refresh').click();
    const listed = sidePanel.locator('[data-dataset="coco128"]');
    const panelShows = async () => ({
      status: await sidePanel.locator('.winnow-side-panel-status').textContent(),
      count: (await listed.count()) ? await listed.locator('.winnow-side-panel-count').textContent() : null,
    });
    await expect
      .poll(panelShows, { timeout: 60_000 })
      .toEqual({ status: `Through the kernel of ${NOTEBOOK}`, count: `${IMAGES} samples` });
    const tag = listed.locator('[data-group="tags"] .winnow-side-panel-row', { hasText: 'diverse-20' });
    expect(await tag.locator('.winnow-side-panel-detail').textContent()).toBe('20');
    const runs = listed.locator('[data-group="runs"] .winnow-side-panel-row');
    for (const kind of ['ingest', 'selection']) {
      const run = runs.filter({ has: page.locator('.winnow-side-panel-label', { hasText: kind }) });
      expect(await run.locator('.winnow-side-panel-detail').textContent()).toMatch(/^done · /);
    }
    await sidePanel.screenshot({ path: join(ARTIFACTS, 'side-panel.png') });
    // The notebook gets its full width back for the views below.
    await lab((app) => app.shell.collapseLeft());

    const scatter = await drawnScatter(outputOf('%winnow show scatter'));
    await scatter.scrollIntoViewIfNeeded();
    await outputOf('%winnow show scatter').screenshot({ path: join(ARTIFACTS, 'scatter.png') });

    // A lasso around the middle of the plot.
    await outputOf('%winnow show scatter').locator('[data-action="lasso"]').click();
    const canvas = scatter.locator('canvas').first();
    const box = (await canvas.boundingBox())!;
    const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
    const polygon = [at(0.2, 0.2), at(0.8, 0.15), at(0.85, 0.8), at(0.25, 0.85)];
    await page.mouse.move(...polygon[0]!);
    await page.mouse.down();
    for (const point of [...polygon.slice(1), polygon[0]!]) await page.mouse.move(...point, { steps: 8 });
    await page.mouse.up();
    const tiles = outputOf('%winnow show scatter').locator('.winnow-grid [data-sample-id]');
    await expect.poll(() => tiles.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await outputOf('%winnow show scatter').screenshot({ path: join(ARTIFACTS, 'scatter-lasso.png') });

    // The grid shows the selection in id order: its count, and its first tiles are the first files.
    const gridCount = await outputOf('%winnow show scatter').locator('.winnow-grid-count').textContent();
    const selectedInGrid = Number(/([\d,]+) selected/.exec(gridCount ?? '')?.[1]?.replace(/,/g, ''));
    expect(selectedInGrid).toBeGreaterThan(0);
    expect(selectedInGrid).toBeLessThan(IMAGES);
    const printed = await runCell('lassoed = %winnow selected');
    expect(Number(/(\d+) selected/.exec(printed)?.[1])).toBe(selectedInGrid);
    const tileIds = await tiles.evaluateAll((nodes) =>
      nodes.map((n) => Number(n.getAttribute('data-sample-id'))),
    );
    const firstFiles = await sql(
      `SELECT filename FROM samples WHERE sample_id IN (${tileIds.join(',')}) ORDER BY sample_id LIMIT 5`,
    );
    const shown = [...printed.matchAll(/'([^']+)'/g)].map((match) => match[1]!);
    expect(shown).toEqual(firstFiles.map(({ filename }) => join(root, 'images', String(filename))));

    // The same selection from a terminal beside the notebook: the command goes through the
    // kernel's server (it holds the workspace) and reads the live selection the lasso left there.
    const fromTerminal = JSON.parse(
      execFileSync(
        'node',
        [
          join(REPOSITORY, 'core/bin/winnow.js'),
          '--workspace',
          join(root, '.winnow'),
          'selected',
          '--dataset',
          'coco128',
          '--json',
        ],
        { encoding: 'utf8' },
      ),
    ) as { source: string; filenames: string[] };
    expect(fromTerminal.source).toBe('scatter');
    expect(fromTerminal.filenames).toHaveLength(selectedInGrid);
    expect(fromTerminal.filenames.slice(0, 5)).toEqual(shown);

    // The selection cell's 20 picks are files that exist.
    const picked = await sql("SELECT count(*) AS n FROM tag_members WHERE tag = 'diverse-20'");
    expect(Number(picked[0]!.n)).toBe(20);
    expect(blocked.filter((url) => url.includes(new URL(winnowServer().url).host))).toEqual([]);
    expect(await page.content()).not.toContain(winnowServer().token);
  }, 900_000);

  it('draws a box in the label view and finds it stored', async () => {
    const label = outputOf('%winnow show label');
    await label.scrollIntoViewIfNeeded();
    const image = label.locator('.winnow-label-stage');
    await expect.poll(() => image.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    await label.locator('[data-action="draw"]').click();
    // On the picture itself: the stage is wider, the picture centred in it.
    const area = (await image.first().locator('img').boundingBox())!;
    await page.mouse.move(area.x + area.width * 0.3, area.y + area.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.6, area.y + area.height * 0.7, { steps: 10 });
    await page.mouse.up();
    await expect.poll(() => label.locator('[data-annotation-id]').count(), { timeout: 30_000 }).toBe(1);
    await label.screenshot({ path: join(ARTIFACTS, 'label-box.png') });
    const stored = await sql('SELECT box FROM annotations');
    expect(stored).toHaveLength(1);
    const printed = await runCell('%%winnow sql');
    expect(printed).toMatch(/1\s*$/m);
  }, 300_000);
});

describe('the same views in Notebook 7', () => {
  it('shows the scatter from the Python API; a box selection and the query bar come back to Python', async () => {
    const book = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [
        '%load_ext winnow',
        'import winnow\nview = winnow.dataset("coco128").scatter()\nview',
        'print(repr(view.where), len(view.selected), "selected")',
      ].map((source) => ({
        cell_type: 'code',
        metadata: {},
        source,
        outputs: [],
        execution_count: null,
      })),
    };
    writeFileSync(join(root, 'notebook7.ipynb'), JSON.stringify(book));
    const server = await startJupyterLab({
      venvBin: VENV_BIN,
      root,
      app: 'notebook',
      env: {
        WINNOW_WORKSPACE: join(root, '.winnow'),
        WINNOW_COMMAND: join(REPOSITORY, 'core/bin/winnow.js'),
      },
    });
    notebook7 = server.child;
    const context = await browser.newContext({ viewport: { width: 1500, height: 1100 } });
    await context.route('**/*', (route) =>
      route.request().url().startsWith(server.url) ? route.continue() : route.abort(),
    );
    page = await context.newPage();
    await page.goto(`${server.url}/notebooks/notebook7.ipynb?token=${server.token}`);
    await waitForKernel();
    await lab((app) => app.commands.execute('notebook:run-all-cells'));
    await waitForCells(120_000);
    const output = outputOf('view = winnow.dataset');
    await drawnScatter(output);
    const selected = await boxSelect(output, [0.1, 0.1], [0.9, 0.9]);
    const condition = output.locator('[data-role="sql"]');
    await condition.fill('width > 500');
    await condition.press('Enter');
    const wide = await sql(`SELECT count(*) AS n FROM samples WHERE width > 500`);
    await expect.poll(() => output.locator('.winnow-query-count').textContent()).toContain(`${wide[0]!.n}`);
    await output.screenshot({ path: join(ARTIFACTS, 'notebook7-scatter.png') });
    const printed = await runCell('print(repr(view.where)');
    expect(printed.trim()).toBe(`'width > 500' ${selected} selected`);
  }, 300_000);
});

describe('the views in a host without the Winnow extension', () => {
  // VS Code's own Jupyter extension cannot be installed here (its marketplace is unreachable), so
  // a JupyterLab with the prebuilt Winnow extension disabled stands for a host without it (VS
  // Code, Colab): the views can come only through anywidget, the kernel package's `View._esm`.
  it('renders the scatter with its points; a box selection comes back from %winnow selected', async () => {
    const configDir = join(root, 'jupyter-config-without-winnow');
    const jupyterEnv = {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH}`,
      JUPYTER_CONFIG_DIR: configDir,
    };
    // At the user level of a config folder of its own: the other servers of this test, and the
    // user's own Jupyter, keep the extension.
    execFileSync(
      join(VENV_BIN, 'jupyter'),
      ['labextension', 'disable', '@winnow-curate/jupyterlab', '--level=user'],
      {
        env: jupyterEnv,
        stdio: 'ignore',
      },
    );
    const listing = spawnSync(join(VENV_BIN, 'jupyter'), ['labextension', 'list'], {
      env: jupyterEnv,
      encoding: 'utf8',
    });
    expect(`${listing.stdout}${listing.stderr}`).toMatch(/@winnow-curate\/jupyterlab v\S+ \S*disabled/);

    const book = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      cells: [
        '%load_ext winnow',
        '%winnow show scatter --dataset coco128',
        'import json\nboxed = %winnow selected\nprint(json.dumps(boxed))',
      ].map((source) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null })),
    };
    writeFileSync(join(root, 'without-extension.ipynb'), JSON.stringify(book));
    const server = await startJupyterLab({
      venvBin: VENV_BIN,
      root,
      env: {
        WINNOW_WORKSPACE: join(root, '.winnow'),
        WINNOW_COMMAND: join(REPOSITORY, 'core/bin/winnow.js'),
        JUPYTER_CONFIG_DIR: configDir,
      },
    });
    withoutExtension = server.child;
    const context = await browser.newContext({ viewport: { width: 1500, height: 1100 } });
    await context.route('**/*', (route) =>
      route.request().url().startsWith(server.url) ? route.continue() : route.abort(),
    );
    page = await context.newPage();
    // `reset`: not the layout the first JupyterLab saved (its notebook open beside this one).
    await page.goto(`${server.url}/lab/tree/without-extension.ipynb?reset&token=${server.token}`);
    await waitForKernel();
    // The page runs no code of the Winnow extension: no plugin of it, no side panel.
    expect(await lab((app) => app.hasPlugin('@winnow-curate/jupyterlab:side-panel'))).toBe(false);
    expect(await page.locator('#winnow-side-panel').count()).toBe(0);

    await lab((app) => app.commands.execute('notebook:run-all-cells'));
    await waitForCells(120_000);
    const output = outputOf('%winnow show scatter');
    await drawnScatter(output);

    // A box over the left half of the plot: some points, not all.
    const inGrid = await boxSelect(output, [0.02, 0.02], [0.5, 0.98]);
    expect(inGrid).toBeGreaterThan(0);
    expect(inGrid).toBeLessThan(IMAGES);
    await output.screenshot({ path: join(ARTIFACTS, 'without-extension-scatter.png') });

    // `%winnow selected` gives exactly the boxed samples' files, in id order.
    const printed = await runCell('import json\nboxed = %winnow selected');
    const boxed = JSON.parse(printed.trim().split('\n').at(-1)!) as string[];
    expect(boxed).toHaveLength(inGrid);
    const { url, token } = winnowServer();
    const live = (await (
      await fetch(`${url}/api/datasets/coco128/selection`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { source: string; sample_ids: number[] };
    expect(live.source).toBe('scatter');
    const files = await sql(
      `SELECT filename FROM samples WHERE sample_id IN (${live.sample_ids.join(',')}) ORDER BY sample_id`,
    );
    expect(boxed).toEqual(files.map(({ filename }) => join(root, 'images', String(filename))));
    expect(await page.content()).not.toContain(winnowServer().token);
  }, 300_000);
});
