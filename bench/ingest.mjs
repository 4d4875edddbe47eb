#!/usr/bin/env node
/**
 * Ingest benchmark: index 100,000 small real JPEG files (the CIFAR-10 test photos from
 * ../shared/datasets, copied round-robin into 100 folders of 1,000) into a fresh workspace,
 * then re-run the ingest (nothing changed) to time the incremental path.
 *
 *   node bench/ingest.mjs [--files N]
 *
 * The files are generated once under bench/out/ingest-files-<N>/ and reused. Prints one JSON
 * document on stdout and writes bench/out/ingest.json. Target: >= 20,000 files/s.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, 'out');
const CIFAR = join(HERE, '../../shared/datasets/cifar10-test.tar.gz');
const TARGET_FILES_PER_SECOND = 20_000;
const { Workspace } = await import(new URL('../core/dist/store/workspace.js', import.meta.url).href);
const { ingest } = await import(new URL('../core/dist/ingest/index.js', import.meta.url).href);

const filesArg = process.argv.indexOf('--files');
const N = filesArg > 0 ? Number(process.argv[filesArg + 1]) : 100_000;
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

async function timed(work) {
  const started = performance.now();
  const result = await work();
  return { result, seconds: (performance.now() - started) / 1000 };
}

mkdirSync(OUT, { recursive: true });
const files = join(OUT, `ingest-files-${N}`);
log(generate(files) ? `generated ${N} files` : `reusing ${N} files`);
const workspace = join(OUT, 'ingest-workspace');
rmSync(workspace, { recursive: true, force: true });
const ws = await Workspace.open(workspace);
const first = await timed(() => ingest(ws, files, { dataset: 'bench' }));
const again = await timed(() => ingest(ws, files, { dataset: 'bench' }));
ws.close();
const peakRss =
  Number(/VmHWM:\s+(\d+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1]) *
  1024;

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
  peak_rss_bytes: peakRss,
  target_files_per_second: TARGET_FILES_PER_SECOND,
  pass: filesPerSecond >= TARGET_FILES_PER_SECOND && first.result.added === N,
  note: 'files are in the page cache (generated or read just before): this measures Winnow, not the disk',
};
writeFileSync(join(OUT, 'ingest.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));

function round(x) {
  return Math.round(x * 1000) / 1000;
}
