import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandLine } from './winnow-command.js';

/** How long `winnow serve` may take to open the workspace and listen. */
const START_TIMEOUT_MS = 60_000;
/**
 * A server the extension starts stops after this long without a client, as one a kernel starts
 * does (extension-jupyter/winnow/client.py): an open panel's long poll keeps it in use.
 */
const IDLE_TIMEOUT_S = 1800;

/**
 * Starts `winnow serve --json` for the workspace, detached (closing the window must not stop a
 * server a notebook shares), its stderr appended to <workspace>/server.log, and waits until it
 * prints its address: then it has written its runtime file (or found one already serving).
 */
export async function startServer(workspace: string, command: CommandLine): Promise<void> {
  // The workspace holds the server's token and the user's labels: its owner's alone.
  mkdirSync(workspace, { recursive: true, mode: 0o700 });
  const logFile = join(workspace, 'server.log');
  const log = openSync(logFile, 'a', 0o600);
  // Its stdout goes to a file, not a pipe: the server outlives this window, and a write into a
  // pipe nobody reads any more would fail it.
  const outDir = mkdtempSync(join(tmpdir(), 'winnow-serve-'));
  const outFile = join(outDir, 'stdout');
  const out = openSync(outFile, 'w', 0o600);
  try {
    const args = [
      ...command.args,
      '--workspace',
      workspace,
      'serve',
      '--json',
      '--idle-timeout',
      String(IDLE_TIMEOUT_S),
    ];
    const child = spawn(command.program, args, { detached: true, stdio: ['ignore', out, log] });
    let failure: string | undefined;
    child.once('error', (error) => {
      // Nothing ran, so the log has nothing to say.
      failure = `the winnow server did not start: cannot run ${command.program}: ${error.message} (set winnow.command)`;
    });
    child.once('exit', (code, signal) => {
      const reason = lastLine(logFile) || `it exited with ${signal ?? `status ${code}`}`;
      failure ??= `the winnow server did not start: ${reason} (log: ${logFile})`;
    });
    child.unref();
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (printedAddress(outFile)) return;
      if (failure !== undefined) throw new Error(failure);
      await sleep(50);
    }
    child.kill();
    throw new Error(`the winnow server did not start within ${START_TIMEOUT_MS / 1000} s (log: ${logFile})`);
  } finally {
    closeSync(out);
    closeSync(log);
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Whether `serve --json` has printed its one JSON answer (the address) yet. */
function printedAddress(outFile: string): boolean {
  try {
    JSON.parse(readFileSync(outFile, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

function lastLine(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.trim());
    return lines.filter(Boolean).at(-1) ?? '';
  } catch {
    return '';
  }
}
