import type { Command } from 'commander';
import { findRunning, processAlive, type RuntimeInfo, runtimeFile } from '../../server/runtime.js';
import { startServer } from '../../server/server.js';
import { WorkspaceInUse } from '../../store/db.js';
import {
  CREATES_WORKSPACE,
  type GlobalOptions,
  positiveInteger,
  withWorkspace,
  workspaceDir,
} from '../context.js';
import { Output } from '../output.js';

/** How long a serve that lost the race for the workspace waits for the winner to answer. */
const ATTACH_WAIT_MS = 20_000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the workspace to local clients (notebooks, VS Code) on 127.0.0.1 until stopped; a second start attaches to the first',
    )
    .option('--port <n>', 'the port (default: a free one)', positiveInteger)
    .action(async (options: { port?: number }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const dir = workspaceDir(globals);
      const out = new Output(Boolean(globals.json));
      const running = await findRunning(dir);
      if (running) return attach(out, dir, running);
      try {
        await serve(command, options.port);
      } catch (error) {
        // Two serves started together both found no server; the one that opened the workspace
        // first is starting it, so the other waits for it to answer and attaches to it.
        if (!(error instanceof WorkspaceInUse)) throw error;
        const winner = await waitForServer(dir, error.holderPid);
        if (!winner) throw error;
        attach(out, dir, winner);
      }
    });
}

function serve(command: Command, port: number | undefined): Promise<void> {
  // Everything the server creates (the database's WAL, anew after each checkpoint, with the
  // umask's mode; thumbnails and crops) is the user's alone, even in a folder others may enter.
  process.umask(process.umask() | 0o077);
  return withWorkspace(
    command,
    async ({ ws, out, signal }) => {
      const server = await startServer(ws, { port });
      out.result(
        { url: server.url, pid: process.pid, runtime_file: runtimeFile(ws.dir), attached: false },
        (r) => `winnow: serving ${ws.dir} at ${r.url}; token in ${r.runtime_file} (Ctrl-C stops)`,
      );
      const stopped = new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => resolve(), { once: true });
        process.once('SIGTERM', () => resolve());
      });
      await stopped;
      await server.close();
    },
    CREATES_WORKSPACE,
  );
}

/** Prints the running server's address; the token stays in the runtime file (its owner's only), never on stdout. */
function attach(out: Output, dir: string, running: RuntimeInfo): void {
  out.result(
    { url: running.url, pid: running.pid, runtime_file: runtimeFile(dir), attached: true },
    (r) => `winnow: already serving ${dir} at ${r.url} (pid ${r.pid}); token in ${r.runtime_file}`,
  );
}

/**
 * The server the process holding the workspace starts, once it answers; undefined when that
 * process ends, or does not serve within ATTACH_WAIT_MS (another command holds the workspace).
 */
async function waitForServer(dir: string, holderPid: number): Promise<RuntimeInfo | undefined> {
  const deadline = Date.now() + ATTACH_WAIT_MS;
  while (Date.now() < deadline && processAlive(holderPid)) {
    const running = await findRunning(dir);
    if (running?.pid === holderPid) return running;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
