// The extension's two esbuild bundles: the extension host's code (Node, CommonJS, `vscode`
// left to the host) and the panel's page (the browser views of @winnow-curate/widgets and the VS Code
// Elements controls). scripts/build.mjs packages them; the tests bundle the page on their own.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coreDir = resolve(packageDir, '..', 'core');
const coreVersion = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')).version;

/**
 * core/src/version.ts reads core/package.json beside it at run time, through import.meta.url; a
 * bundle has neither the file beside it nor import.meta in CommonJS. The bundle gets the same
 * version read here from the same file, so core/package.json stays its one source.
 */
const coreVersionModule = {
  name: 'winnow-core-version',
  setup(context) {
    context.onLoad({ filter: /[\\/]core[\\/]src[\\/]version\.ts$/ }, () => ({
      contents: `export const WINNOW_VERSION = ${JSON.stringify(coreVersion)};`,
      loader: 'ts',
    }));
  },
};

/**
 * The extension host's code must stay free of core's engine (DuckDB, sharp, ONNX Runtime, the
 * native core): it only talks to a server. A native module in its bundle fails the build.
 */
const noNativeModules = {
  name: 'winnow-no-native-modules',
  setup(context) {
    context.onResolve(
      { filter: /^(@duckdb\/|sharp$|onnxruntime-node|@winnow-curate\/native|@winnow-curate\/core$)/ },
      (args) => ({
        errors: [
          { text: `${args.path} (imported by ${args.importer}) must not be in the extension host's bundle` },
        ],
      }),
    );
  },
};

const common = { bundle: true, sourcemap: false, minify: true, logLevel: 'warning', legalComments: 'none' };

/** Bundles src/extension.ts into `outfile` (dist/extension.cjs). */
export async function bundleExtensionHost(outfile) {
  await build({
    ...common,
    entryPoints: [join(packageDir, 'src', 'extension.ts')],
    outfile,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['vscode'],
    plugins: [coreVersionModule, noNativeModules],
  });
}

/** Bundles the panel's page, src/webview/main.ts, into `outfile` (dist/webview.js). */
export async function bundleWebview(outfile) {
  await build({
    ...common,
    entryPoints: [join(packageDir, 'src', 'webview', 'main.ts')],
    outfile,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    // The views from their sources: the page never lags behind widgets/src for want of a tsc run.
    alias: { '@winnow-curate/widgets': join(packageDir, '..', 'widgets', 'src', 'index.ts') },
  });
}
