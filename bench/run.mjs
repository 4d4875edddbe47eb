#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in its own process (so each one's memory is its
 * own) and prints one JSON document with all their reports. Pass names to run a subset:
 * `npm run bench -- ingest`.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ALL = [
  'ingest',
  'queries',
  'selection',
  'neighbours',
  'projection',
  'embed',
  'cloud',
  'server',
  'notebook',
  'bombs',
];
const chosen = process.argv.slice(2).filter((name) => ALL.includes(name));
const reports = {};
for (const name of chosen.length ? chosen : ALL) {
  const stdout = execFileSync(process.execPath, [join(HERE, `${name}.mjs`)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  reports[name] = JSON.parse(stdout);
}
console.log(JSON.stringify(reports, null, 2));
