// Writes extension-jupyter/winnow/contract.json: the job kinds' options as JSON Schema and the
// requests the views make (the relay's allow-list), from core/src/contract (built first). The
// kernel package reads it for its magics' options, the fields it sends as absolute paths and what
// its widget relay passes on; it is committed, and core/test/contract.test.ts checks it
// is up to date. Run by `npm run build`.
import { readFileSync, writeFileSync } from 'node:fs';
import { clientContract } from '../core/dist/contract/json-schema.js';

const CONTRACT_JSON = new URL('../extension-jupyter/winnow/contract.json', import.meta.url);

const text = `${JSON.stringify(clientContract(), null, 2)}\n`;
const current = (() => {
  try {
    return readFileSync(CONTRACT_JSON, 'utf8');
  } catch {
    return undefined;
  }
})();
// Written only when it changed: a newer file would make setup rebuild the notebook extension.
if (text !== current) writeFileSync(CONTRACT_JSON, text);
