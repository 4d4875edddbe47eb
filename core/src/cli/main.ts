import { Command, CommanderError } from 'commander';
import { firstLineOf, WinnowError } from '../errors.js';
import { blankCredentials } from '../storage/failure.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDatasource } from './commands/datasource.js';
import { registerDemo } from './commands/demo.js';
import { registerEmbed } from './commands/embed.js';
import { registerExport } from './commands/export.js';
import { registerImport } from './commands/import.js';
import { registerInfo } from './commands/info.js';
import { registerIngest } from './commands/ingest.js';
import { registerQuery } from './commands/query.js';
import { registerSearch } from './commands/search.js';
import { registerSelect } from './commands/select.js';
import { registerSelected } from './commands/selected.js';
import { registerServe } from './commands/serve.js';
import { registerTag } from './commands/tag.js';
import { printable } from './output.js';

export function buildProgram(): Command {
  const program = new Command('winnow')
    .description('Curate image and video datasets: index, query, select, tag and export.')
    .option('--workspace <dir>', 'the workspace folder (default: ./.winnow or WINNOW_WORKSPACE)')
    .option('--json', 'print one JSON document on stdout')
    .option('--debug', 'show stack traces for errors')
    .showHelpAfterError()
    .exitOverride();
  registerIngest(program);
  registerImport(program);
  registerQuery(program);
  registerEmbed(program);
  registerSelect(program);
  registerSelected(program);
  registerAnalyze(program);
  registerSearch(program);
  registerTag(program);
  registerExport(program);
  registerDatasource(program);
  registerServe(program);
  registerInfo(program);
  registerDemo(program);
  return program;
}

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
