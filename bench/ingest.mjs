#!/usr/bin/env node
/**
 * Ingest benchmark: index 100,000 small real JPEG files (the CIFAR-10 test photos from
 * ../shared/datasets, copied round-robin into 100 folders of 1,000) into a fresh workspace,
 * then re-run the ingest (nothing changed) to time the incremental path.
 *
 * In the same run, on the same files, it indexes them with a peer, LightlyStudio (PyPI
 * `lightly-studio`, pinned in bench/peers/requirements.txt), through
 * bench/peers/lightly_studio_ingest.py: `ImageDataset.add_images_from_path(embed=False)` into a
 * fresh DuckDB file, offline. The Python environment is bench/.venv, created and pip-installed on
 * first use (a few minutes: the package pulls in torch). A peer that cannot be installed or that
 * fails is reported in `peer.error`; the Winnow numbers are reported either way.
 *
 *   node bench/ingest.mjs [--files N] [--peer-files M] [--no-peer]
 *
 * --peer-files M gives the peer only the first M files (its `limit`); files/s are compared.
 * The files are generated once under bench/out/ingest-files-<N>/ and reused. Prints one JSON
 * document on stdout and writes bench/out/ingest.json. Target: >= 20,000 files/s.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peakRss } from './lib/common.mjs';
import { preparePeer, run, VENV_PYTHON } from './peers/python.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const CIFAR = join(HERE, '../../shared/datasets/cifar10-test.tar.gz');
const TARGET_FILES_PER_SECOND = 20_000;
const { Workspace } = await import(new URL('../core/dist/store/workspace.js', import.meta.url).href);
const { ingest } = await import(new URL('../core/dist/ingest/index.js', import.meta.url).href);

const PEER_SCRIPT = join(HERE, 'peers', 'lightly_studio_ingest.py');
const PEER_TIMEOUT_MS = 8 * 60 * 1000;

const option = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : undefined;
};
const N = option('--files') ?? 100_000;
const PEER_FILES = Math.min(option('--peer-files') ?? N, N);
const WITH_PEER = !process.argv.includes('--no-peer');
const log = (...parts) => console.error('[bench:ingest]', ...parts);

function generate(root) {
  const ready = join(root, '.complete');
  if (existsSync(ready)) return false;
  rmSync(root, { recursive: true, force: true });
  const photos = join(OUT, 'cifar10-test');
  if (!existsSync(photos)) {
    mkdirSync(photos, { recursive: true });
    execFileSync('tar', ['-xzf', CIFAR, '-C', photos]);
  }
  const sources = readdirSync(join(photos, 'test'))
    .flatMap((cls) => readdirSync(join(photos, 'test', cls)).map((f) => join(photos, 'test', cls, f)))
    .sort();
  for (let i = 0; i < N; i++) {
    const dir = join(root, `d${String(Math.floor(i / 1000)).padStart(3, '0')}`);
    if (i % 1000 === 0) mkdirSync(dir, { recursive: true });
    copyFileSync(sources[i % sources.length], join(dir, `${String(i).padStart(6, '0')}.jpg`));
  }
  writeFileSync(ready, '');
  return true;
}

/** Runs the peer script on the same folder; its last stdout line is its JSON report. */
async function runPeer(folder) {
  const args = [PEER_SCRIPT, folder, '--out', join(OUT, 'lightly-studio')];
  if (PEER_FILES < N) args.push('--limit', String(PEER_FILES));
  const stdout = await run(VENV_PYTHON, args, { captureStdout: true, timeoutMs: PEER_TIMEOUT_MS });
  return JSON.parse(stdout.trim().split('\n').at(-1));
}

async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

mkdirSync(OUT, { recursive: true });
const files = join(OUT, `ingest-files-${N}`);
log(generate(files) ? `generated ${N} files` : `reusing ${N} files`);

// Install the peer before timing anything, so pip's disk traffic stays out of both timings.
let peer = WITH_PEER ? { peer: 'lightly-studio' } : { skipped: '--no-peer' };
let peerInstall;
if (WITH_PEER) {
  try {
    peerInstall = await preparePeer();
  } catch (error) {
    peer = { peer: 'lightly-studio', error: `install failed: ${error.message}` };
  }
}
const workspace = join(OUT, 'ingest-workspace');
rmSync(workspace, { recursive: true, force: true });
const ws = await Workspace.open(workspace);
const first = await timed(() => ingest(ws, files, { dataset: 'bench' }));
const again = await timed(() => ingest(ws, files, { dataset: 'bench' }));
ws.close();

if (peerInstall) {
  log(`indexing ${PEER_FILES} files with LightlyStudio`);
  try {
    peer = { ...(await runPeer(files)), install: peerInstall };
    if (peer.files !== PEER_FILES) peer.error = `indexed ${peer.files} of ${PEER_FILES} files`;
  } catch (error) {
    peer = { peer: 'lightly-studio', error: error.message, install: peerInstall };
  }
  if (PEER_FILES < N) {
    peer.subset = `first ${PEER_FILES} of the ${N} files (add_images_from_path limit); compare files/s`;
  }
}
const peerOk = WITH_PEER && !peer.error && peer.files_per_second > 0;

const peakRssBytes = peakRss();

const filesPerSecond = Math.round(N / first.seconds);
const report = {
  benchmark: 'ingest',
  machine: { cpu: cpus()[0]?.model, cores: cpus().length, memory_bytes: totalmem(), node: process.version },
  files: N,
  first_ingest: {
    seconds: round(first.seconds),
    files_per_second: filesPerSecond,
    added: first.result.added,
  },
  unchanged_reingest: {
    seconds: round(again.seconds),
    files_per_second: Math.round(N / again.seconds),
    unchanged: again.result.unchanged,
  },
  peak_rss_bytes: peakRssBytes,
  peer,
  speedup_vs_lightly_studio: peerOk ? round2(filesPerSecond / peer.files_per_second) : null,
  reingest_speedup_vs_lightly_studio: peerOk
    ? round2(N / again.seconds / peer.unchanged_readd.files_per_second)
    : null,
  speedup_note:
    'files/s ratios, Winnow / LightlyStudio: first ingest vs its first add_images_from_path, and unchanged ' +
    're-ingest vs its second add of the same folder (it skips known paths without checking for changes)',
  target_files_per_second: TARGET_FILES_PER_SECOND,
  pass: filesPerSecond >= TARGET_FILES_PER_SECOND && first.result.added === N,
  note: 'files are in the page cache (generated or read just before): this measures Winnow, not the disk',
};
writeFileSync(join(OUT, 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));

function round(x) {
  return Math.round(x * 1000) / 1000;
}

function round2(x) {
  return Math.round(x * 100) / 100;
}
