import type { z } from 'zod';
import { WinnowError } from '../errors.js';
import { fieldPath } from '../util/config-file.js';

/**
 * Checks a request body against its contract schema: the parsed body, or a one-line
 * `invalid_argument` naming the first wrong field (`source.coco: expected a string`), which the
 * server answers with 400. `prefix` names the body (`credentials`) where its fields alone would not.
 */
export function parseRequest<S extends z.ZodType>(schema: S, body: unknown, prefix = ''): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [...(prefix ? [prefix] : []), ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    const unknown = fieldPath([...path, issue.keys[0]!]);
    throw new WinnowError('invalid_argument', `${unknown}: not a field of this request`);
  }
  // zod's own messages open with "Invalid input: ", which the field path before them already says.
  const message = issue.message.replace(/^Invalid input: /, '');
  throw new WinnowError('invalid_argument', `${fieldPath(path) || 'body'}: ${message}`);
}
