import { Command } from 'commander';
import { WINNOW_VERSION } from '../version.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerDatasource } from './commands/datasource.js';
import { registerDemo } from './commands/demo.js';
import { registerEmbed } from './commands/embed.js';
import { registerEmbedShard } from './commands/embed-shard.js';
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
import { useConciseUsageErrors } from './usage.js';

/** The `winnow` command's parser: every command, option and its help. */
export function buildProgram(): Command {
  const program = new Command('winnow')
    .description('Curate image and video datasets: index, query, select, tag and export.')
    .option('--workspace <dir>', 'the workspace folder (default: ./.winnow or WINNOW_WORKSPACE)')
    .option('--json', 'print one JSON document on stdout')
    .option('--debug', 'show stack traces for errors')
    .version(WINNOW_VERSION, '--version', 'print the version')
    .exitOverride();
  registerIngest(program);
  registerImport(program);
  registerQuery(program);
  registerEmbed(program);
  registerEmbedShard(program);
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
  useConciseUsageErrors(program);
  return program;
}
