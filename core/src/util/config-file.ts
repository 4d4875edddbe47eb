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

/** A problem of a config file at one of its fields. */
export interface ConfigProblem {
  /** Where in the file: the field's keys and indices; an unknown key's own path. */
  path: (string | number)[];
  /** The message the CLI gives less the file name: `strategies[0].strategy.type: …`. */
  message: string;
}

/**
 * Every problem `schema` finds in `raw` (parseConfig reports the first); `within` is where `raw`
 * sits in its file. An unknown key is a problem at that key, so an editor marks the key itself.
 */
export function configProblems(
  schema: z.ZodType,
  raw: unknown,
  within: (string | number)[] = [],
): ConfigProblem[] {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return [];
  return parsed.error.issues.flatMap((issue) => {
    const path = [...within, ...issue.path.map((part) => (typeof part === 'number' ? part : String(part)))];
    const message = fieldMessage(fieldPath(path) || undefined, issue.message);
    return issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...path, key], message }))
      : [{ path, message }];
  });
}

/** An InputError's message less its file: `field: detail`, or the detail alone. */
export function fieldMessage(field: string | undefined, detail: string): string {
  return field ? `${field}: ${detail}` : detail;
}

/** `strategies[1].strategy.operation` from zod's path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part),
    '',
  );
}

/** The keys and indices of a field path (`strategies[1].strategy`): fieldPath's inverse. */
export function parseFieldPath(field: string): (string | number)[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((match) =>
    match[2] === undefined ? match[1]! : Number(match[2]),
  );
}
