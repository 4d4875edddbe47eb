import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPOSITORY } from './helpers.js';

/**
 * The README's command-line block must run as written, top to bottom, each line exiting 0 and
 * printing what its `# → TEXT` comment says. Each line runs with `bash -c` as a user would type it,
 * in a stand-in for the checkout's root (see checkoutStandIn), so what the lines write (people.txt,
 * the workspace) lands in a scratch folder and the checkout stays as it was.
 */

const INTRO = 'Then, in the same folder';
const run = promisify(execFile);

interface ReadmeCommand {
  /** The README line it starts on (1-based). */
  line: number;
  /** As written, `\` continuations included: bash joins them. */
  text: string;
  /** What its `# → TEXT` comment says it prints. */
  prints?: string;
}

/** The commands of the fenced sh block after the line starting with INTRO. */
function readmeCommands(): ReadmeCommand[] {
  const lines = readFileSync(join(REPOSITORY, 'README.md'), 'utf8').split('\n');
  const intro = lines.findIndex((l) => l.startsWith(INTRO));
  const open = lines.findIndex((l, i) => i > intro && l.trim() === '```sh');
  const close = lines.findIndex((l, i) => i > open && l.trim() === '```');
  if (intro < 0 || open < 0 || close < 0) {
    throw new Error(`README.md: no \`\`\`sh block after a line starting '${INTRO}'`);
  }
  const commands: ReadmeCommand[] = [];
  let current: ReadmeCommand | undefined;
  for (let i = open + 1; i < close; i++) {
    const text = lines[i]!;
    if (!current && (text.trim() === '' || text.trim().startsWith('#'))) continue;
    current = current ? { ...current, text: `${current.text}\n${text}` } : { line: i + 1, text };
    if (!text.endsWith('\\')) {
      const prints = /\s#\s[^\n]*?→ (.+)$/.exec(text)?.[1]?.trim();
      commands.push(prints ? { ...current, prints } : current);
      current = undefined;
    }
  }
  return commands;
}

/**
 * A scratch folder standing in for the checkout's root: links to its folders (examples/,
 * node_modules/, core/…) and package.json (npx finds the `winnow` bin through them), and
 * `../shared` beside it, where the README's paths expect it. A file a line writes (people.txt)
 * lands here; the checkout's own `.winnow` and top-level files are left out.
 */
function checkoutStandIn(scratch: string): string {
  const root = join(scratch, 'winnow');
  mkdirSync(root);
  for (const entry of readdirSync(REPOSITORY, { withFileTypes: true })) {
    if ((entry.isDirectory() && entry.name !== '.winnow') || entry.name === 'package.json') {
      symlinkSync(join(REPOSITORY, entry.name), join(root, entry.name));
    }
  }
  const shared = join(REPOSITORY, '../shared');
  if (existsSync(shared)) symlinkSync(realpathSync(shared), join(scratch, 'shared'));
  return root;
}

describe('the README command block', () => {
  const commands = readmeCommands();
  let scratch: string;
  let root: string;

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'winnow-readme-'));
    root = checkoutStandIn(scratch);
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the block and its commands', () => {
    expect(commands.length).toBeGreaterThan(5);
    expect(commands.every((c) => /\bnpx winnow\b/.test(c.text))).toBe(true);
  });

  // In order, each on the workspace the lines before it made; embedding coco128 takes a while on 2 cores.
  for (const command of commands) {
    const shown = command.text.replace(/\s+#\s.*$/gm, '').replace(/\s*\\\n\s*/g, ' ');
    it(`line ${command.line}: ${shown}`, { timeout: 300_000 }, async () => {
      const env = {
        ...process.env,
        PATH: `${join(REPOSITORY, 'node_modules/.bin')}:${process.env.PATH}`,
        WINNOW_WORKSPACE: join(root, '.winnow'),
      };
      const result = await run('bash', ['-c', command.text], { cwd: root, env, maxBuffer: 16 << 20 }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      expect(result.code, `README.md line ${command.line} exited ${result.code}: ${result.stderr}`).toBe(0);
      if (command.prints) {
        expect(result.stdout, `README.md line ${command.line} says it prints '${command.prints}'`).toContain(
          command.prints,
        );
      }
    });
  }

  it('leaves the 61 paths the README says in people.txt, in the scratch folder', () => {
    expect(existsSync(join(root, 'people.txt'))).toBe(true);
    expect(readFileSync(join(root, 'people.txt'), 'utf8').trim().split('\n')).toHaveLength(61);
  });
});
