import { CommanderError } from 'commander';
import { firstLineOf, WinnowError } from '../errors.js';
import { blankCredentials } from '../storage/failure.js';
import { printable } from './output.js';
import { buildProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const debug = argv.includes('--debug');
    // An SDK error that escaped the adapters may still echo a request's signing.
    const message =
      error instanceof WinnowError
        ? error.message
        : `unexpected error: ${blankCredentials(firstLineOf(error))}`;
    process.stderr.write(`winnow: ${printable(message)}\n`);
    if (debug && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return error instanceof WinnowError && error.code === 'cancelled' ? 130 : 1;
  }
}

// A command that completed but found a problem (a missing permission) sets its own exit code.
const code = await main(process.argv);
process.exitCode = code || process.exitCode;
