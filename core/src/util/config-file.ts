import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InputError } from '../errors.js';
import { jsonFailure, yamlFailure } from './parse-failure.js';

/** Reads a YAML or JSON file (by its extension); errors name the file. */
export async function readConfigFile(file: string): Promise<{ display: string; raw: unknown }> {
  const display = basename(file);
  const text = await readFile(file, 'utf8').catch(() => {
    throw new InputError(display, undefined, 'missing');
  });
  const json = extname(file).toLowerCase() === '.json';
  try {
    return { display, raw: json ? JSON.parse(text) : parseYaml(text) };
  } catch (error) {
    throw new InputError(display, undefined, json ? jsonFailure(error, text) : yamlFailure(error));
  }
}

/** Parses `raw` with `schema`; the first problem becomes an InputError naming its field path. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  source: string,
  prefix = '',
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InputError(source, prefix + fieldPath(issue.path) || undefined, issue.message);
  }
  return parsed.data;
}

/** `strategies[1].strategy.operation` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
    '',
  );
}
