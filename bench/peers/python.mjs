/**
 * The Python side of the benchmarks: bench/.venv with the peers (bench/peers/requirements.txt)
 * installed once, and a runner for their scripts.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const VENV = join(HERE, '..', '.venv');
export const VENV_PYTHON = join(VENV, 'bin', 'python');
const PEER_REQUIREMENTS = join(HERE, 'requirements.txt');
const log = (...parts) => console.error('[bench:peers]', ...parts);
const round = (x) => Math.round(x * 1000) / 1000;

/**
 * Runs a command, streaming its stderr (and, unless `captureStdout`, its stdout) to our stderr.
 * Resolves with its stdout; rejects with the exit status and the last line it wrote to stderr.
 */
export function run(command, args, { captureStdout = false, timeoutMs } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (chunk) => {
      if (captureStdout) stdout += chunk;
      else process.stderr.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (status === 0) return resolve(stdout);
      const lastLine = stderrTail
        .split(/[\r\n]+/)
        .map((line) => line.trim())
        .filter(Boolean)
        .at(-1);
      const how = signal
        ? `was killed (${signal}${signal === 'SIGTERM' ? ', timeout?' : ''})`
        : `exited with ${status}`;
      reject(new Error(`${basename(command)} ${how}${lastLine ? `: ${lastLine}` : ''}`));
    });
  });
}

/** bench/.venv with bench/peers/requirements.txt installed (skipped when already done). */
export async function preparePeer() {
  const started = performance.now();
  const requirements = readFileSync(PEER_REQUIREMENTS, 'utf8');
  const stamp = join(VENV, '.bench-requirements.txt');
  if (existsSync(VENV_PYTHON) && existsSync(stamp) && readFileSync(stamp, 'utf8') === requirements) {
    return { installed: false, seconds: 0 };
  }
  if (!existsSync(VENV_PYTHON)) {
    log('creating bench/.venv');
    await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', VENV]);
  }
  log('installing bench/peers/requirements.txt into bench/.venv (first run: a few minutes)');
  await run(VENV_PYTHON, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    '-r',
    PEER_REQUIREMENTS,
  ]);
  writeFileSync(stamp, requirements);
  return { installed: true, seconds: round((performance.now() - started) / 1000) };
}

/**
 * The arguments of bench/peers/embed_baseline.py (the Python loop, and the Pillow reference):
 * embed the images of `folder` with the model `spec`, writing thumbnails and OUT/embeddings.npy.
 */
export function embedBaselineArgs(folder, spec, out) {
  return [
    join(HERE, 'embed_baseline.py'),
    folder,
    '--model-file',
    spec.path,
    '--config',
    JSON.stringify(spec.config),
    '--thumbs',
    join(out, 'thumbnails'),
    '--out',
    join(out, 'embeddings.npy'),
  ];
}
