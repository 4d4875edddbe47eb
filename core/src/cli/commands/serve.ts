import type { Command } from 'commander';
import { findRunning, runtimeFile } from '../../server/runtime.js';
import { startServer } from '../../server/server.js';
import { type GlobalOptions, positiveInteger, withWorkspace, workspaceDir } from '../context.js';
import { Output } from '../output.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'serve the workspace to local clients (notebooks, VS Code) on 127.0.0.1 until stopped; a second start attaches to the first',
    )
    .option('--port <n>', 'the port (default: a free one)', positiveInteger)
    .action(async (options: { port?: number }, command: Command) => {
      const dir = workspaceDir(command.optsWithGlobals<GlobalOptions>());
      const running = await findRunning(dir);
      if (running) {
        // The token stays in the runtime file (readable by its owner only), never on stdout.
        const out = new Output(Boolean(command.optsWithGlobals<GlobalOptions>().json));
        out.result(
          { url: running.url, pid: running.pid, runtime_file: runtimeFile(dir), attached: true },
          (r) => `winnow: already serving ${dir} at ${r.url} (pid ${r.pid}); token in ${r.runtime_file}`,
        );
        return;
      }
      // Everything the server creates (the database's WAL, anew after each checkpoint, with the
      // umask's mode; thumbnails and crops) is the user's alone, even in a folder others may enter.
      process.umask(process.umask() | 0o077);
      await withWorkspace(command, async ({ ws, out, signal }) => {
        const server = await startServer(ws, { port: options.port });
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
      });
    });
}
