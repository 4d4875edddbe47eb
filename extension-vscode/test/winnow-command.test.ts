// How the extension runs winnow (the `winnow.command` setting) and where the workspace is (`winnow.workspace`).
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { onPath, winnowCommand } from '../src/server/winnow-command.js';
import { winnowWorkspace } from '../src/server/workspace-folder.js';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'winnow-path-'));
  made.push(dir);
  return dir;
}

function folderWithNode(): string {
  const bin = folder();
  writeFileSync(join(bin, 'node'), '#!/bin/sh\n');
  chmodSync(join(bin, 'node'), 0o755);
  return bin;
}

describe('winnow.command', () => {
  it('a program name or path runs as it is', () => {
    expect(winnowCommand('')).toEqual({ program: 'winnow', args: [] });
    expect(winnowCommand(' /opt/winnow/bin/winnow ')).toEqual({
      program: '/opt/winnow/bin/winnow',
      args: [],
    });
  });

  it("a .js file (or a link to one) runs with the node on the PATH, not the extension host's runtime", () => {
    const bin = folderWithNode();
    const script = join(bin, 'winnow.js');
    writeFileSync(script, '');
    symlinkSync(script, join(bin, 'winnow-link'));
    expect(winnowCommand(script, `/nonexistent:${bin}`)).toEqual({
      program: join(bin, 'node'),
      args: [script],
    });
    expect(winnowCommand(join(bin, 'winnow-link'), bin).args).toEqual([join(bin, 'winnow-link')]);
  });

  it('a .js file without node on the PATH is an error naming the setting', () => {
    const empty = folder();
    expect(() => winnowCommand('/x/core/bin/winnow.js', empty)).toThrow(
      'winnow.command: /x/core/bin/winnow.js is a .js file, and no `node` is on the PATH to run it',
    );
  });

  it('finds only executables on the PATH', () => {
    const bin = folder();
    mkdirSync(join(bin, 'sub'));
    writeFileSync(join(bin, 'node'), '');
    expect(onPath('node', bin)).toBeUndefined();
    chmodSync(join(bin, 'node'), 0o755);
    expect(onPath('node', bin)).toBe(join(bin, 'node'));
  });
});

describe('winnow.workspace', () => {
  it('is taken from the first folder when relative, from home with ~, and as it is when absolute', () => {
    expect(winnowWorkspace('', '/home/u/project')).toBe('/home/u/project/.winnow');
    expect(winnowWorkspace('./.winnow', '/home/u/project')).toBe('/home/u/project/.winnow');
    expect(winnowWorkspace('data/ws', '/home/u/project')).toBe('/home/u/project/data/ws');
    expect(winnowWorkspace('~/ws', undefined)).toBe(join(homedir(), 'ws'));
    expect(winnowWorkspace('/srv/ws/', undefined)).toBe('/srv/ws');
  });

  it('a relative one with no folder open is an error naming the setting', () => {
    expect(() => winnowWorkspace('./.winnow', undefined)).toThrow(
      "winnow.workspace: './.winnow' is relative, and no folder is open to take it from",
    );
  });
});
