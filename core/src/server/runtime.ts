import { randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WinnowError } from '../errors.js';
import { BEHAVIOUR_SETTINGS, type BehaviourSettings, behaviourSettings } from '../settings.js';
import { WINNOW_VERSION } from '../version.js';

/** What a running server leaves in its workspace so that other local clients can find it. */
export interface RuntimeInfo {
  url: string;
  port: number;
  token: string;
  pid: number;
  workspace: string;
  started: string;
}

/**
 * What `GET /api/health` answers: that it is Winnow, which workspace it serves, and what a client
 * compares with its own before using it (version, settings) or shows (`winnow serve --status`).
 */
export interface Health {
  service: 'winnow';
  workspace: string;
  pid: number;
  version: string;
  settings: BehaviourSettings;
  /** Seconds since a client last used it; 0 while a request, an event stream or a job runs. */
  idle_s: number;
  /** After how many idle seconds it stops; null: never. */
  idle_timeout_s: number | null;
}

/** The runtime file of a workspace: readable by its owner only (it holds the token). */
export function runtimeFile(workspace: string): string {
  return join(workspace, 'server.json');
}

/**
 * Writes the runtime file as a new file of mode 0600 renamed over the old one: writing into an
 * existing file would keep its mode (an older 0644 file would show the token to every user).
 */
export function writeRuntime(info: RuntimeInfo): void {
  const file = runtimeFile(info.workspace);
  const fresh = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(fresh, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(fresh, file);
  } catch (error) {
    rmSync(fresh, { force: true });
    throw error;
  }
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
 * The runtime file's content when it can be trusted to name this user's server: a regular file
 * of this user that no one else may write, and a URL on loopback. A file planted by someone else
 * (or pointing elsewhere) is ignored before anything, the token above all, is sent to its URL.
 */
export function trustedRuntime(workspace: string): RuntimeInfo | undefined {
  try {
    const stat = lstatSync(runtimeFile(workspace));
    // Owners and mode bits are POSIX's; Windows has neither (its stat reports 0666 for any file).
    const uid = process.getuid?.();
    if (!stat.isFile() || (uid !== undefined && (stat.uid !== uid || stat.mode & 0o022))) return undefined;
  } catch {
    return undefined;
  }
  const info = readRuntime(workspace);
  return info && typeof info.token === 'string' && isLoopbackUrl(info.url) ? info : undefined;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `http://127.0.0.1:<port>`, `localhost` or `[::1]` likewise, and nothing more (no user, path or query). */
export function isLoopbackUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'http:' &&
    LOOPBACK_HOSTS.has(parsed.hostname) &&
    parsed.port !== '' &&
    !parsed.username &&
    !parsed.password &&
    parsed.pathname === '/' &&
    !parsed.search &&
    !parsed.hash &&
    !url.endsWith('/')
  );
}

/**
 * The server already running for the workspace, if any: its runtime file is trusted (above),
 * names a live process, and that process answers its health check as Winnow serving this very
 * workspace (compared as real paths). A stale file (a crashed server) is ignored, and so is a
 * server of another workspace that a planted file points to.
 */
export async function findRunning(workspace: string): Promise<RuntimeInfo | undefined> {
  return (await runningServer(workspace))?.info;
}

/** The running server (as `findRunning`) with its health answer. */
export async function runningServer(
  workspace: string,
): Promise<{ info: RuntimeInfo; health: Health } | undefined> {
  const info = trustedRuntime(workspace);
  if (!info || !processAlive(info.pid)) return undefined;
  try {
    const response = await fetch(`${info.url}/api/health`, {
      headers: { authorization: `Bearer ${info.token}` },
      redirect: 'error',
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const health = (await response.json()) as Health;
    return health.service === 'winnow' && sameFolder(health.workspace, workspace)
      ? { info, health }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why a running server must not serve this process, or undefined when it may: another Winnow
 * version, or a behaviour setting this process sets (WINNOW_MODEL_DIR…) to another value. A
 * setting this process leaves unset is no objection: the server's own value (or the workspace's
 * remembered model folder) stands.
 */
export function mismatchOf(health: Partial<Health>): string | undefined {
  if (health.version !== WINNOW_VERSION) {
    return `it runs Winnow ${health.version ?? '(a version from before 0.1.0)'}, this is ${WINNOW_VERSION}`;
  }
  const own = behaviourSettings();
  for (const name of BEHAVIOUR_SETTINGS) {
    const theirs = health.settings?.[name] ?? null;
    if (own[name] !== null && own[name] !== theirs) {
      return `its ${name} is ${theirs ?? 'unset'}, this process's is ${own[name]}`;
    }
  }
  return undefined;
}

/**
 * The running server when this process may use it; undefined when none runs; a one-line error
 * saying how to restart it when it runs another version or other settings (`mismatchOf`).
 */
export async function findUsable(workspace: string): Promise<RuntimeInfo | undefined> {
  const running = await runningServer(workspace);
  if (!running) return undefined;
  const reason = mismatchOf(running.health);
  if (reason) {
    throw new WinnowError(
      'unavailable',
      `the workspace's server (pid ${running.info.pid}) does not match: ${reason}; stop it with \`winnow serve --stop\` and run the command again`,
    );
  }
  return running.info;
}

/**
 * Stops the workspace's running server, one another process started (a kernel, a demo): SIGTERM,
 * then waits until it has removed its runtime file and ended. Only a trusted runtime file's
 * process that answers as Winnow is signalled: a planted file must not make us stop whatever
 * process it names.
 * Returns the pid signalled (alive still if it did not end within `timeoutMs`), or undefined
 * when no server ran.
 */
export async function stopRunning(workspace: string, timeoutMs = 15_000): Promise<number | undefined> {
  // Only a server that answers as this workspace's: a stale file's pid may be another process by now.
  const info = (await runningServer(workspace))?.info;
  if (!info) return undefined;
  process.kill(info.pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while ((existsSync(runtimeFile(workspace)) || processAlive(info.pid)) && Date.now() < deadline)
    await sleep(100);
  return info.pid;
}

function sameFolder(answered: unknown, expected: string): boolean {
  if (typeof answered !== 'string') return false;
  try {
    return realpathSync(answered) === realpathSync(expected);
  } catch {
    return false;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
