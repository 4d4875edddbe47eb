/**
 * The `winnow` command's entry: `core/bin/winnow.js` in a checkout or an npm install, and the
 * engine bundle the Python wheel carries (scripts/build-wheel.mjs). `winnow query` runs in a child
 * process that can be ended for real (query-process.ts); that parent loads nothing else, so the
 * rest of the command is imported only when it is needed.
 */
import { needsQueryProcess, runInQueryProcess } from './query-process.js';

if (needsQueryProcess(process.argv)) process.exitCode = await runInQueryProcess();
else await import('./main.js');
