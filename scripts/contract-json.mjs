// Writes the JSON that core's schemas publish for clients that cannot import core (built first):
// extension-jupyter/winnow/contract.json, the job kinds' options as JSON Schema and the requests
// the views make (the relay's allow-list), which the kernel package reads for its magics' options,
// the fields it sends as absolute paths and what its widget relay passes on; and
// extension-vscode/schemas/selection-config.schema.json, the selection config as JSON Schema, which
// VS Code completes JSON and YAML configs from. Both are committed, and tests check they are up to
// date (core/test/contract.test.ts, extension-vscode/test/selection-schema.test.ts). Run by
// `npm run build` and the set-up.
import { readFileSync, writeFileSync } from 'node:fs';
import { clientContract } from '../core/dist/contract/json-schema.js';
import { selectionConfigJsonSchema } from '../core/dist/select/config.js';

const OUTPUTS = [
  [new URL('../extension-jupyter/winnow/contract.json', import.meta.url), clientContract()],
  [
    new URL('../extension-vscode/schemas/selection-config.schema.json', import.meta.url),
    selectionConfigJsonSchema(),
  ],
];

for (const [file, value] of OUTPUTS) {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const current = (() => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  })();
  // Written only when it changed: a newer contract.json would make setup rebuild the notebook extension.
  if (text !== current) writeFileSync(file, text);
}
