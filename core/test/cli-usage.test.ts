import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { allCommands, commandPath } from '../src/cli/usage.js';
import { REPOSITORY, tempDir, winnow } from './helpers.js';

describe('the winnow command line', () => {
  it('prints the version of core/package.json with --version', async () => {
    const { version } = JSON.parse(readFileSync(join(REPOSITORY, 'core/package.json'), 'utf8'));
    const printed = await winnow(tempDir(), '--version');
    expect(printed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('says a mistyped command in one line with the suggestion, and where the help is', async () => {
    const typo = await winnow(tempDir(), 'ingset');
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(typo.stderr.trimEnd().split('\n')).toEqual([
      "winnow: unknown command 'ingset' (did you mean ingest?)",
      'run winnow --help for the commands',
    ]);
  });

  it("says an unknown option or a missing argument in two lines naming the command's help", async () => {
    const option = await winnow(tempDir(), 'info', '--datset', 'coco');
    expect(option.code).toBe(2);
    expect(option.stderr.trimEnd().split('\n')).toEqual([
      "winnow: unknown option '--datset' (did you mean --dataset?)",
      'run winnow info --help for its options',
    ]);
    const argument = await winnow(tempDir(), 'tag', 'rename', 'old', '--dataset', 'coco');
    expect(argument.code).toBe(2);
    expect(argument.stderr.trimEnd().split('\n')).toEqual([
      "winnow: missing required argument 'new-name'",
      'run winnow tag rename --help for its options',
    ]);
  });

  it('still prints the full help with --help', async () => {
    const help = await winnow(tempDir(), 'ingest', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: winnow ingest \[options\] <location>/);
    expect(help.stdout).toContain('--dataset <name>');
  });

  it('describes every command, option and argument in the help', () => {
    const undescribed = allCommands(buildProgram()).flatMap((command) => {
      const path = commandPath(command);
      return [
        ...(command.description() ? [] : [`command ${path}`]),
        ...command.options.filter((o) => !o.description).map((o) => `${path} ${o.flags}`),
        ...command.registeredArguments.filter((a) => !a.description).map((a) => `${path} <${a.name()}>`),
      ];
    });
    expect(undescribed).toEqual([]);
  });
});
