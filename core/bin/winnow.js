#!/usr/bin/env node
// The `winnow` command: runs the built CLI (npm run build makes core/dist).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/entry.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('winnow: not built yet: run `npm run build` in the repository root\n');
  process.exit(1);
}
await import(entry.href);
