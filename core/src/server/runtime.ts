import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a running server leaves in its workspace so that other local clients can find it. */
export interface RuntimeInfo {
  url: string;
  port: number;
  token: string;
  pid: number;
  workspace: string;
  started: string;
}

/** The runtime file of a workspace: readable by its owner only (it holds the token). */
export function runtimeFile(workspace: string): string {
  return join(workspace, 'server.json');
}

export function writeRuntime(info: RuntimeInfo): void {
  writeFileSync(runtimeFile(info.workspace), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
}

export function removeRuntime(workspace: string, pid = process.pid): void {
  const info = readRuntime(workspace);
  if (info && info.pid === pid) rmSync(runtimeFile(workspace), { force: true });
}

export function readRuntime(workspace: string): RuntimeInfo | undefined {
  try {
    return JSON.parse(readFileSync(runtimeFile(workspace), 'utf8')) as RuntimeInfo;
  } catch {
    return undefined;
  }
}

/**
 * The server already running for the workspace, if any: its runtime file names a live process
 * that answers its health check with the token. A stale file (a crashed server) is ignored.
 */
export async function findRunning(workspace: string): Promise<RuntimeInfo | undefined> {
  const info = readRuntime(workspace);
  if (!info || !processAlive(info.pid)) return undefined;
  try {
    const response = await fetch(`${info.url}/api/health`, {
      headers: { authorization: `Bearer ${info.token}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok ? info : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stops the workspace's running server, one another process started (a kernel, a demo): SIGTERM,
 * then waits until it has removed its runtime file on its way out.
 */
export async function stopRunning(workspace: string, timeoutMs = 15_000): Promise<void> {
  const info = readRuntime(workspace);
  if (!info || !processAlive(info.pid)) return;
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (existsSync(runtimeFile(workspace)) && Date.now() < deadline) await sleep(100);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
