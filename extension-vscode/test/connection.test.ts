// The extension finds the workspace's running server (the one a kernel or a terminal started),
// starts `winnow serve` when none runs, and finds or starts one again when it went away: all
// against the real `winnow` command (core/bin/winnow.js, run with node as winnow.command says).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive, stopRunning } from '../../core/src/server/runtime.js';
import { ServerConnection } from '../src/server/connection.js';
import { startServer } from '../src/server/start-server.js';
import { winnowCommand } from '../src/server/winnow-command.js';

const WINNOW_JS = join(import.meta.dirname, '..', '..', 'core', 'bin', 'winnow.js');
const command = winnowCommand(WINNOW_JS);

const workspaces: string[] = [];
afterEach(async () => {
  for (const workspace of workspaces.splice(0)) {
    await stopRunning(workspace);
    rmSync(join(workspace, '..'), { recursive: true, force: true });
  }
});

function freshWorkspace(): string {
  const workspace = join(mkdtempSync(join(tmpdir(), 'winnow-vscode-')), '.winnow');
  workspaces.push(workspace);
  return workspace;
}

describe("the workspace's server", () => {
  it('is started when none runs: detached, its log in the workspace, its runtime file 0600', async () => {
    const workspace = freshWorkspace();
    const connection = new ServerConnection(() => ({ workspace, command }));
    const server = await connection.server();
    expect(server.workspace).toBe(workspace);
    expect(processAlive(server.pid)).toBe(true);
    expect(existsSync(join(workspace, 'server.log'))).toBe(true);
    expect(statSync(join(workspace, 'server.json')).mode & 0o777).toBe(0o600);
    const info = await connection.withClient((client) => client.info());
    expect(info.workspace).toBe(workspace);
    expect(info.datasets).toEqual([]);
  });

  it("is the one already running (a kernel's): used, not a second one started", async () => {
    const workspace = freshWorkspace();
    await startServer(workspace, command);
    const running = JSON.parse(readFileSync(join(workspace, 'server.json'), 'utf8')) as { pid: number };
    const connection = new ServerConnection(() => ({ workspace, command }));
    expect((await connection.server()).pid).toBe(running.pid);
    // Callers at once share one search, and so one server.
    const [a, b] = await Promise.all([
      new ServerConnection(() => ({ workspace, command })).server(),
      connection.server(),
    ]);
    expect([a.pid, b.pid]).toEqual([running.pid, running.pid]);
  });

  it('is found or started again when it went away', async () => {
    const workspace = freshWorkspace();
    const connection = new ServerConnection(() => ({ workspace, command }));
    const first = await connection.server();
    await stopRunning(workspace);
    expect(processAlive(first.pid)).toBe(false);
    const info = await connection.withClient((client) => client.info());
    expect(info.workspace).toBe(workspace);
    const second = await connection.server();
    expect(second.pid).not.toBe(first.pid);
    expect(processAlive(second.pid)).toBe(true);
  });

  it('a command that cannot run says so in one line, naming the setting to change', async () => {
    const workspace = freshWorkspace();
    const missing = { program: join(workspace, 'no-such-winnow'), args: [] };
    await expect(new ServerConnection(() => ({ workspace, command: missing })).server()).rejects.toThrow(
      /^the winnow server did not start: cannot run .*no-such-winnow: .*ENOENT.* \(set winnow.command\)$/,
    );
  });

  it('a server that fails to start reports the last line of its log', async () => {
    const workspace = freshWorkspace();
    const script = join(workspace, '..', 'failing.js');
    writeFileSync(script, "process.stderr.write('winnow: the workspace is broken\\n'); process.exit(2);\n");
    await expect(
      new ServerConnection(() => ({ workspace, command: winnowCommand(script) })).server(),
    ).rejects.toThrow(
      `the winnow server did not start: winnow: the workspace is broken (log: ${workspace}/server.log)`,
    );
  });
});
