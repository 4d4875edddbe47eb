// Builds the VS Code extension: the two bundles (scripts/bundle.mjs) into dist/, then
// @vscode/vsce packages dist/winnow-vscode-<version>.vsix (.vscodeignore keeps only dist's
// bundles, media/, README, LICENSE and package.json). Run by `npm run build -w winnow-vscode` and the set-up.
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleExtensionHost, bundleWebview } from './bundle.mjs';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(packageDir, 'package.json'));
const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const dist = join(packageDir, 'dist');

await bundleExtensionHost(join(dist, 'extension.cjs'));
await bundleWebview(join(dist, 'webview.js'));

const vsix = join(dist, `winnow-vscode-${version}.vsix`);
rmSync(vsix, { force: true });
// vsce takes the license from the extension's folder; the repository's LICENSE is its one copy.
copyFileSync(join(packageDir, '..', 'LICENSE'), join(packageDir, 'LICENSE'));
try {
  execFileSync(
    process.execPath,
    [
      require.resolve('@vscode/vsce/vsce'),
      'package',
      '--no-dependencies',
      '--allow-missing-repository',
      // README's links into the repository's docs/ stay relative: the .vsix is not published.
      '--no-rewrite-relative-links',
      '--out',
      vsix,
    ],
    { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] },
  );
} catch (error) {
  process.exit(error.status ?? 1); // vsce has printed its own error
}
const kib = (file) => `${(statSync(file).size / 1024).toFixed(0)} KiB`;
console.log(
  `build: ${vsix} (${kib(vsix)}; extension.cjs ${kib(join(dist, 'extension.cjs'))}, webview.js ${kib(join(dist, 'webview.js'))})`,
);
