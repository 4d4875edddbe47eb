// Winnow is Apache-2.0: the root LICENSE, every package's manifest, and the .vsix a user installs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPOSITORY } from './helpers.js';

const read = (file: string) => readFileSync(join(REPOSITORY, file), 'utf8');
const PACKAGES = ['.', 'core', 'native', 'widgets', 'extension-jupyter', 'extension-vscode'];

describe('the license', () => {
  it('is Apache-2.0 in LICENSE and in every package.json, pyproject.toml and Cargo.toml', () => {
    expect(read('LICENSE')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    const declared = Object.fromEntries([
      ...PACKAGES.map((dir) => [`${dir}/package.json`, JSON.parse(read(`${dir}/package.json`)).license]),
      ...['extension-jupyter/pyproject.toml', 'native/Cargo.toml'].map((file) => [
        file,
        /^license = "(.*)"$/m.exec(read(file))?.[1],
      ]),
    ]);
    for (const [file, license] of Object.entries(declared))
      expect({ file, license }).toEqual({ file, license: 'Apache-2.0' });
  });

  it('ships in the .vsix the set-up builds', () => {
    const { version } = JSON.parse(read('extension-vscode/package.json'));
    const vsix = join(REPOSITORY, `extension-vscode/dist/winnow-vscode-${version}.vsix`);
    if (!existsSync(vsix)) throw new Error(`${vsix} is missing: scripts/setup.sh builds it`);
    // A zip keeps its entries' names uncompressed (in each entry's header and in the directory).
    expect(readFileSync(vsix).includes('extension/LICENSE.txt')).toBe(true);
  });
});
