// Builds what the wheel carries: tsc (this package and @winnow-curate/widgets); the views as one ES module,
// winnow/static/views.js, that the kernel package's anywidget `View` sends as its `_esm` (esbuild);
// and the prebuilt JupyterLab extension (the side panel) into winnow/labextension, with
// @jupyterlab/builder against the core of the JupyterLab installed in the repository's .venv, whose
// version the extension's shared packages must match.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = resolve(packageDir, '..');
const require = createRequire(join(packageDir, 'package.json'));

function python() {
  const candidates = [
    join(repoDir, '.venv', 'bin', 'python'),
    join(repoDir, '.venv', 'Scripts', 'python.exe'),
  ];
  const found = process.env.WINNOW_PYTHON ?? candidates.find((path) => existsSync(path));
  if (!found) fail(`no Python with JupyterLab: create ${join(repoDir, '.venv')} or set WINNOW_PYTHON`);
  return found;
}

function jupyterlabStaging() {
  const code = 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))';
  try {
    return execFileSync(python(), ['-c', code], { encoding: 'utf8' }).trim();
  } catch {
    fail(`cannot import jupyterlab with ${python()}: pip install jupyterlab==4.*`);
  }
}

function run(script, args) {
  try {
    execFileSync(process.execPath, [script, ...args], { cwd: packageDir, stdio: 'inherit' });
  } catch (error) {
    process.exit(error.status ?? 1); // the tool has printed its own errors
  }
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

run(require.resolve('typescript/bin/tsc'), ['-b']);
// Every host runs it as it is (VS Code and Colab have no bundler): everything inlined, minified.
await build({
  entryPoints: [join(packageDir, 'src', 'anywidget.ts')],
  outfile: join(packageDir, 'winnow', 'static', 'views.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  logLevel: 'warning',
});
run(require.resolve('@jupyterlab/builder/lib/build-labextension.js'), [
  '--core-path',
  jupyterlabStaging(),
  '.',
]);
// The wheel installs winnow/labextension as share/jupyter/labextensions/@winnow-curate/jupyterlab, and
// install.json must sit beside its package.json there; hatch takes no file from outside its project.
copyFileSync(join(repoDir, 'install.json'), join(packageDir, 'winnow', 'labextension', 'install.json'));
