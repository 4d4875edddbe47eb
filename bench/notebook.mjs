#!/usr/bin/env node
/**
 * Notebook benchmark: the time from running `%winnow show scatter` in JupyterLab to the scatter's
 * points drawn, in headless Chromium (software WebGL: SwiftShader), at 100k and 1M points of the
 * synthetic workspace (bench/lib/synthetic-workspace.mjs). The widget's requests go through the
 * kernel's comm to the workspace's server, as in any notebook. Each size runs --runs times (default
 * 3) in a fresh cell output after one warm-up; also reports the bytes a point the server sends.
 *
 *   node bench/notebook.mjs [--sizes 100000,1000000] [--runs N]
 *
 * Needs .venv with JupyterLab and the winnow package (bash scripts/setup.sh) and /usr/bin/chromium.
 * Prints one JSON document (progress on stderr) and writes bench/out/notebook.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/lib/chromium.mjs';
import { freePort, stopProcess, waitForPort } from '../scripts/lib/loopback.mjs';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';
import { syntheticWorkspace } from './lib/synthetic-workspace.mjs';

const args = parseArgs(process.argv.slice(2));
const SIZES = String(args.sizes ?? '100000,1000000')
  .split(',')
  .map(Number);
const RUNS = Number(args.runs ?? 3);
const VENV_BIN = join(ROOT, '.venv/bin');
const log = (...parts) => console.error('[bench:notebook]', ...parts);

/** A notebook with one cell per size: load the extension, then show each workspace's scatter. */
function writeNotebook(dir) {
  const cell = (source) => ({ cell_type: 'code', metadata: {}, source, outputs: [], execution_count: null });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [cell('%load_ext winnow'), cell('%winnow show scatter --dataset bench')],
  };
  writeFileSync(join(dir, 'bench.ipynb'), JSON.stringify(notebook));
}

async function startLab(dir, workspace) {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const child = spawn(
    join(VENV_BIN, 'jupyter'),
    [
      'lab',
      '--no-browser',
      '--ServerApp.ip=127.0.0.1',
      `--ServerApp.port=${port}`,
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${dir}`,
      `--LabApp.workspaces_dir=${join(dir, 'lab-workspaces')}`,
      '--LabApp.expose_app_in_browser=True',
      ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${VENV_BIN}:${process.env.PATH}`,
        JUPYTER_CONFIG_DIR: join(dir, 'jupyter-config'),
        JUPYTER_DATA_DIR: join(dir, 'jupyter-data'),
        JUPYTER_RUNTIME_DIR: join(dir, 'jupyter-runtime'),
        WINNOW_WORKSPACE: workspace,
        WINNOW_COMMAND: join(ROOT, 'core/bin/winnow.js'),
      },
      stdio: 'ignore',
    },
  );
  await waitForPort(port, child, 60_000);
  return { child, url: `http://127.0.0.1:${port}`, token };
}

/** Runs the show cell and answers the milliseconds from the run command to the points drawn. */
async function timeShowScatter(page, points) {
  return page.evaluate(async (expected) => {
    const app = window.jupyterapp;
    const notebook = app.shell.currentWidget.content;
    performance.clearMarks('winnow:points-drawn');
    notebook.activeCellIndex = 1;
    const started = performance.now();
    await app.commands.execute('notebook:run-cell');
    for (;;) {
      const drawn = document.querySelector('[data-points-drawn]');
      const [mark] = performance.getEntriesByName('winnow:points-drawn');
      if (drawn && mark && Number(drawn.getAttribute('data-points-drawn')) === expected) {
        return mark.startTime - started;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, points);
}

async function measure(size) {
  const workspace = await syntheticWorkspace(size);
  const dir = mkdtempSync(join(tmpdir(), 'winnow-bench-lab-'));
  writeNotebook(dir);
  const lab = await startLab(dir, workspace);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${lab.url}/lab/tree/bench.ipynb?token=${lab.token}`);
    await page.waitForFunction(
      () => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel,
      null,
      {
        timeout: 120_000,
      },
    );
    await page.evaluate(async () => {
      const app = window.jupyterapp;
      app.shell.currentWidget.content.activeCellIndex = 0;
      await app.commands.execute('notebook:run-cell');
    });
    await page.waitForFunction(
      () => window.jupyterapp.shell.currentWidget.content.widgets[0].model.executionCount !== null,
      null,
      { timeout: 120_000 },
    );
    const times = [];
    for (let run = 0; run <= RUNS; run++) {
      const ms = await timeShowScatter(page, size);
      log(`${size} points: ${Math.round(ms)} ms${run === 0 ? ' (warm-up)' : ''}`);
      if (run > 0) times.push(Math.round(ms));
    }
    const { url, token } = JSON.parse(readFileSync(join(workspace, 'server.json'), 'utf8'));
    const response = await fetch(`${url}/api/datasets/bench/points`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = (await response.arrayBuffer()).byteLength;
    stopServer(workspace);
    times.sort((a, b) => a - b);
    return {
      points: size,
      runs: times,
      median_ms: times[Math.floor(times.length / 2)],
      bytes_per_point: bytes / size,
    };
  } finally {
    await browser.close();
    await stopProcess(lab.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

function stopServer(workspace) {
  try {
    process.kill(JSON.parse(readFileSync(join(workspace, 'server.json'), 'utf8')).pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}

const results = [];
for (const size of SIZES) results.push(await measure(size));
const report = {
  benchmark: 'notebook',
  machine: machine(),
  browser: 'Debian Chromium, headless, WebGL on SwiftShader (software)',
  measured:
    "performance.now() in the page from executing the `%winnow show scatter` cell to the widget's winnow:points-drawn mark (comm relay, Arrow decode, first WebGL frame)",
  results,
  targets: { bytes_per_point: { target: 16, met: results.every((r) => r.bytes_per_point <= 16) } },
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'notebook.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
