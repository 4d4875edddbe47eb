// The extension host's bundle talks to a server and nothing more: it requires only Node's own
// modules and `vscode`, so no engine part (DuckDB, sharp, ONNX Runtime, the native core) ships in
// the .vsix, and it needs no core/package.json beside it at run time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleExtensionHost } from '../scripts/bundle.mjs';

const dir = mkdtempSync(join(tmpdir(), 'winnow-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the extension host's bundle", () => {
  it('requires only Node built-ins and vscode, and carries the version of core/package.json', async () => {
    const file = join(dir, 'extension.cjs');
    await bundleExtensionHost(file);
    const code = readFileSync(file, 'utf8');
    const required = new Set([...code.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]!));
    const allowed = new Set(['vscode', ...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    expect([...required].filter((name) => !allowed.has(name))).toEqual([]);
    expect(required).toContain('vscode');
    expect(code).not.toContain('import.meta');
    expect(code).not.toContain('package.json');
    const { version } = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'core', 'package.json'), 'utf8'),
    );
    expect(code).toContain(JSON.stringify(version));
  });
});
