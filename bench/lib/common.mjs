/**
 * What the benchmarks share: argument parsing, the synthetic clustered embeddings both sides read,
 * raw-file helpers, child processes that print one JSON line, rank statistics and the machine.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUT = join(ROOT, 'bench', 'out');
const SEED = 20240604;
export const CLUSTERS = 100;
export const DATA_DESCRIPTION = `${CLUSTERS} Gaussian clusters (centres N(0,1), per-cluster sd U(0.2,0.6)), mulberry32 seed ${SEED}`;

/** Peak resident memory of this process (VmHWM, Linux), in bytes. */
export function peakRss() {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
}

/** Starts a new peak: VmHWM reset to the current RSS (Linux clear_refs 5); false where not allowed. */
export function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export function machine() {
  return { cpus: cpus().length, cpu: cpus()[0]?.model, memory_bytes: totalmem(), node: process.version };
}

export function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) args[key] = true;
    else {
      args[key] = next;
      i++;
    }
  }
  return args;
}

/** mulberry32: small, fast, seeded 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Path of the n×d embeddings file, and of its cluster labels (one byte per row). */
const embeddingsPath = (n, d) => join(OUT, `embeddings-${n}x${d}.f32`);
const labelsPath = (n, d) => join(OUT, `embeddings-${n}x${d}.labels.u8`);

/** Generates the n×d embeddings (deterministic for SEED) into their file, and their labels. */
function writeEmbeddings(n, d) {
  mkdirSync(OUT, { recursive: true });
  const rand = mulberry32(SEED ^ (n * 31 + d));
  const normal = gaussian(rand);
  const centres = new Float32Array(CLUSTERS * d);
  for (let i = 0; i < centres.length; i++) centres[i] = normal();
  const spread = Float32Array.from({ length: CLUSTERS }, () => 0.2 + 0.4 * rand());
  const labels = new Uint8Array(n);
  const fd = openSync(embeddingsPath(n, d), 'w');
  const chunkRows = 8192;
  const chunk = new Float32Array(chunkRows * d);
  for (let start = 0; start < n; start += chunkRows) {
    const rows = Math.min(chunkRows, n - start);
    for (let r = 0; r < rows; r++) {
      const c = Math.floor(rand() * CLUSTERS);
      labels[start + r] = c;
      const s = spread[c];
      for (let j = 0; j < d; j++) chunk[r * d + j] = centres[c * d + j] + s * normal();
    }
    const bytes = new Uint8Array(chunk.buffer, 0, rows * d * 4);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off);
  }
  closeSync(fd);
  writeFileSync(labelsPath(n, d), labels);
}

/** Writes n×d clustered embeddings once (deterministic for SEED), returning the path. */
export function ensureEmbeddings(n, d) {
  const path = embeddingsPath(n, d);
  if (existsSync(path) && statSync(path).size === n * d * 4) return path;
  writeEmbeddings(n, d);
  return path;
}

/**
 * The generating cluster (0..CLUSTERS-1) of each row of ensureEmbeddings(n, d), as a Uint8Array.
 * Files written before labels were kept are generated again (the same bytes).
 */
export function ensureLabels(n, d) {
  const path = labelsPath(n, d);
  if (!existsSync(path) || statSync(path).size !== n || !existsSync(embeddingsPath(n, d)))
    writeEmbeddings(n, d);
  return new Uint8Array(readFileSync(path));
}

/** Reads the first `rows` rows of a raw float32 file straight into a Float32Array. */
export function readRows(path, rows, dim) {
  const out = new Float32Array(rows * dim);
  const bytes = new Uint8Array(out.buffer);
  const fd = openSync(path, 'r');
  let off = 0;
  while (off < bytes.length) {
    const got = readSync(fd, bytes, off, bytes.length - off, off);
    if (got === 0) throw new Error(`${path}: short file`);
    off += got;
  }
  closeSync(fd);
  return out;
}

/**
 * The child-process side of a benchmark: loads the native core and the first `--rows` rows of
 * `--file` (`--dim` wide), lets `prepare(native, x, dim, rows)` set up what is not timed, times
 * only the call it returns, writes the typed array that call resolves to at `--out` (an array of
 * them at `--out.0`, `--out.1`, …) and prints one JSON line: seconds, peak RSS, RSS after the
 * load, the output's length and the SIMD kernel.
 */
export async function timeNativeCall(args, prepare) {
  const imported = await import(join(ROOT, 'native', 'index.js'));
  const native = imported.default ?? imported;
  const dim = Number(args.dim);
  const rows = Number(args.rows);
  const x = readRows(args.file, rows, dim);
  const rssAfterLoad = process.resourceUsage().maxRSS * 1024;
  const call = prepare(native, x, dim, rows);
  const t0 = process.hrtime.bigint();
  const result = await call();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const write = (path, o) => writeFileSync(path, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
  if (!Array.isArray(result)) write(args.out, result);
  else for (const [i, o] of result.entries()) write(`${args.out}.${i}`, o);
  console.log(
    JSON.stringify({
      seconds,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      rss_after_load_bytes: rssAfterLoad,
      length: (Array.isArray(result) ? result[0] : result).length,
      kernel: native.simdKernel(),
    }),
  );
}

/** Runs a child that prints JSON as its last stdout line (its stderr goes to ours), killed after `timeoutMs`. */
export function runJson(cmd, argv, { timeoutMs } = {}) {
  const stdout = execFileSync(cmd, argv, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
    timeout: timeoutMs,
  });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

export function readTyped(path, Type) {
  const buf = readRows(path, statSync(path).size / 4, 1);
  return new Type(buf.buffer);
}

export function pearson(a, b) {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Ranks (1-based), ties given their average rank. */
export function ranks(a) {
  const idx = Array.from(a, (_, i) => i).sort((i, j) => a[i] - a[j]);
  const r = new Float64Array(a.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && a[idx[j + 1]] === a[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[idx[t]] = avg;
    i = j + 1;
  }
  return r;
}
