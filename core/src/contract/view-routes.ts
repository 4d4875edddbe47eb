/**
 * The requests a browser view makes (widgets/src/api.ts), and only those: a relay (the kernel's
 * widget comm, the VS Code extension host) is how a page in a browser reaches the server, so it
 * must not reach what the views never need (credentials, ingest and import jobs naming local
 * files, a dataset's runs, embeddings in bulk, SQL of its own: the views send the query bar's
 * condition only, as a `where`). Declared once here; contract.json carries it to the kernel package.
 */

export type ViewMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A route as a method and a regular expression over the path (no query), in the syntax JavaScript and Python share. */
export interface ViewRoute {
  method: ViewMethod;
  pattern: string;
}

const DATASET = '/api/datasets/[^/]+';
const SAMPLE = `${DATASET}/samples/\\d+`;

export const VIEW_ROUTES: readonly ViewRoute[] = (
  [
    ['GET', `${DATASET}/samples`],
    ['POST', `${DATASET}/samples/by-id`],
    ['GET', SAMPLE],
    ['GET', `${SAMPLE}/thumbnail`],
    ['GET', `${SAMPLE}/media`],
    ['POST', `${SAMPLE}/annotations`],
    ['PUT', `${SAMPLE}/caption`],
    ['PATCH', `${DATASET}/annotations/\\d+`],
    ['DELETE', `${DATASET}/annotations/\\d+`],
    ['GET', `${DATASET}/(points|ids|colors|facets|tags|vocabulary)`],
    ['GET', `${SAMPLE}/position`],
    ['GET', `${DATASET}/tags/[^/]+/ids`],
    ['POST', `${DATASET}/conditions`],
    ['GET', `${DATASET}/selection`],
    ['PUT', `${DATASET}/selection`],
    ['PATCH', `${DATASET}/tags/[^/]+`],
    ['POST', '/api/jobs'],
    ['GET', '/api/jobs/[^/]+'],
    ['DELETE', '/api/jobs/[^/]+'],
  ] as const
).map(([method, pattern]) => ({ method, pattern }));

/** The jobs the views start: a selection panel runs `select` with an inline config. */
export const VIEW_JOBS: readonly string[] = ['select'];

const RELAYED_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const MATCHERS = VIEW_ROUTES.map(({ method, pattern }) => ({
  method,
  regex: new RegExp(`^(?:${pattern})$`),
}));

/** What a relay says when it does not pass a request on: 400 for a malformed one, 403 for one the views do not make. */
export interface ViewRefusal {
  status: 400 | 403;
  code: 'invalid_argument' | 'permission_denied';
  message: string;
}

/**
 * Why a relay must not pass this request of a view on to the server, or undefined when it may:
 * it is malformed (not an /api/ path, a control character, a `.` or `..` segment), not one the
 * views make (VIEW_ROUTES), or a job they do not start (VIEW_JOBS). `relayName` names the relay
 * in the message ("the kernel", "the extension").
 */
export function viewRequestRefusal(
  method: unknown,
  path: unknown,
  body: unknown,
  relayName: string,
): ViewRefusal | undefined {
  const malformed = malformedRequest(method, path, relayName);
  if (malformed) return { status: 400, code: 'invalid_argument', message: malformed };
  const route = (path as string).split('?')[0]!;
  if (!MATCHERS.some((matcher) => matcher.method === method && matcher.regex.test(route))) {
    return {
      status: 403,
      code: 'permission_denied',
      message: `${method} ${route} is not a request the views make: ${relayName} does not relay it`,
    };
  }
  if (method === 'POST' && route === '/api/jobs') {
    const kind = (body as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !VIEW_JOBS.includes(kind)) {
      return {
        status: 403,
        code: 'permission_denied',
        message: `the views start ${VIEW_JOBS.join(', ')} jobs only, not ${JSON.stringify(kind ?? null)}`,
      };
    }
  }
  return undefined;
}

function malformedRequest(method: unknown, path: unknown, relayName: string): string | undefined {
  if (typeof method !== 'string' || !RELAYED_METHODS.includes(method)) {
    return `${relayName} relays ${RELAYED_METHODS.join(', ')}, not ${JSON.stringify(method ?? null)}`;
  }
  if (typeof path !== 'string' || !path.startsWith('/api/')) {
    return `${relayName} relays /api/ paths only, not ${JSON.stringify(path ?? null)}`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (/[\u0000-\u0020\u007f]/.test(path)) return 'the path has a space or a control character';
  let segments: string[];
  try {
    segments = decodeURIComponent(path.split('?')[0]!).split('/');
  } catch {
    return 'the path has a malformed %-escape';
  }
  if (segments.includes('.') || segments.includes('..')) return 'the path has a . or .. segment';
  return undefined;
}
