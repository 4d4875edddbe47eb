#!/usr/bin/env node
/**
 * Notebook benchmark: the time from running the cell that shows an embedding scatter in JupyterLab
 * to its points drawn, in headless Chromium (software WebGL: SwiftShader), at 100k and 1M points
 * of the synthetic workspace (bench/lib/synthetic-workspace.mjs), side by side with Apple's
 * Embedding Atlas (its Jupyter widget, `EmbeddingAtlasWidget`, on the same x/y columns).
 *
 *   node bench/notebook.mjs [--sizes 100000,1000000] [--runs N] [--peer | --no-peer]
 *
 * - Winnow: `%winnow show scatter --dataset bench`; the widget's requests go through the kernel's
 *   comm to the workspace's server, as in any notebook. Two clocks: the widget's own
 *   `winnow:points-drawn` mark, and the clock both products share.
 * - Embedding Atlas: `EmbeddingAtlasWidget(df, row_id=…, x=…, y=…)` over a pandas DataFrame of the
 *   same coordinates, read from the workspace's DuckDB file in an earlier, untimed cell.
 * - The shared clock: from the run command to the first screenshot of the output's largest canvas
 *   with at least 2 % of its pixels unlike its background (its most frequent colour), screenshots taken back to back.
 * Each size runs --runs times (default 3) after one warm-up in the same page. Runs in its own
 * Python environment, bench/.venv-notebook (JupyterLab, this repository's winnow package and
 * embedding-atlas, made on first use). Prints one JSON document (progress on stderr) and writes
 * bench/out/notebook.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { readRuntime, stopRunning } from '../core/dist/server/runtime.js';
import { showsDrawing } from '../scripts/lib/canvas-pixels.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/lib/chromium.mjs';
import { startJupyterLab } from '../scripts/lib/jupyterlab.mjs';
import { stopProcess } from '../scripts/lib/loopback.mjs';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';

const args = parseArgs(process.argv.slice(2));
const SIZES = String(args.sizes ?? '100000,1000000')
  .split(',')
  .map(Number);
const RUNS = Number(args.runs ?? 3);
const WITH_PEER = !args['no-peer'];
const VENV = join(ROOT, 'bench/.venv-notebook');
const VENV_BIN = join(VENV, 'bin');
const PEER_PACKAGES = [
  'embedding-atlas==0.26.0',
  'anywidget==0.11.0',
  'jupyterlab==4.5.11',
  'ipywidgets==8.1.9',
];
/** Points cover this share of the canvas; a loading message over it covers far less. */
const DRAWN_SHARE = 0.02;
/** WebGPU on Chromium's software adapter, offered to both products (Winnow draws with WebGL2). */
const WEBGPU_ARGS = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
];
const log = (...parts) => console.error('[bench:notebook]', ...parts);

/**
 * bench/.venv-notebook with JupyterLab and Embedding Atlas (made once), and this repository's
 * winnow package as it is now (reinstalled every run: the views under test are the current ones;
 * `npm run bench` builds them first).
 */
function ensureVenv() {
  const stamp = join(VENV, `.packages-${PEER_PACKAGES.join('_')}`);
  const pip = (...packages) =>
    execFileSync(join(VENV_BIN, 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...packages], {
      stdio: 'inherit',
    });
  if (!existsSync(stamp)) {
    log(`creating ${VENV} (${PEER_PACKAGES.join(', ')})`);
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    pip(...PEER_PACKAGES);
    writeFileSync(stamp, '');
  }
  pip('--no-deps', '--force-reinstall', join(ROOT, 'extension-jupyter'));
}

/** The two cells of each product: an untimed set-up, then the one that shows the scatter. */
function cellsOf(product, workspace) {
  if (product === 'winnow') return ['%load_ext winnow', '%winnow show scatter --dataset bench'];
  return [
    [
      'import duckdb',
      'from embedding_atlas.widget import EmbeddingAtlasWidget',
      `with duckdb.connect(${JSON.stringify(join(workspace, 'workspace.duckdb'))}, read_only=True) as db:`,
      '    df = db.sql("SELECT sample_id, x, y FROM winnow.coordinates ORDER BY sample_id").df()',
    ].join('\n'),
    "EmbeddingAtlasWidget(df, row_id='sample_id', x='x', y='y')",
  ];
}

function writeNotebook(dir, cells) {
  const cell = (source) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: cells.map(cell),
  };
  writeFileSync(join(dir, 'bench.ipynb'), JSON.stringify(notebook));
}

function startLab(dir, workspace) {
  return startJupyterLab({
    venvBin: VENV_BIN,
    root: dir,
    env: { WINNOW_WORKSPACE: workspace, WINNOW_COMMAND: join(ROOT, 'core/bin/winnow.js') },
  });
}

function runCell(page, index) {
  return page.evaluate(async (i) => {
    const app = window.jupyterapp;
    app.shell.currentWidget.content.activeCellIndex = i;
    window.__runStarted = performance.now();
    await app.commands.execute('notebook:run-cell');
  }, index);
}

async function waitForExecuted(page, index) {
  await page.waitForFunction(
    (i) => {
      const panel = window.jupyterapp.shell.currentWidget;
      return (
        panel.content.widgets[i].model.executionCount !== null &&
        panel.sessionContext.session.kernel.status === 'idle'
      );
    },
    index,
    { timeout: 600_000, polling: 200 },
  );
}

/** Whether the output's largest canvas shows points: enough pixels unlike its background. */
async function canvasDrawn(page) {
  const canvas = await page.evaluateHandle(() => {
    const all = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output canvas')];
    return all.sort((a, b) => b.width * b.height - a.width * a.height)[0] ?? null;
  });
  const element = canvas.asElement();
  if (!element || !(await element.boundingBox())) return false;
  const png = await element.screenshot({ animations: 'disabled' }).catch(() => null);
  return png !== null && (await showsDrawing(png, DRAWN_SHARE));
}

/**
 * What a view says when it cannot draw here: Embedding Atlas needs WebGPU with 16-bit floats in
 * shaders, which Chromium's software adapter (SwiftShader) lacks.
 */
function viewRefusal(page) {
  return page.evaluate(() => {
    // Embedding Atlas renders into a shadow root.
    const texts = [...document.querySelectorAll('.jp-Notebook .jp-OutputArea-output *')].map(
      (element) => element.shadowRoot?.textContent ?? '',
    );
    return /WebGPU is unavailable[^.]*\./.exec(texts.join(' '))?.[0] ?? null;
  });
}

/** One timed show: the shared clock (screenshots) and, for Winnow, its own mark. */
async function timeShow(page, product, points) {
  await page.evaluate(() => {
    performance.clearMarks('winnow:points-drawn');
    for (const output of document.querySelectorAll('.jp-Notebook .jp-OutputArea-output canvas'))
      output.remove();
  });
  await runCell(page, 1);
  const deadline = Date.now() + 300_000;
  while (!(await canvasDrawn(page))) {
    const refusal = await viewRefusal(page);
    if (refusal) return { refusal };
    if (Date.now() > deadline) throw new Error(`${product}: no points drawn after 5 minutes`);
  }
  const shared = await page.evaluate(() => performance.now() - window.__runStarted);
  let own = null;
  if (product === 'winnow') {
    own = await page.evaluate(async (expected) => {
      for (;;) {
        const drawn = document.querySelector('[data-points-drawn]');
        const [mark] = performance.getEntriesByName('winnow:points-drawn');
        if (drawn && mark && Number(drawn.getAttribute('data-points-drawn')) === expected) {
          return mark.startTime - window.__runStarted;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }, points);
  }
  await waitForExecuted(page, 1);
  return { shared, own };
}

/**
 * Winnow's scatter while panning: from a pointer move (a drag in steps of 20 pixels) to the frame
 * it draws, 12 steps after 3 untimed ones. Also how many points those frames drew (a motion sample
 * where a frame of every point is slow, see widgets/src/scatter/motion.ts).
 */
async function panLatencies(page) {
  const plot = await page.locator('.jp-OutputArea-output .winnow-plot').last().boundingBox();
  const [x, y] = [plot.x + plot.width / 2, plot.y + plot.height / 2];
  await page.mouse.move(x, y);
  await page.mouse.down();
  const ms = [];
  let drawn = 0;
  for (let step = 1; step <= 15; step++) {
    const before = await page.evaluate(() => {
      const scatter = [...document.querySelectorAll('.jp-OutputArea-output .winnow-scatter')].at(-1);
      window.__nextFrame = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          observer.disconnect();
          // The frame is queued for the GPU here: reading a pixel back waits until it is drawn.
          const gl = scatter.querySelector('canvas').getContext('webgl2');
          gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
          resolve({ at: performance.now(), drawn: Number(scatter.dataset.pointsDrawn) });
        });
        observer.observe(scatter, { attributeFilter: ['data-points-drawn'] });
      });
      return performance.now();
    });
    await page.mouse.move(x + 20 * step, y);
    const frame = await page.evaluate(() => window.__nextFrame);
    if (step > 3) ms.push(Math.round(frame.at - before));
    drawn = frame.drawn;
  }
  await page.mouse.up();
  return { ms, drawn };
}

async function measure(product, size) {
  const workspace = await syntheticWorkspace(size);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-lab-'));
  writeNotebook(dir, cellsOf(product, workspace));
  const lab = await startLab(dir, workspace);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...WEBGPU_ARGS],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${lab.url}/lab/tree/bench.ipynb?token=${lab.token}`);
    await page.waitForFunction(
      () => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel,
      null,
      { timeout: 120_000 },
    );
    await runCell(page, 0);
    await waitForExecuted(page, 0);
    const shared = [];
    const own = [];
    for (let run = 0; run <= RUNS; run++) {
      const time = await timeShow(page, product, size);
      if (time.refusal) {
        log(`${product}, ${size} points: not drawn: ${time.refusal}`);
        return { product, points: size, drawn: false, said: time.refusal };
      }
      log(
        `${product}, ${size} points: ${Math.round(time.shared)} ms${time.own === null ? '' : ` (own mark ${Math.round(time.own)} ms)`}${run === 0 ? ', warm-up' : ''}`,
      );
      if (run === 0) continue;
      shared.push(Math.round(time.shared));
      if (time.own !== null) own.push(Math.round(time.own));
    }
    const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const pan = product === 'winnow' ? await panLatencies(page) : null;
    if (pan)
      log(
        `${product}, ${size} points: pan step to frame, median ${median(pan.ms)} ms (${pan.drawn} points a frame)`,
      );
    return {
      product,
      points: size,
      drawn: true,
      runs_ms: shared,
      median_ms: median(shared),
      ...(pan
        ? { pan_step_to_frame_ms: pan.ms, pan_step_median_ms: median(pan.ms), pan_points_a_frame: pan.drawn }
        : {}),
      ...(own.length ? { own_mark_runs_ms: own, own_mark_median_ms: median(own) } : {}),
      ...(product === 'winnow' ? { bytes_per_point: await pointBytes(workspace, size) } : {}),
    };
  } finally {
    await browser.close();
    await stopProcess(lab.child);
    await stopRunning(workspace);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function pointBytes(workspace, size) {
  const { url, token } = readRuntime(workspace);
  const response = await fetch(`${url}/api/datasets/bench/points`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await response.arrayBuffer()).byteLength / size;
}

ensureVenv();
const results = [];
for (const size of SIZES) {
  results.push(await measure('winnow', size));
  if (WITH_PEER) results.push(await measure('embedding-atlas', size));
}
const report = {
  benchmark: 'notebook',
  machine: machine(),
  browser: 'Debian Chromium, headless, WebGL on SwiftShader (software)',
  measured:
    "from executing the scatter's cell to the first screenshot of its largest canvas with points (both products); Winnow's own winnow:points-drawn mark besides",
  chromium_flags: [...CHROMIUM_ARGS, ...WEBGPU_ARGS],
  results,
  targets: {
    bytes_per_point: {
      target: 16,
      met: results.filter((r) => r.product === 'winnow').every((r) => r.bytes_per_point <= 16),
    },
  },
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'notebook.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
