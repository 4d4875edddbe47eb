// One contract (core/src/contract): the options of `winnow <job>`, of the server's jobs and of the
// magics are the same fields; a renamed or added option on one side alone fails here.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerAnalyze } from '../src/cli/commands/analyze.js';
import { registerEmbed } from '../src/cli/commands/embed.js';
import { registerImport } from '../src/cli/commands/import.js';
import { IMPORT_SOURCES } from '../src/contract/jobs.js';
import { clientContract, jobOptionsSchemas } from '../src/contract/json-schema.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CONTRACT_JSON = join(ROOT, 'extension-jupyter', 'winnow', 'contract.json');
const { jobs } = jobOptionsSchemas();

/** Where a command's options and the job's fields differ in name: the CLI's options → the field. */
const CLI_RENAMES: Record<string, Record<string, string>> = {
  // Three ways to sample a video's frames on the command line, one `frames` object in the job.
  embed: { frameInterval: 'frames', framesPerVideo: 'frames', sceneChanges: 'frames' },
};

/** The fields `winnow <kind>` offers, by the job field each option fills (--dataset is the job's own). */
function cliFields(kind: string, register: (program: Command) => void): string[] {
  const program = new Command();
  register(program);
  const renames = CLI_RENAMES[kind] ?? {};
  const names = program.commands[0]!.options.map((option) => option.attributeName());
  return [...new Set(names.filter((name) => name !== 'dataset').map((name) => renames[name] ?? name))].sort();
}

describe('one contract for the CLI, the server and the magics', () => {
  it('extension-jupyter/winnow/contract.json is the contract of this source tree (npm run build writes it)', () => {
    expect(JSON.parse(readFileSync(CONTRACT_JSON, 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(clientContract())),
    );
  });

  it.each([
    ['import', registerImport],
    ['embed', registerEmbed],
    ['analyze', registerAnalyze],
  ] as const)('winnow %s offers the fields of its job, and only those', (kind, register) => {
    expect(cliFields(kind, register)).toEqual(Object.keys(jobs[kind].properties).sort());
  });

  it("winnow import checks an enum's choices itself, so a bad value fails alike with or without a server", () => {
    const run = spawnSync(
      process.execPath,
      [
        join(ROOT, 'core', 'bin', 'winnow.js'),
        'import',
        '--dataset',
        'd',
        '--coco',
        'c.json',
        '--as',
        'labels',
      ],
      { encoding: 'utf8' },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "option '--as <target>' argument 'labels' is invalid. Allowed choices are predictions, annotations.",
    );
  });

  it('the import sources runImport takes are the fields the contract marks as sources', () => {
    const marked = Object.entries(jobs.import.properties).filter(([, field]) => field.source);
    expect(marked.map(([name]) => name).sort()).toEqual([...IMPORT_SOURCES].sort());
  });

  it("the magics' options are the contract's fields a command line can give", () => {
    // The kernel package's own parser, in its own Python: what `%winnow <kind> --help` lists.
    const listed = spawnSync(
      join(ROOT, '.venv', 'bin', 'python'),
      [
        '-c',
        `import json, sys
from winnow.magics import build_parser
commands = build_parser()._subparsers._group_actions[0].choices
print(json.dumps({kind: sorted(o for a in commands[kind]._actions for o in a.option_strings
                               if o not in ("-h", "--help", "--dataset"))
                  for kind in ("import", "embed", "analyze")}))`,
      ],
      { cwd: join(ROOT, 'extension-jupyter'), encoding: 'utf8' },
    );
    expect(listed.stderr).toBe('');
    const kebab = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    const lineFields = (kind: keyof typeof jobs) =>
      Object.entries(jobs[kind].properties)
        .filter(([, field]) => JSON.stringify(field).includes('"type":"object"') === false)
        .map(([name]) => kebab(name))
        .sort();
    expect(JSON.parse(listed.stdout)).toEqual({
      import: lineFields('import'),
      embed: lineFields('embed'),
      analyze: lineFields('analyze'),
    });
  });
});
