import { WinnowError } from '../../errors.js';
import {
  mismatchOf,
  processAlive,
  runningServer,
  stopRunning,
  trustedRuntime,
} from '../../server/runtime.js';
import type { Output } from '../output.js';

/** `serve --status`'s exit code when no server runs for the workspace (0 when one does). */
export const NOT_RUNNING_EXIT_CODE = 3;

/** How long `serve --stop` waits for the server to finish its job and end. */
const STOP_WAIT_MS = 15_000;

/** `winnow serve --status`: whether a server runs for the workspace, and how it does. */
export async function printStatus(out: Output, dir: string): Promise<void> {
  const running = await runningServer(dir);
  if (!running) {
    out.result({ running: false, workspace: dir }, () => `winnow: no server runs for ${dir}`);
    process.exitCode = NOT_RUNNING_EXIT_CODE;
    return;
  }
  const { info, health } = running;
  const status = {
    running: true,
    workspace: dir,
    url: info.url,
    pid: info.pid,
    started: info.started,
    version: health.version ?? null,
    idle_s: health.idle_s ?? null,
    idle_timeout_s: health.idle_timeout_s ?? null,
    settings: health.settings ?? null,
    mismatch: mismatchOf(health) ?? null,
  };
  out.result(status, (s) =>
    [
      `winnow: serving ${dir} at ${s.url} (pid ${s.pid}, Winnow ${s.version ?? 'of unknown version'}, started ${s.started})`,
      `; idle ${s.idle_s ?? '?'} s, ${s.idle_timeout_s === null ? 'no idle timeout' : `stops after ${s.idle_timeout_s} s idle`}`,
      s.mismatch ? `; does not match this command: ${s.mismatch}` : '',
    ].join(''),
  );
}

/** `winnow serve --stop`: stops the workspace's server and waits until it has ended. */
export async function stopServer(out: Output, dir: string): Promise<void> {
  const pid = await stopRunning(dir, STOP_WAIT_MS);
  if (pid === undefined) {
    const silent = unansweringPid(dir);
    if (silent !== undefined) {
      // Not signalled: the pid may belong to another process by now (the file of a crashed server).
      throw new WinnowError(
        'unavailable',
        `${dir}/server.json names pid ${silent}, which does not answer as this workspace's server; if it is a hung \`winnow serve\`, end it with kill ${silent}`,
      );
    }
    out.result(
      { stopped: false, workspace: dir },
      () => `winnow: no server runs for ${dir}; nothing to stop`,
    );
    return;
  }
  if (processAlive(pid)) {
    throw new WinnowError(
      'unavailable',
      `the server of ${dir} (pid ${pid}) did not stop within ${STOP_WAIT_MS / 1000} s; end it with kill -KILL ${pid}`,
    );
  }
  out.result(
    { stopped: true, workspace: dir, pid },
    (r) => `winnow: stopped the server of ${dir} (pid ${r.pid})`,
  );
}

/** The live pid a trusted server.json names when no server answers there, if any. */
function unansweringPid(dir: string): number | undefined {
  const info = trustedRuntime(dir);
  return info && processAlive(info.pid) ? info.pid : undefined;
}
