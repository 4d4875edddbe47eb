// Runs the test suites: cargo's first (the Rust core's algorithms and image path, on their own),
// then vitest (TypeScript, the browsers, code-server) and pytest (the kernel package, the platform
// wheel) side by side. Most of their time is spent waiting on servers, kernels and browsers, so
// running those two together shortens `npm test` (vitest.config.ts says how many workers vitest
// takes). Vitest prints as it goes; pytest's output is held and printed whole after it, so the
// two never interleave. Exits non-zero when any suite fails.
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

// First and alone: compiling the Rust tests (the release profile, whose dependencies setup has
// already built for the binding) takes both cores and gigabytes for a minute or two, which the
// browsers and servers of the other suites should not have to share.
const rust = await run(
  'cargo',
  ['test', '--release', '--lib', '--manifest-path', 'native/Cargo.toml'],
  false,
);
const kernelTests = run('npm', ['run', '--silent', 'test:jupyter'], true);
const browserAndCore = await run('npx', ['vitest', 'run'], false);
const kernel = await kernelTests;
process.stdout.write('\n── the kernel package (pytest, run beside vitest) ──\n');
process.stdout.write(kernel.printed);
process.exit(rust.code || browserAndCore.code || kernel.code);
