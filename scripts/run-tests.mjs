// Runs the test suites side by side: vitest (TypeScript, the browsers, code-server), pytest (the
// kernel package, the platform wheel) and cargo's (the Rust core's algorithms and image path, on
// their own). Most of vitest's and pytest's time is spent waiting on servers, kernels and browsers,
// so running them together shortens `npm test` (vitest.config.ts says how many workers vitest
// takes). Vitest prints as it goes; the others' output is held and printed whole after it, so
// nothing interleaves. Exits non-zero when any suite fails.
import { spawn } from 'node:child_process';

/** Runs `command`; resolves with its exit code and, when `hold` is set, what it printed. */
function run(command, args, hold) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    const printed = [];
    if (hold)
      for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => printed.push(chunk));
    child.on('exit', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), printed: Buffer.concat(printed) }),
    );
    for (const name of ['SIGINT', 'SIGTERM']) process.on(name, () => child.kill(name));
  });
}

const kernelTests = run('npm', ['run', '--silent', 'test:jupyter'], true);
// The release profile, whose dependencies setup has already built for the binding.
const rustTests = run(
  'cargo',
  ['test', '--release', '--lib', '--quiet', '--manifest-path', 'native/Cargo.toml'],
  true,
);
const browserAndCore = await run('npx', ['vitest', 'run'], false);
const kernel = await kernelTests;
process.stdout.write('\n── the kernel package (pytest, run beside vitest) ──\n');
process.stdout.write(kernel.printed);
const rust = await rustTests;
process.stdout.write('\n── the Rust core (cargo test, run beside vitest) ──\n');
process.stdout.write(rust.printed);
process.exit(browserAndCore.code || kernel.code || rust.code);
