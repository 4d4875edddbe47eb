// Builds the VS Code extension: esbuild bundles the extension host's code (dist/extension.cjs,
// Node, `vscode` left to the host) and the webview's (dist/webview.js, the browser views of
// @winnow/widgets and the VS Code Elements controls), then @vscode/vsce packages
// dist/winnow-vscode-<version>.vsix. Run by `npm run build -w winnow-vscode` and by the set-up.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const coreDir = resolve(packageDir, '..', 'core');
const require = createRequire(join(packageDir, 'package.json'));
const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
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
      { filter: /^(@duckdb\/|sharp$|onnxruntime-node|@winnow\/native|@winnow\/core$)/ },
      (args) => ({
        errors: [
          { text: `${args.path} (imported by ${args.importer}) must not be in the extension host's bundle` },
        ],
      }),
    );
  },
};

const common = { bundle: true, sourcemap: false, minify: true, logLevel: 'warning', legalComments: 'none' };

await build({
  ...common,
  entryPoints: [join(packageDir, 'src', 'extension.ts')],
  outfile: join(packageDir, 'dist', 'extension.cjs'),
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['vscode'],
  plugins: [coreVersionModule, noNativeModules],
});

await build({
  ...common,
  entryPoints: [join(packageDir, 'src', 'webview', 'main.ts')],
  outfile: join(packageDir, 'dist', 'webview.js'),
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
});

const vsix = join(packageDir, 'dist', `winnow-vscode-${version}.vsix`);
rmSync(vsix, { force: true });
execFileSync(
  process.execPath,
  [
    require.resolve('@vscode/vsce/vsce'),
    'package',
    '--no-dependencies',
    '--allow-missing-repository',
    '--skip-license',
    '--out',
    vsix,
  ],
  { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] },
);
const kib = (file) => `${(statSync(file).size / 1024).toFixed(0)} KiB`;
console.log(
  `build: ${vsix} (${kib(vsix)}; extension.cjs ${kib(join(packageDir, 'dist', 'extension.cjs'))}, webview.js ${kib(join(packageDir, 'dist', 'webview.js'))})`,
);
