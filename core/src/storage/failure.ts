import { type ErrorCode, firstLineOf, WinnowError } from '../errors.js';

/** What a store's SDK said went wrong, reduced to what the message and code need. */
export interface StoreFault {
  status?: number;
  /** The provider's error code (AccessDenied, NoSuchBucket, AuthorizationPermissionMismatch…). */
  name?: string;
  message?: string;
}

const UNAUTHENTICATED =
  /Server failed to authenticate|SignatureDoesNotMatch|InvalidAccessKeyId|AuthenticationFailed|InvalidToken|ExpiredToken|Unauthenticated|invalid_grant|CredentialsProviderError|CredentialUnavailable/i;
const NOT_FOUND = /NoSuchBucket|NoSuchKey|NotFound|ContainerNotFound|BlobNotFound/i;

/**
 * A one-line error for a failed storage operation: where (the object's URL), what (list, read,
 * write…), and the provider's reason. Known secrets are blanked out of the provider's words, so a
 * message that echoes a request never carries one.
 */
export function storageFailure(
  where: string,
  operation: string,
  fault: StoreFault,
  secrets: readonly (string | undefined)[] = [],
): WinnowError {
  const name = fault.name && fault.name !== 'Error' ? fault.name : undefined;
  const code = codeOf(fault.status, name ?? '', fault.message ?? '');
  const reason = [name, fault.status ? `HTTP ${fault.status}` : undefined].filter(Boolean).join(', ');
  const detail = redact(firstLineOf(fault.message ?? ''), secrets);
  const verb = code === 'permission_denied' ? 'denied' : code === 'not_found' ? 'not found' : 'failed';
  return new WinnowError(
    code,
    `${where}: ${operation} ${verb}${reason ? ` (${reason})` : ''}${detail && detail !== name ? `: ${detail}` : ''}`,
  );
}

function codeOf(status: number | undefined, name: string, message: string): ErrorCode {
  if (UNAUTHENTICATED.test(name) || UNAUTHENTICATED.test(message) || status === 401) return 'unauthenticated';
  if (status === 403 || /AccessDenied|Forbidden|PermissionMismatch/i.test(name)) return 'permission_denied';
  if (status === 404 || NOT_FOUND.test(name)) return 'not_found';
  return 'unavailable';
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
