/**
 * One esbuild bundle of the widgets for a page (the test harness, the benchmark, the VS Code
 * webview): an IIFE that puts `mountView` and friends on `globalThis.WinnowWidgets`.
 *
 *   node widgets/scripts/bundle.mjs [outfile]     (default widgets/dist/winnow-widgets.js)
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Bundles the widgets into `outfile`; returns its path. */
export async function bundleWidgets(outfile, { minify = false } = {}) {
  await build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: 'iife',
    globalName: 'WinnowWidgets',
    platform: 'browser',
    target: 'es2022',
    // Readable stack traces in tests; a shipped bundle stays small.
    sourcemap: minify ? false : 'inline',
    minify,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2] ?? fileURLToPath(new URL('../dist/winnow-widgets.js', import.meta.url));
  await bundleWidgets(outfile, { minify: true });
  console.log(outfile);
}
