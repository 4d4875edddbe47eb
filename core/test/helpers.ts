import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach } from 'vitest';
import { Workspace } from '../src/store/workspace.js';

export const REPOSITORY = fileURLToPath(new URL('../..', import.meta.url));
export const COCO128 = join(REPOSITORY, '../shared/datasets/coco128');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh folder, removed after the test. */
export function tempDir(prefix = 'winnow-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Every file under `dir`, at any depth, as a full path. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** A workspace on a real DuckDB file in a fresh folder; close it in the test. */
export function tempWorkspace(): Promise<Workspace> {
  return Workspace.open(join(tempDir(), '.winnow'));
}

const run = promisify(execFile);

/**
 * Runs the built `winnow` command as a user would, in a time zone far from UTC (stored times
 * must not shift with it); never throws, returns the exit code.
 */
export function winnow(
  workspace: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return winnowWithEnv({}, workspace, ...args);
}

/** `winnow` with these environment variables added (credentials, for the storage tests). */
export async function winnowWithEnv(
  env: Record<string, string>,
  workspace: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      'node',
      [join(REPOSITORY, 'core/bin/winnow.js'), '--workspace', workspace, ...args],
      { env: { ...process.env, TZ: 'Asia/Tokyo', ...env }, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A test-pattern video (ffmpeg's testsrc, 320 × 240) of `seconds` at `fps`. */
export function testVideo(file: string, seconds: number, fps: number): string {
  const source = `testsrc=duration=${seconds}:size=320x240:rate=${fps}`;
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', source, '-pix_fmt', 'yuv420p', '-y', file]);
  return file;
}
