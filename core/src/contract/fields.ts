import { z } from 'zod';

/**
 * What the clients read of a field besides its type and description (z.toJSONSchema writes it
 * into contract.json): `path` marks a local file or folder a client makes absolute before
 * sending, since the server's working folder may differ; `metavar` is the placeholder of its
 * command-line option (`--coco <file>`); `source` marks the fields of which a request gives
 * exactly one (an import's yolo, coco…), a mutually exclusive, required group on a command line.
 */
export interface FieldMeta {
  path?: boolean;
  metavar?: string;
  source?: boolean;
}

/** A non-empty string field with its description and client hints. */
export function textField(description: string, meta: FieldMeta = {}) {
  return z
    .string({ error: 'expected a string' })
    .min(1, { error: 'expected a non-empty string' })
    .describe(description)
    .meta({ ...meta });
}

/** A local file or folder (or a bucket URL where the engine reads one), sent as an absolute path. */
export function pathField(description: string, metavar: 'file' | 'folder', meta: FieldMeta = {}) {
  return textField(description, { ...meta, path: true, metavar });
}

export const nonNegativeInteger = z
  .number({ error: 'expected a non-negative integer' })
  .int({ error: 'expected a non-negative integer' })
  .nonnegative({ error: 'expected a non-negative integer' });

/** A field's description and hints, as a client shows them; `choices` for an enum. */
export interface DescribedField extends FieldMeta {
  description?: string;
  choices?: readonly string[];
}

/**
 * An object schema's fields with their descriptions and hints, read from the schema itself: the
 * `winnow` command builds options from them at every start, and this takes a fraction of a
 * millisecond where z.toJSONSchema's first call takes tens (bench/contract.mjs).
 */
export function describedFields(schema: z.ZodObject): [string, DescribedField][] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const inner = field instanceof z.ZodOptional ? field.unwrap() : field;
    const choices = inner instanceof z.ZodEnum ? { choices: inner.options as string[] } : {};
    return [name, { ...(inner.meta() as DescribedField | undefined), ...choices }];
  });
}
