import { readFileSync } from 'node:fs';

/**
 * This Winnow's version, read from core/package.json (its one source): a server reports it in
 * its health answer, and clients compare it with their own before they use a running server.
 */
export const WINNOW_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
