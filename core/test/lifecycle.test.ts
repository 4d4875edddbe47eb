// The server's lifecycle as a user sees it, with real `winnow serve` processes: `serve --status`
// and `--stop`, the idle timeout, a server of other settings refused, and the model folder a
// workspace remembers from `embed`.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runtimeFile } from '../src/server/runtime.js';
import { Usage } from '../src/server/usage.js';
import { COCO128, REPOSITORY, tempDir } from './helpers.js';

const WINNOW_JS = join(REPOSITORY, 'core/bin/winnow.js');
const MODELS = join(REPOSITORY, '../shared/models');
const VERSION = JSON.parse(readFileSync(join(REPOSITORY, 'core/package.json'), 'utf8')).version;
const run = promisify(execFile);

/** The environment without Winnow's behaviour settings, plus `extra`. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const name of ['WINNOW_MODEL_DIR', 'WINNOW_MAX_PIXELS', 'WINNOW_MEMORY_LIMIT']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

async function winnow(env: NodeJS.ProcessEnv, dir: string, ...args: string[]) {
  try {
    const { stdout, stderr } = await run('node', [WINNOW_JS, '--workspace', dir, ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** `winnow serve --json` with `args`, once it has printed where it serves. */
async function serve(env: NodeJS.ProcessEnv, dir: string, ...args: string[]) {
  const child = spawn('node', [WINNOW_JS, '--workspace', dir, 'serve', '--json', ...args], { env });
  started.push(child);
  let printed = '';
  child.stdout.on('data', (d) => {
    printed += d;
  });
  child.stderr.on('data', (d) => {
    printed += d;
  });
  while (!printed.includes('}')) {
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${printed}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return { child, exited, info: JSON.parse(printed) as { url: string; pid: number } };
}

describe('winnow serve --status and --stop', () => {
  it('report and stop the running server; with none, status exits 3 and stop says so and exits 0', async () => {
    const dir = join(tempDir(), '.winnow');
    const env = environment();
    const none = await winnow(env, dir, '--json', 'serve', '--status');
    expect(none.code).toBe(3);
    expect(JSON.parse(none.stdout)).toEqual({ running: false, workspace: dir });

    const server = await serve(env, dir);
    const status = await winnow(env, dir, '--json', 'serve', '--status');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      running: true,
      url: server.info.url,
      pid: server.child.pid,
      version: VERSION,
      idle_timeout_s: null,
      mismatch: null,
      settings: { WINNOW_MODEL_DIR: null, WINNOW_MAX_PIXELS: null, WINNOW_MEMORY_LIMIT: null },
    });
    const human = await winnow(env, dir, 'serve', '--status');
    expect(human.stdout).toMatch(
      new RegExp(`^winnow: serving ${dir} at ${server.info.url} \\(pid \\d+, Winnow `),
    );

    const stop = await winnow(env, dir, 'serve', '--stop');
    expect(stop).toMatchObject({
      code: 0,
      stdout: `winnow: stopped the server of ${dir} (pid ${server.child.pid})\n`,
    });
    // --stop returns once the server has ended: its runtime file is gone and it has exited.
    expect(existsSync(runtimeFile(dir))).toBe(false);
    expect(await server.exited).toBe(0);

    const again = await winnow(env, dir, 'serve', '--stop');
    expect(again).toMatchObject({ code: 0, stdout: `winnow: no server runs for ${dir}; nothing to stop\n` });
    expect((await winnow(env, dir, 'serve', '--status')).code).toBe(3);
  });

  it('--stop signals no process a server.json names unless it answers as the server, and says so', async () => {
    const dir = join(tempDir(), '.winnow');
    mkdirSync(dir, { mode: 0o700 });
    const bystander = spawn('sleep', ['60']);
    started.push(bystander);
    const info = {
      url: 'http://127.0.0.1:1',
      port: 1,
      token: 't',
      pid: bystander.pid,
      workspace: dir,
      started: '',
    };
    writeFileSync(runtimeFile(dir), JSON.stringify(info), { mode: 0o600 });
    const out = await winnow(environment(), dir, 'serve', '--stop');
    expect(out).toMatchObject({
      code: 1,
      stderr: `winnow: ${dir}/server.json names pid ${bystander.pid}, which does not answer as this workspace's server; if it is a hung \`winnow serve\`, end it with kill ${bystander.pid}\n`,
    });
    expect(bystander.exitCode).toBe(null);
    expect(bystander.signalCode).toBe(null);
  });

  it('refuses --status with --stop', async () => {
    const out = await winnow(environment(), join(tempDir(), '.winnow'), 'serve', '--status', '--stop');
    expect(out).toMatchObject({ code: 1, stderr: 'winnow: give --status or --stop, not both\n' });
  });
});

describe('the idle timeout', () => {
  it('a server nobody uses stops by itself and removes its runtime file', async () => {
    const dir = join(tempDir(), '.winnow');
    const server = await serve(environment(), dir, '--idle-timeout', '1');
    expect(existsSync(runtimeFile(dir))).toBe(true);
    expect(await server.exited).toBe(0);
    expect(existsSync(runtimeFile(dir))).toBe(false);
  }, 60_000);

  it('a request still open (an event stream) or a job counts as use, and its end as the last use', () => {
    vi.useFakeTimers();
    try {
      let jobRunning = false;
      const usage = new Usage(() => jobRunning);
      const ended = usage.begin();
      vi.advanceTimersByTime(60_000);
      expect(usage.idleMs()).toBe(0);
      ended();
      vi.advanceTimersByTime(5_000);
      expect(usage.idleMs()).toBe(5_000);
      jobRunning = true;
      expect(usage.idleMs()).toBe(0);
      jobRunning = false;
      vi.advanceTimersByTime(2_000);
      expect(usage.idleMs()).toBe(2_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a server with other settings', () => {
  it('is refused by a command that sets WINNOW_MODEL_DIR otherwise, saying how to restart it; used by one that leaves it unset', async () => {
    const root = tempDir();
    const dir = join(root, '.winnow');
    const server = await serve(environment({ WINNOW_MODEL_DIR: join(root, 'old-models') }), dir);
    const other = await winnow(environment({ WINNOW_MODEL_DIR: join(root, 'new-models') }), dir, 'serve');
    expect(other).toMatchObject({
      code: 1,
      stderr: `winnow: the workspace's server (pid ${server.child.pid}) does not match: its WINNOW_MODEL_DIR is ${root}/old-models, this process's is ${root}/new-models; stop it with \`winnow serve --stop\` and run the command again\n`,
    });
    const unset = await winnow(environment(), dir, '--json', 'serve');
    expect(unset.code).toBe(0);
    expect(JSON.parse(unset.stdout)).toMatchObject({ pid: server.child.pid, attached: true });
  });
});

describe('the model folder a workspace remembers', () => {
  it('search after embed finds the built-in model without WINNOW_MODEL_DIR', async () => {
    const root = tempDir();
    const dir = join(root, '.winnow');
    const images = join(root, 'images');
    mkdirSync(images);
    for (const file of readdirSync(join(COCO128, 'images')).sort().slice(0, 3)) {
      copyFileSync(join(COCO128, 'images', file), join(images, file));
    }
    // HOME elsewhere: the default model folder (~/.cache/winnow/models) holds nothing.
    const home = { HOME: join(root, 'home') };
    const withFolder = environment({ ...home, WINNOW_MODEL_DIR: MODELS });
    expect((await winnow(withFolder, dir, 'ingest', images, '--dataset', 'few')).code).toBe(0);
    const embed = await winnow(withFolder, dir, 'embed', '--dataset', 'few', '--model', 'squeezenet1.1');
    expect(embed.stderr.replace(/^winnow: device auto: .*\n/, '')).toBe('');

    const query = join(images, readdirSync(images)[0]!);
    const search = await winnow(
      environment(home),
      dir,
      '--json',
      'search',
      '--dataset',
      'few',
      '--image',
      query,
    );
    expect(search.stderr).toBe('');
    expect(JSON.parse(search.stdout).results[0].path).toBe(readdirSync(images)[0]);
  }, 120_000);
});
