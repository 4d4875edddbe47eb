import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WinnowError } from '../errors.js';

/**
 * Where a datasource lives, parsed from what the user wrote: a local path (or `file://` URL),
 * `s3://bucket/prefix/`, `obs://bucket/prefix/` (S3-compatible endpoints), `gs://bucket/prefix/`,
 * `az://account/container/prefix/` or `https://account.blob.core.windows.net/container/prefix/`.
 * A prefix is empty or ends with `/`, and never starts with one.
 */
export type Location =
  | { kind: 'local'; path: string }
  | { kind: 's3' | 'obs'; bucket: string; prefix: string }
  | { kind: 'gcs'; bucket: string; prefix: string }
  | { kind: 'azure'; account: string; container: string; prefix: string };

const AZURE_HOST = /^([a-z0-9]{3,24})\.blob\.core\.windows\.net$/;

export function parseLocation(text: string): Location {
  const given = text.trim();
  if (!given) throw bad(text, 'is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(given)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'local', path: resolve(given) };
  if (scheme === 'file') return { kind: 'local', path: fileURLToPath(given) };
  const url = parseUrl(given);
  refuseCredentials(url, scheme);
  const parts = decodeURIComponent(url.pathname).split('/').filter(Boolean);
  if (scheme === 's3' || scheme === 'obs' || scheme === 'gs') {
    const bucket = url.hostname;
    checkBucket(text, bucket, scheme);
    const prefix = prefixOf(parts);
    return scheme === 'gs' ? { kind: 'gcs', bucket, prefix } : { kind: scheme, bucket, prefix };
  }
  if (scheme === 'az') {
    const account = url.hostname;
    const [container, ...rest] = parts;
    return azure(text, account, container, rest);
  }
  if (scheme === 'https') {
    const account = AZURE_HOST.exec(url.hostname)?.[1];
    if (!account)
      throw bad(text, 'is not a bucket URL (s3://, obs://, gs://, az:// or an Azure blob https:// URL)');
    const [container, ...rest] = parts;
    return azure(text, account, container, rest);
  }
  throw bad(
    text,
    `has an unknown scheme '${scheme}://' (s3://, obs://, gs://, az://, https:// for Azure, or a local path)`,
  );
}

/** The location as a URL (local: the absolute path), the form stored and shown. */
export function formatLocation(location: Location): string {
  switch (location.kind) {
    case 'local':
      return location.path;
    case 'azure':
      return `az://${location.account}/${location.container}/${location.prefix}`;
    default:
      return `${location.kind === 'gcs' ? 'gs' : location.kind}://${location.bucket}/${location.prefix}`;
  }
}

/** A path under the location: its key in the bucket, or its file path. */
export function keyOf(location: Location, path: string): string {
  if (location.kind === 'local') return isAbsolute(path) ? path : resolve(location.path, path);
  if (path.split('/').some((part) => part === '..' || part === '.'))
    throw new WinnowError('invalid_argument', `${path}: outside the datasource root`);
  return `${location.prefix}${path.replace(/^\/+/, '')}`;
}

/** The location-relative path of a key listed under the location's prefix. */
export function pathOf(location: Extract<Location, { prefix: string }>, key: string): string {
  return key.slice(location.prefix.length);
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw bad(text, 'is not a valid URL');
  }
}

/**
 * A location is stored and shown, so it must not carry a secret: neither `user:password@` nor a
 * signed query (an Azure SAS token, a presigned URL). The message names the location without
 * them and the options that take credentials by reference instead.
 */
function refuseCredentials(url: URL, scheme: string): void {
  const signed = url.search !== '';
  if (!url.username && !url.password && !signed) return;
  const shown = `${scheme}://${url.username || url.password ? '***@' : ''}${url.host}${url.pathname}${signed ? '?***' : ''}`;
  const instead =
    scheme === 'gs'
      ? '--storage credentials-file=F'
      : scheme === 'az' || scheme === 'https'
        ? '--storage sas-token-env=VAR (or account-key-env=VAR, connection-string-env=VAR)'
        : '--storage access-key-env=VAR and secret-key-env=VAR';
  throw bad(
    shown,
    `carries ${signed ? 'a query (a token or signature)' : 'credentials'}, which would be stored in the workspace: ` +
      `give the location without it and the credentials with ${instead}`,
  );
}

function prefixOf(parts: string[]): string {
  return parts.length ? `${parts.join('/')}/` : '';
}

function azure(text: string, account: string, container: string | undefined, rest: string[]): Location {
  if (!/^[a-z0-9]{3,24}$/.test(account)) {
    throw bad(text, `names the Azure storage account '${account}': 3 to 24 lowercase letters and digits`);
  }
  if (!container) throw bad(text, 'names no container (az://account/container/prefix/)');
  if (!/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    throw bad(
      text,
      `names the container '${container}': 3 to 63 lowercase letters, digits and single hyphens`,
    );
  }
  return { kind: 'azure', account, container, prefix: prefixOf(rest) };
}

/** Bucket names the providers accept (lowercase letters, digits, dots, hyphens; 3 to 63). */
function checkBucket(text: string, bucket: string, scheme: string): void {
  if (!bucket) throw bad(text, `names no bucket (${scheme}://bucket/prefix/)`);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw bad(text, `names the bucket '${bucket}': 3 to 63 lowercase letters, digits, dots and hyphens`);
  }
}

function bad(text: string, why: string): WinnowError {
  return new WinnowError('invalid_argument', `location '${text}' ${why}`);
}
