import type { Command } from 'commander';
import { printable } from './output.js';

/**
 * Makes commander's usage errors (an unknown command or option, a missing argument) read like
 * every other error of `winnow`: one line naming the problem, with commander's suggestion, then
 * one line saying where the help is. The full help after every typo buries the line that matters.
 */
export function useConciseUsageErrors(program: Command): void {
  for (const command of allCommands(program)) {
    command.configureOutput({
      outputError: (message, write) => write(`${usageError(message, command)}\n`),
    });
  }
}

/** A command and, recursively, its subcommands. */
export function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** `winnow: <problem>` and a line naming the help of the command that refused the arguments. */
export function usageError(message: string, command: Command): string {
  const problem = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\s*\(Did you mean (.+)\?\)$/, ' (did you mean $1?)')
    .replace(/\s*\n\s*/g, ' ');
  return `winnow: ${printable(problem)}\n${helpHint(command)}`;
}

function helpHint(command: Command): string {
  const path = commandPath(command);
  if (!command.parent) return `run ${path} --help for the commands`;
  return `run ${path} --help for its ${command.commands.length ? 'commands' : 'options'}`;
}

/** `winnow tag create`: how the user typed the command. */
export function commandPath(command: Command): string {
  return command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name();
}
