import type { Command } from 'commander';
import { WinnowError } from '../../errors.js';
import {
  findRunning,
  findUsable,
  processAlive,
  type RuntimeInfo,
  runtimeFile,
} from '../../server/runtime.js';
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
import { printStatus, stopServer } from './serve-lifecycle.js';

interface ServeOptions {
  port?: number;
  idleTimeout?: number;
  status?: boolean;
  stop?: boolean;
}

/** How long a serve that lost the race for the workspace waits for the winner to answer. */
const ATTACH_WAIT_MS = 20_000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the workspace to local clients (notebooks, VS Code) on 127.0.0.1 until stopped; a second start attaches to the first',
    )
    .option('--port <n>', 'the port (default: a free one)', positiveInteger)
    .option(
      '--idle-timeout <seconds>',
      'stop once no client has used the server for this long (default: never)',
      positiveInteger,
    )
    .option('--status', 'say whether a server runs for the workspace (exit 0) or not (exit 3), and how')
    .option('--stop', 'stop the server of the workspace and wait until it has ended')
    .action(async (options: ServeOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const dir = workspaceDir(globals);
      const out = new Output(Boolean(globals.json));
      if (options.status && options.stop)
        throw new WinnowError('invalid_argument', 'give --status or --stop, not both');
      if (options.status) return printStatus(out, dir);
      if (options.stop) return stopServer(out, dir);
      const running = await findUsable(dir);
      if (running) return attach(out, dir, running);
      try {
        await serve(command, options);
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

function serve(command: Command, options: ServeOptions): Promise<void> {
  // Everything the server creates (the database's WAL, anew after each checkpoint, with the
  // umask's mode; thumbnails and crops) is the user's alone, even in a folder others may enter.
  process.umask(process.umask() | 0o077);
  return withWorkspace(
    command,
    async ({ ws, out, signal }) => {
      // Ctrl-C, SIGTERM (`winnow serve --stop`, a kernel's restart) and the idle timeout all stop it alike.
      let stop: () => void = () => undefined;
      const stopped = new Promise<void>((resolve) => {
        stop = resolve;
      });
      signal.addEventListener('abort', () => stop(), { once: true });
      process.once('SIGTERM', () => stop());
      const server = await startServer(ws, {
        port: options.port,
        idleTimeoutMs: options.idleTimeout === undefined ? undefined : options.idleTimeout * 1000,
        onIdle: () => {
          out.warn(`stopping: no client has used the server for ${options.idleTimeout} s (--idle-timeout)`);
          stop();
        },
      });
      out.result(
        { url: server.url, pid: process.pid, runtime_file: runtimeFile(ws.dir), attached: false },
        (r) => `winnow: serving ${ws.dir} at ${r.url}; token in ${r.runtime_file} (Ctrl-C stops)`,
      );
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
