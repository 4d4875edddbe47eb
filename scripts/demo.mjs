// The README's demo: an example notebook that curates a folder of images (coco128 by default).
// `npm run demo [-- <folder>]` opens it in JupyterLab; with --headless (or without a terminal) it
// executes the notebook and prints the filenames it selected.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stopRunning } from '../core/dist/server/runtime.js';
import { ALLOW_ROOT } from './lib/jupyterlab.mjs';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NOTEBOOK = join(REPOSITORY, 'extension-jupyter/examples/curate-coco128.ipynb');
const DEMO = join(REPOSITORY, '.demo');
const PYTHON_BIN = join(REPOSITORY, '.venv/bin');

const { values, positionals } = parseArgs({
  options: { headless: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const images = resolve(positionals[0] ?? join(REPOSITORY, '../shared/datasets/coco128/images'));
if (!existsSync(images)) {
  console.error(`demo: ${images} does not exist: give a folder of images (npm run demo -- <folder>)`);
  process.exit(1);
}
const headless = values.headless || !process.stdout.isTTY;

mkdirSync(DEMO, { recursive: true });
const notebook = join(DEMO, 'curate-coco128.ipynb');
// The user's edits to the demo notebook are kept; a headless run always starts from the example.
if (headless || !existsSync(notebook)) copyFileSync(NOTEBOOK, notebook);
const env = {
  ...process.env,
  WINNOW_DEMO_IMAGES: images,
  WINNOW_WORKSPACE: join(DEMO, '.winnow'),
  WINNOW_COMMAND: join(REPOSITORY, 'core/bin/winnow.js'),
  WINNOW_MODEL_DIR: process.env.WINNOW_MODEL_DIR ?? join(REPOSITORY, '../shared/models'),
  PATH: `${PYTHON_BIN}:${process.env.PATH}`,
};

if (headless) {
  // Each headless run starts from an empty workspace, so it always shows the same thing.
  await stopRunning(env.WINNOW_WORKSPACE);
  rmSync(env.WINNOW_WORKSPACE, { recursive: true, force: true });
  console.error(`demo: executing ${notebook} on ${images}; the 20 most diverse images:`);
  const code = await run(join(PYTHON_BIN, 'python'), [
    join(REPOSITORY, 'scripts/run-notebook.py'),
    notebook,
    join(DEMO, 'curate-coco128.executed.ipynb'),
  ]);
  await stopRunning(env.WINNOW_WORKSPACE);
  process.exit(code);
} else {
  console.error(`demo: opening ${notebook} in JupyterLab (Ctrl-C stops it)`);
  const code = await run(join(PYTHON_BIN, 'jupyter'), [
    'lab',
    '--no-browser',
    '--ServerApp.ip=127.0.0.1',
    `--ServerApp.root_dir=${DEMO}`,
    // The link JupyterLab prints (and `/`) lands in the notebook rather than the launcher.
    `--LabApp.default_url=/lab/tree/${basename(notebook)}`,
    ...ALLOW_ROOT,
  ]);
  // The notebook's kernel started the workspace's server in a session of its own (so that a
  // kernel interrupt does not stop it): it outlives JupyterLab unless stopped here.
  const stopped = await stopRunning(env.WINNOW_WORKSPACE);
  if (stopped !== undefined) console.error(`demo: stopped the workspace's server (pid ${stopped})`);
  process.exit(code);
}

/**
 * Runs `command` to its end. Ctrl-C (or SIGTERM) ends it with SIGTERM, and the demo goes on to
 * clean up after it: JupyterLab takes one SIGINT as a question (shut down? y/[n]) and two
 * arriving together (the terminal's and a forwarded one) as a race, where SIGTERM just stops it.
 */
function run(command, args) {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { cwd: DEMO, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
    for (const name of ['SIGINT', 'SIGTERM']) process.on(name, () => child.kill('SIGTERM'));
  });
}
