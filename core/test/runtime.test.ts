import { chmodSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findRunning, isLoopbackUrl, type RuntimeInfo, runtimeFile } from '../src/server/runtime.js';
import { startServer } from '../src/server/server.js';
import { LocalStorage } from '../src/storage/local.js';
import { DATABASE_FILE, Workspace } from '../src/store/workspace.js';
import { tempDir } from './helpers.js';
import { servedCoco } from './served.js';

const listening: Server[] = [];
afterEach(async () => {
  for (const server of listening.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server on `host` that records each request it gets (none should come). */
async function recorder(host: string): Promise<{ port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url} ${request.headers.authorization ?? ''}`);
    response.end('{"service": "winnow"}');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  listening.push(server);
  return { port: (server.address() as AddressInfo).port, seen };
}

/** Writes a runtime file into `workspace` as an attacker would plant it: this live process, a token. */
function plant(workspace: string, info: Partial<RuntimeInfo>): void {
  const planted = { port: 1, token: 'planted-token', pid: process.pid, workspace, started: '', ...info };
  writeFileSync(runtimeFile(workspace), JSON.stringify(planted), { mode: 0o600 });
}

describe('the runtime file', () => {
  it('is 0600 after replacing an older 0644 one', async () => {
    const dir = join(tempDir(), '.winnow');
    const ws = await Workspace.open(dir);
    writeFileSync(runtimeFile(dir), '{"old": true}\n', { mode: 0o644 });
    chmodSync(runtimeFile(dir), 0o644);
    const server = await startServer(ws);
    try {
      expect(statSync(runtimeFile(dir)).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).filter((name) => name.startsWith('server.json'))).toEqual(['server.json']);
    } finally {
      await server.close();
      ws.close();
    }
  });

  it('names a loopback URL or is not used: no request goes to any other', async () => {
    const workspace = tempDir();
    const other = await recorder('127.0.0.2');
    for (const url of [
      `http://127.0.0.2:${other.port}`,
      `http://user:pass@127.0.0.2:${other.port}`,
      `http://127.0.0.1.${other.port}.example:${other.port}`,
      'http://10.1.2.3:80',
      'http://example.com',
      'file:///etc/passwd',
    ]) {
      plant(workspace, { url });
      expect(await findRunning(workspace)).toBeUndefined();
    }
    expect(other.seen).toEqual([]);
    expect(isLoopbackUrl('http://127.0.0.1:40123')).toBe(true);
    expect(isLoopbackUrl('http://localhost:40123')).toBe(true);
    expect(isLoopbackUrl('http://[::1]:40123')).toBe(true);
    for (const url of [
      'http://127.0.0.1:40123/x',
      'http://127.0.0.1',
      'https://127.0.0.1:1',
      'http://127.0.0.1:1?a',
    ])
      expect(isLoopbackUrl(url), url).toBe(false);
  });

  it('is not used when others may write it', async () => {
    const { ws, server } = await servedCoco();
    expect(await findRunning(ws.dir)).toMatchObject({ url: server.url });
    chmodSync(runtimeFile(ws.dir), 0o622);
    expect(await findRunning(ws.dir)).toBeUndefined();
  });

  it('pointing at a loopback server that answers health for another workspace is not used', async () => {
    const { ws: theirs, server } = await servedCoco();
    const mine = tempDir();
    plant(mine, { url: server.url, token: server.token, port: server.port });
    expect(await findRunning(mine)).toBeUndefined();
    expect(await findRunning(theirs.dir)).toMatchObject({ url: server.url });
    // And one that answers anything but Winnow's health, on loopback, is not taken for a server.
    const impostor = await recorder('127.0.0.1');
    plant(mine, { url: `http://127.0.0.1:${impostor.port}` });
    expect(await findRunning(mine)).toBeUndefined();
  });
});

describe('the workspace', () => {
  it('is created user-only: its folder 0700, its database 0600, what Winnow writes in 0700 folders', async () => {
    const root = tempDir();
    const dir = join(root, '.winnow');
    const before = process.umask(0o002);
    try {
      (await Workspace.open(dir)).close();
      await new LocalStorage(root).write('.winnow/thumbnails/1.jpg', new Uint8Array([1]));
    } finally {
      process.umask(before);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, DATABASE_FILE)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'thumbnails')).mode & 0o777).toBe(0o700);
  });
});
