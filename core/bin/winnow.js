#!/usr/bin/env node
// The `winnow` command: runs the built CLI (npm run build makes core/dist).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('winnow: not built yet: run `npm run build` in the repository root\n');
  process.exit(1);
}
// `winnow query` runs in a child process that can be ended for real (core/src/cli/query-process.ts).
const queryProcess = await import(new URL('../dist/cli/query-process.js', import.meta.url).href);
if (queryProcess.needsQueryProcess(process.argv)) process.exitCode = await queryProcess.runInQueryProcess();
else await import(main.href);
