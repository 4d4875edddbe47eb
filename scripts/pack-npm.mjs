// Writes the npm tarballs of @winnow-curate/core, @winnow-curate/native and this platform's native
// package (@winnow-curate/native-<platform>) into dist/npm/, and prints their paths and sizes.
// It builds nothing: it packs what scripts/setup.sh built (core/dist, native/*.node).
//
// The native packages are laid out as napi-rs publishes them: @winnow-curate/native carries the loader
// (native/index.js) and lists one package per target of `napi.targets` as optionalDependencies; each
// of those (native/npm/<platform>/, written by `napi create-npm-dirs`) carries one .node and declares
// its os/cpu/libc, so npm installs only the one that fits. A release job that has every target's
// .node does the same for all of them with `napi artifacts` and `napi pre-publish` (docs/packaging.md).
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(REPOSITORY, 'dist/npm');
const NATIVE = join(REPOSITORY, 'native');

function fail(message) {
  process.stderr.write(`pack-npm: ${message}\n`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** This machine's napi-rs platform name (linux-x64-gnu, darwin-arm64, win32-x64-msvc, ...). */
function currentPlatform() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === 'win32') return `${base}-msvc`;
  if (process.platform !== 'linux') return base;
  // Node built against glibc says which one in its report; musl's Node has no such field.
  return process.report.getReport().header.glibcVersionRuntime ? `${base}-gnu` : `${base}-musl`;
}

/** Copies these entries of `from` and the root LICENSE into a fresh folder under `stage`. */
function stagePackage(stage, name, from, entries) {
  const dir = join(stage, name);
  mkdirSync(dir);
  for (const entry of entries) cpSync(join(from, entry), join(dir, entry), { recursive: true });
  cpSync(join(REPOSITORY, 'LICENSE'), join(dir, 'LICENSE'));
  return dir;
}

const formatSize = (bytes) =>
  bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function requireFile(file) {
  if (!existsSync(file)) fail(`${relative(REPOSITORY, file)} is missing: run scripts/setup.sh first`);
}

const nativeManifest = readJson(join(NATIVE, 'package.json'));
const platform = currentPlatform();
const platformDir = join(NATIVE, 'npm', platform);
if (!existsSync(platformDir)) {
  fail(
    `no native/npm/${platform}: add its target to napi.targets in native/package.json, then run npx napi create-npm-dirs in native/`,
  );
}
const binary = `${nativeManifest.napi.binaryName}.${platform}.node`;
requireFile(join(NATIVE, binary));
requireFile(join(REPOSITORY, 'core/dist/cli/main.js'));

// What `napi pre-publish` writes into the native package before it is published: every platform
// package at the same version. Only in this staged copy: in the checkout, npm install would look
// them up in the registry, and `npm ci` fails on a lock file that cannot list them until they exist.
const platformPackages = readdirSync(join(NATIVE, 'npm'))
  .sort()
  .map((dir) => readJson(join(NATIVE, 'npm', dir, 'package.json')));
const stale = platformPackages.find((p) => p.version !== nativeManifest.version);
if (stale)
  fail(
    `${stale.name} is at ${stale.version}, native/package.json at ${nativeManifest.version}: run npx napi version in native/`,
  );

const stage = mkdtempSync(join(tmpdir(), 'winnow-pack-npm-'));
try {
  const core = stagePackage(stage, 'core', join(REPOSITORY, 'core'), ['package.json', 'bin', 'dist']);
  const native = stagePackage(stage, 'native', NATIVE, ['index.js', 'index.d.ts']);
  const optionalDependencies = Object.fromEntries(platformPackages.map((p) => [p.name, p.version]));
  writeFileSync(
    join(native, 'package.json'),
    `${JSON.stringify({ ...nativeManifest, optionalDependencies }, null, 2)}\n`,
  );
  const nativePlatform = stagePackage(stage, `native-${platform}`, platformDir, [
    'package.json',
    'README.md',
  ]);
  cpSync(join(NATIVE, binary), join(nativePlatform, binary));

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const dir of [core, native, nativePlatform]) {
    // npm is npm.cmd on Windows, which only a shell runs.
    const packed = execFileSync(
      'npm',
      ['pack', dir, '--json', '--pack-destination', OUT, '--loglevel=error'],
      {
        encoding: 'utf8',
        shell: process.platform === 'win32',
      },
    );
    const [{ filename, size }] = JSON.parse(packed);
    process.stdout.write(`${relative(REPOSITORY, join(OUT, filename))}  ${formatSize(size)}\n`);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}
