/**
 * Starting code-server (VS Code in the browser, from npm: `scripts/setup.sh --test` installs it
 * into .test-servers/code-server) for the VS Code end-to-end test and benchmark: a .vsix installed
 * into a fresh extensions folder, settings and state in a fresh user data folder (nothing of the
 * user's own VS Code leaks in), on 127.0.0.1 at a free port without a password. It runs offline:
 * no extension gallery, update check, telemetry or workspace trust prompt, no welcome page.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, stopProcess, waitForPort } from './loopback.mjs';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const PACKAGE = join(REPOSITORY, '.test-servers/code-server/node_modules/code-server');
export const CODE_SERVER = join(PACKAGE, '../.bin/code-server');
/** Its version and VS Code's, as `code-server --version` says (which would write ~/.config). */
export const CODE_SERVER_VERSION = existsSync(join(PACKAGE, 'package.json'))
  ? `${JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version} (VS Code ${JSON.parse(readFileSync(join(PACKAGE, 'lib/vscode/package.json'), 'utf8')).version})`
  : 'not installed';

/**
 * What keeps VS Code from reaching out or getting in the way of a test: no telemetry, updates,
 * experiments or recommendations, nothing opened at start, no downloads of schemas or types.
 */
const OFFLINE_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'json.schemaDownload.enable': false,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  // The Winnow server's port is not one to forward: no Ports view entries or prompts for it.
  'remote.autoForwardPorts': false,
};

/** The gallery (Open VSX by default) left out of the product: no request to it, ever. */
const NO_GALLERY = '{}';

/** code-server's own options: loopback, no password, no update check, telemetry or trust prompt. */
function serverArgs(root) {
  return [
    '--config',
    join(root, 'config.yaml'),
    '--user-data-dir',
    join(root, 'user-data'),
    '--extensions-dir',
    join(root, 'extensions'),
  ];
}

function serverEnv(root) {
  // Its logs and caches in `root`, not the user's home.
  return {
    ...process.env,
    EXTENSIONS_GALLERY: NO_GALLERY,
    XDG_CONFIG_HOME: join(root, 'xdg-config'),
    XDG_DATA_HOME: join(root, 'xdg-data'),
    XDG_CACHE_HOME: join(root, 'xdg-cache'),
  };
}

/** Installs a .vsix into `root`'s extensions folder (`code-server --install-extension`). */
export async function installExtension(root, vsix) {
  prepareRoot(root);
  try {
    await promisify(execFile)(CODE_SERVER, [...serverArgs(root), '--force', '--install-extension', vsix], {
      env: serverEnv(root),
    });
  } catch (error) {
    throw new Error(`code-server could not install ${vsix}: ${error.stderr || error.message}`);
  }
}

/** Writes the user settings: the offline ones, then `settings` (the theme, the extension's own). */
export function writeUserSettings(root, settings) {
  const user = join(root, 'user-data/User');
  mkdirSync(user, { recursive: true });
  writeFileSync(join(user, 'settings.json'), JSON.stringify({ ...OFFLINE_SETTINGS, ...settings }, null, 2));
}

function prepareRoot(root) {
  if (!existsSync(CODE_SERVER))
    throw new Error(`${CODE_SERVER} is missing: scripts/setup.sh --test installs code-server`);
  mkdirSync(join(root, 'extensions'), { recursive: true });
  // An empty config file: code-server writes one with a random password into ~/.config otherwise.
  writeFileSync(join(root, 'config.yaml'), '');
}

/**
 * Starts code-server with `root`'s user data and extensions (see installExtension and
 * writeUserSettings); `env` is added to its environment (the extension host inherits it).
 * Resolves once it listens: `{child, url, folderUrl(path), log, stop}` (`log()` answers the last
 * lines it wrote, for error messages; `stop()` ends it and resolves once every process under it,
 * the extension host included, has ended: until then an extension may still start things).
 */
export async function startCodeServer({ root, env = {} }) {
  prepareRoot(root);
  const port = await freePort();
  const child = spawn(
    CODE_SERVER,
    [
      ...serverArgs(root),
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { cwd: root, env: { ...serverEnv(root), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  const keep = (chunk) => {
    tail = (tail + chunk).slice(-8000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  try {
    await waitForPort(port, child, 60_000);
  } catch (error) {
    throw new Error(`${error.message}\n${tail}`);
  }
  const url = `http://127.0.0.1:${port}`;
  return {
    child,
    url,
    folderUrl: (folder) => `${url}/?folder=${encodeURIComponent(folder)}`,
    log: () => tail,
    stop: async () => {
      const processes = processTree(child.pid);
      await stopProcess(child);
      await waitUntilEnded(processes);
    },
  };
}

/**
 * `pid` and the processes under it in its process group, from ps's table. One started detached
 * (in a group of its own, as the extension starts `winnow serve`, meant to outlive the window)
 * is left out, with what it started.
 */
export function processTree(pid) {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,pgid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const group = rows.find(([p]) => p === pid)?.[2];
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent, pgid] of rows) if (parent === tree[i] && pgid === group) tree.push(child);
  }
  return tree;
}

/** Whether `pid` still runs: a zombie (ended, not yet reaped by whoever adopted it) does not. */
export function isRunning(pid) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits for code-server's children to follow it (they end as their parent's pipes close); SIGKILL after 10 s. */
async function waitUntilEnded(pids) {
  const deadline = Date.now() + 10_000;
  while (pids.some(isRunning)) {
    if (Date.now() > deadline) {
      for (const pid of pids.filter(isRunning)) process.kill(pid, 'SIGKILL');
      return;
    }
    await sleep(100);
  }
}
