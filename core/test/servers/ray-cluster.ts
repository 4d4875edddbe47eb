import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPOSITORY } from '../helpers.js';
import { freePort } from './common.js';

const run = promisify(execFile);

/**
 * A two-node Ray cluster on loopback for the distributed embedding tests (issue 19): a head and a
 * second node, each a raylet with its own CPUs, started with `ray start` from the repository's
 * .venv (`scripts/setup.sh --test` installs the pinned ray there).
 */
export interface RayCluster {
  /** The head's GCS, `127.0.0.1:<port>`: what `ray.init(address=...)` and `ray start --address` take. */
  address: string;
  /** The .venv's python, with ray: the one to run core/ray/driver.py with. */
  python: string;
  /**
   * Each node's --temp-dir (head first): Ray keeps its logs under `<dir>/session_latest/logs`, the
   * drivers' (python-core-driver-*.log) in the head's.
   */
  tempDirs: string[];
  /**
   * The second node's IP as Ray reports it (`node` in the driver's results). The head's is the
   * machine's own address: Ray turns `--node-ip-address 127.0.0.1` into the address it would reach
   * the network from.
   */
  workerNodeIp?: string;
  stop(): Promise<void>;
}

const WORKER_NODE_IP = '127.0.0.2';

export async function startRayCluster(options: {
  /** Given to both nodes, so to every task: storage credentials, WINNOW_MODEL_DIR. */
  env: Record<string, string>;
  cpusPerNode?: number;
}): Promise<RayCluster> {
  const ray = join(REPOSITORY, '.venv/bin/ray');
  const python = join(REPOSITORY, '.venv/bin/python');
  if (!existsSync(ray)) throw new Error(`${ray} is missing: run scripts/setup.sh --test (it installs ray)`);
  const cpus = String(options.cpusPerNode ?? 1);
  const env = {
    ...process.env,
    ...options.env,
    // No usage reports to Ray's servers (the flag covers `ray start`, the variable the rest).
    RAY_USAGE_STATS_ENABLED: '0',
    // The head's autoscaler serves metrics on a fixed port (44217) unless told otherwise.
    AUTOSCALER_METRIC_PORT: String(await freePort()),
  };
  let port = await freePort();
  // Above Ray's default worker ports (10002-19999), where another Ray on the machine may have workers.
  while (port < 20_000) port = await freePort();
  const address = `127.0.0.1:${port}`;
  const tempDirs = [
    mkdtempSync(join(tmpdir(), 'winnow-ray-head-')),
    mkdtempSync(join(tmpdir(), 'winnow-ray-node-')),
  ];
  const common = [
    '--num-cpus',
    cpus,
    '--disable-usage-stats',
    // Workers on ports the OS picks (as the object and node managers already are), not in Ray's
    // 10002-19999, which two nodes on one machine would share.
    '--min-worker-port',
    '0',
    '--max-worker-port',
    '0',
    // The log monitor only streams worker output to drivers, and the driver asks for none
    // (log_to_driver=False): one Python process (~100 MB, a second of CPU) fewer on each node.
    '--include-log-monitor=false',
    // The object store holds only the tasks' small results; Ray's default is 30% of memory in /dev/shm.
    '--object-store-memory',
    String(100 * 1024 * 1024),
  ];
  const stop = async () => {
    // `ray stop` finds Ray's processes by name: this stops EVERY Ray cluster on the machine, not just
    // this one. SIGKILL at once (--force); it still waits a few seconds for them to go.
    await run(ray, ['stop', '--force'], { env, timeout: 60_000 }).catch(() => undefined);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // No Ray client server (plain `ray` lacks grpcio: off, and its fixed port 10001 unused); the
    // dashboard runs in minimal mode, without its HTTP port 8265. The GCS and the raylets listen on
    // every interface, without authentication (Ray warns): there is no flag for loopback only.
    await run(
      ray,
      [
        'start',
        '--head',
        '--node-ip-address',
        '127.0.0.1',
        '--port',
        String(port),
        '--temp-dir',
        tempDirs[0]!,
        '--include-dashboard=false',
        ...common,
      ],
      { env, timeout: 120_000 },
    );
    // 127.0.0.2 (loopback on Linux), so that the two nodes differ by IP too; Ray keeps a 127.0.0.x
    // other than .1 as it is. Its own --temp-dir: Ray takes a non-head node's temp dir as given.
    await run(
      ray,
      [
        'start',
        '--address',
        address,
        '--node-ip-address',
        WORKER_NODE_IP,
        '--temp-dir',
        tempDirs[1]!,
        ...common,
      ],
      { env, timeout: 120_000 },
    );
    await waitForNodes(ray, address, 2, env);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, python, tempDirs, workerNodeIp: WORKER_NODE_IP, stop };
}

/** Polls `ray status` until the cluster has `count` alive nodes. */
async function waitForNodes(ray: string, address: string, count: number, env: NodeJS.ProcessEnv) {
  const deadline = Date.now() + 60_000;
  let status = '';
  while (Date.now() < deadline) {
    status = await run(ray, ['status', '--address', address], { env, timeout: 30_000 }).then(
      ({ stdout }) => stdout,
      (error: { stdout?: string; message: string }) => error.stdout || error.message,
    );
    // "Active:" lists one ` 1 node_<id>` line per alive node, up to "Pending:".
    const active = status.split('Active:')[1]?.split('Pending:')[0] ?? '';
    if ((active.match(/^\s*1 node_[0-9a-f]+$/gm) ?? []).length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the Ray cluster at ${address} has not ${count} alive nodes after 60 s:\n${status}`);
}
