// Writes extension-jupyter/winnow/contract.json: the job kinds' options as JSON Schema, from
// core/src/contract (built first). The kernel package reads it for its magics' options and the
// fields it sends as absolute paths; it is committed, and core/test/contract.test.ts checks it
// is up to date. Run by `npm run build`.
import { writeFileSync } from 'node:fs';
import { jobOptionsSchemas } from '../core/dist/contract/json-schema.js';

const CONTRACT_JSON = new URL('../extension-jupyter/winnow/contract.json', import.meta.url);

writeFileSync(CONTRACT_JSON, `${JSON.stringify(jobOptionsSchemas(), null, 2)}\n`);
