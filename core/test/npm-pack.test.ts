// The npm packages as a user gets them: scripts/pack-npm.mjs packs @winnow-curate/core,
// @winnow-curate/native and this platform's native package; they install into an empty folder from
// those tarballs (third-party packages from the registry or npm's cache), and the `winnow` they bring
// runs there with no Rust toolchain on the PATH.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY } from './helpers.js';

const run = promisify(execFile);
const OUT = join(REPOSITORY, 'dist/npm');
// A cold npm cache fetches the core's ~200 third-party packages: minutes on CI.
const INSTALL_TIMEOUT = 8 * 60_000;
const { version: VERSION } = JSON.parse(readFileSync(join(REPOSITORY, 'core/package.json'), 'utf8'));

// Node's own folder, and the system's for what Node's shebang and npm's shims use, unless cargo is there.
const SYSTEM_DIRS = ['/usr/bin', '/bin'].filter((dir) => !existsSync(join(dir, 'cargo')));
const PATH_WITHOUT_CARGO = [dirname(process.execPath), ...SYSTEM_DIRS].join(delimiter);

let folder: string;
let packed: string;

/** Runs the installed `winnow` with the PATH above; never throws, returns the exit code. */
async function installedWinnow(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(join(folder, 'node_modules/.bin/winnow'), args, {
      cwd: folder,
      // The shared models, which are never copied into the repository or the packages.
      env: { PATH: PATH_WITHOUT_CARGO, HOME: folder, WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models') },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

beforeAll(async () => {
  packed = (await run('node', [join(REPOSITORY, 'scripts/pack-npm.mjs')], { cwd: REPOSITORY })).stdout;
  folder = mkdtempSync(join(tmpdir(), 'winnow-npm-install-'));
  const tarballs = readdirSync(OUT).map((file) => join(OUT, file));
  await run(
    'npm',
    ['install', ...tarballs, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
    {
      cwd: folder,
      // onnxruntime-node's install script would fetch its CUDA providers from NuGet.
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
    },
  );
}, INSTALL_TIMEOUT);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe('the npm packages', () => {
  it('are packed as three tarballs, listed with their sizes', () => {
    const tarballs = readdirSync(OUT).sort();
    expect(tarballs).toEqual([
      `winnow-curate-core-${VERSION}.tgz`,
      `winnow-curate-native-${VERSION}.tgz`,
      expect.stringMatching(
        new RegExp(`^winnow-curate-native-[a-z0-9]+-[a-z0-9]+(-[a-z]+)?-${VERSION}\\.tgz$`),
      ),
    ]);
    expect(packed.trimEnd().split('\n')).toEqual(
      tarballs.map((file) => expect.stringMatching(new RegExp(`^dist/npm/${file}  [0-9.]+ [kM]B$`))),
    );
  });

  it("load the native core from this platform's package: the loader's package carries no binary", () => {
    const installed = join(folder, 'node_modules/@winnow-curate');
    const platformPackage = readdirSync(installed).filter((name) => name.startsWith('native-'));
    expect(platformPackage).toHaveLength(1);
    expect(readdirSync(join(installed, platformPackage[0])).filter((f) => f.endsWith('.node'))).toHaveLength(
      1,
    );
    expect(readdirSync(join(installed, 'native')).filter((f) => f.endsWith('.node'))).toEqual([]);
  });

  it('each carry the Apache-2.0 LICENSE and the license field', () => {
    const installed = join(folder, 'node_modules/@winnow-curate');
    for (const name of readdirSync(installed)) {
      const manifest = JSON.parse(readFileSync(join(installed, name, 'package.json'), 'utf8'));
      expect({ name, license: manifest.license }).toEqual({ name, license: 'Apache-2.0' });
      expect(readFileSync(join(installed, name, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License/);
    }
  });

  it("run winnow --version with no cargo on the PATH, printing the core's version", async () => {
    const cargo = PATH_WITHOUT_CARGO.split(delimiter).filter((dir) => existsSync(join(dir, 'cargo')));
    expect(cargo).toEqual([]);
    expect(await installedWinnow('--version')).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('say a mistyped command in at most two lines, exit code 2', async () => {
    const typo = await installedWinnow('ingset');
    expect(typo.code).toBe(2);
    expect(typo.stderr.trimEnd().split('\n').length).toBeLessThanOrEqual(2);
    expect(typo.stderr).toContain("unknown command 'ingset'");
  });

  it('ingest and embed two PNGs with DuckDB, ONNX Runtime and the native core (which decodes them) as installed', async () => {
    const images = join(folder, 'images');
    mkdirSync(images);
    for (const [name, red] of Object.entries({ 'a.png': 200, 'b.png': 40 })) {
      await sharp({ create: { width: 16, height: 12, channels: 3, background: { r: red, g: 90, b: 10 } } })
        .png()
        .toFile(join(images, name));
    }
    const ingest = await installedWinnow(
      'ingest',
      images,
      '--dataset',
      't',
      '--workspace',
      join(folder, 'ws'),
      '--json',
    );
    expect(ingest.code).toBe(0);
    expect(JSON.parse(ingest.stdout)).toMatchObject({ samples: 2, images: 2, added: 2, corrupt: 0 });
    const embed = await installedWinnow(
      'embed',
      '--dataset',
      't',
      '--model',
      'mobilenetv2-int8',
      '--device',
      'cpu',
      '--workspace',
      join(folder, 'ws'),
      '--json',
    );
    expect(embed.stderr).toBe('');
    const summary = JSON.parse(embed.stdout);
    expect(summary).toMatchObject({ embedded: 2, corrupt: [], dim: 1280 });
    expect(readdirSync(summary.thumbnails)).toHaveLength(2);
  });
});
