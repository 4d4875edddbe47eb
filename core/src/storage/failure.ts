import { type ErrorCode, firstLineOf, WinnowError } from '../errors.js';

/** What a store's SDK said went wrong, reduced to what the message and code need. */
export interface StoreFault {
  status?: number;
  /** The provider's error code (AccessDenied, NoSuchBucket, AuthorizationPermissionMismatch…). */
  name?: string;
  message?: string;
}

/**
 * A one-line error for a failed storage operation that names the cause first (the store cannot be
 * reached, the key does not match, the bucket does not exist, access is denied), then the store's
 * code and HTTP status, the operation and the object's URL. Known secrets are blanked out of the
 * provider's words, so a message that echoes a request never carries one. `endpoint` names the
 * service when a network error does not.
 */
export function storageFailure(
  where: string,
  operation: string,
  fault: StoreFault,
  secrets: readonly (string | undefined)[] = [],
  endpoint?: string,
): WinnowError {
  const name = fault.name && fault.name !== 'Error' ? fault.name : undefined;
  const message = fault.message ?? '';
  const { code, cause, explains, network } = causeOf(fault.status, name ?? '', message, where, endpoint);
  // A network failure has no store code or status; its errno is in the cause.
  const reason = network
    ? ''
    : [name, fault.status ? `HTTP ${fault.status}` : undefined].filter(Boolean).join(', ');
  const detail = explains ? '' : redact(firstLineOf(message), secrets);
  return new WinnowError(
    code,
    `${cause}${reason ? ` (${reason})` : ''}: ${operation} ${where}${detail && detail !== name ? `: ${detail}` : ''}`,
  );
}

interface Cause {
  code: ErrorCode;
  cause: string;
  /** The cause says all the provider's message would: it is left out. */
  explains: boolean;
  /** The store was not reached: no code or status to show. */
  network?: boolean;
}

const NO_ADDRESS = /\b(ENOTFOUND|EAI_AGAIN)\b\s*(\S*)/;
const REFUSED = /\bECONNREFUSED\b\s*(\S*)/;
const NO_ANSWER = /\bETIMEDOUT\b|no answer in|timed? ?out/i;
const CONNECTION_LOST = /\bECONNRESET\b|\bEPIPE\b|socket hang up|NetworkError|REQUEST_SEND_ERROR/i;
const WRONG_SECRET = /SignatureDoesNotMatch|AuthenticationFailed|Server failed to authenticate/i;
const UNKNOWN_KEY = /InvalidAccessKeyId/i;
const BAD_TOKEN = /InvalidToken|ExpiredToken|TokenRefreshRequired/i;
const UNAUTHENTICATED = /Unauthenticated|invalid_grant|CredentialsProviderError|CredentialUnavailable/i;
const NO_BUCKET = /NoSuchBucket|ContainerNotFound|bucket does not exist/i;
const NOT_FOUND = /NoSuchKey|NotFound|BlobNotFound/i;

function causeOf(
  status: number | undefined,
  name: string,
  message: string,
  where: string,
  endpoint: string | undefined,
): Cause {
  const said = `${name} ${message}`;
  const noAddress = NO_ADDRESS.exec(said);
  if (noAddress) return unreachable(hostOf(noAddress[2], endpoint), `DNS: ${noAddress[1]}`);
  const refused = REFUSED.exec(said);
  if (refused) return unreachable(hostOf(refused[1], endpoint), 'connection refused');
  if (!status && NO_ANSWER.test(said)) return unreachable(endpoint, 'no answer');
  if (!status && CONNECTION_LOST.test(said)) return unreachable(endpoint, 'connection lost');
  // The store's own words are kept where they may add to the cause (which policy denied what).
  if (WRONG_SECRET.test(said))
    return credentialsRefused('the secret key does not match', BOILERPLATE.test(name));
  if (UNKNOWN_KEY.test(said)) return credentialsRefused('the access key id is not known to the store');
  if (BAD_TOKEN.test(said)) return credentialsRefused('the session token is expired or not valid');
  if (UNAUTHENTICATED.test(said) || status === 401) return credentialsRefused('no valid credentials');
  if (NO_BUCKET.test(said))
    return {
      code: 'not_found',
      cause: `${containerOf(where)} does not exist`,
      explains: BOILERPLATE.test(name),
    };
  if (status === 403 || /AccessDenied|Forbidden|PermissionMismatch/i.test(name))
    return { code: 'permission_denied', cause: 'access denied', explains: false };
  if (status === 404 || NOT_FOUND.test(name))
    return { code: 'not_found', cause: 'not found', explains: BOILERPLATE.test(name) };
  return { code: 'unavailable', cause: 'the store failed', explains: false };
}

/** Store codes whose message only restates them ("The specified bucket does not exist"). */
const BOILERPLATE = /^(SignatureDoesNotMatch|NoSuchBucket|NoSuchKey|ContainerNotFound|BlobNotFound)$/;

/** The endpoint when it is the host a network error names (it shows scheme and port), else that host. */
function hostOf(named: string | undefined, endpoint: string | undefined): string | undefined {
  if (!named) return endpoint;
  return endpoint?.includes(named.replace(/:\d+$/, '')) ? endpoint : named;
}

function unreachable(host: string | undefined, why: string): Cause {
  return {
    code: 'unavailable',
    cause: `cannot reach ${host ?? 'the store'} (${why})`,
    explains: true,
    network: true,
  };
}

function credentialsRefused(cause: string, explains = false): Cause {
  return { code: 'unauthenticated', cause, explains };
}

/** "bucket NAME" or "container NAME", from the object's URL. */
function containerOf(where: string): string {
  const azure = /^az:\/\/[^/]+\/([^/]+)/.exec(where);
  if (azure) return `container ${azure[1]}`;
  const bucket = /^[a-z0-9]+:\/\/([^/]+)/.exec(where);
  return bucket ? `bucket ${bucket[1]}` : 'the bucket';
}

/**
 * `text` with every known secret (at least 4 characters) replaced by `***`, and with what a
 * provider echoes of a request's signing blanked even when the secret is not known here (the
 * default credential chains resolve keys this code never sees): see `blankCredentials`.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) if (secret && secret.length >= 4) out = out.split(secret).join('***');
  return blankCredentials(out);
}

/**
 * Signing parameters as S3 (SigV4 headers and presigned URLs, SigV2 URLs), GCS (V4 signed URLs)
 * and Azure (SAS tokens) write them, and the authorization schemes that carry a key or a token.
 * The value runs to the next separator of a header or a query string.
 */
const SIGNING_PARAMETER =
  /\b((?:X-Amz-|X-Goog-)?(?:Credential|Signature|Security-Token)|AWSAccessKeyId|sig)=[^\s&,;"'<>]+/gi;
const AUTHORIZATION = /\b(SharedKey(?:Lite)? [^:\s]+:|Bearer )[^\s,;"'<>]+/g;
/** AWS access key ids: long-term (AKIA) and temporary (ASIA) ones. */
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g;

/** `text` with AWS key ids, signing parameters' values and authorization keys replaced by `***`. */
export function blankCredentials(text: string): string {
  return text.replace(SIGNING_PARAMETER, '$1=***').replace(AUTHORIZATION, '$1***').replace(AWS_KEY_ID, '***');
}

/** How the adapters retry: throttling, 5xx and timeouts, with exponential backoff and full jitter. */
export const RETRY = { attempts: 5, baseDelayMs: 200, maxDelayMs: 20_000, timeoutMs: 60_000 } as const;

/**
 * Runs `attempt` until it succeeds, fails with what `retryable` rejects, or RETRY.attempts are
 * spent, sleeping between tries a random time up to an exponentially growing cap (full jitter,
 * as AWS's retry guidance has it): clients that were throttled together do not return together.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  retryable: (error: unknown) => boolean,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= RETRY.attempts || !retryable(error)) throw error;
      const cap = Math.min(RETRY.maxDelayMs, RETRY.baseDelayMs * 2 ** (tries - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
    }
  }
}

/** HTTP statuses a store answers when busy or failing for a moment: worth another try. */
export const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Why one object could not be read, when that is the object's own fault (it vanished, or may not
 * be read): the caller records it against that object and goes on. Anything else (the store is
 * unreachable, the credentials are refused, the run was cancelled) returns undefined: it stops
 * the run, since every other object would fail the same way.
 */
export function unreadableObject(error: unknown): string | undefined {
  if (!(error instanceof WinnowError)) return undefined;
  return error.code === 'not_found' || error.code === 'permission_denied'
    ? `unreadable: ${error.message}`
    : undefined;
}
