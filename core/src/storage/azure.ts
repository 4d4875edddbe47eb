import type { TokenCredential } from '@azure/identity';
import {
  AnonymousCredential,
  BlobSASPermissions,
  BlobServiceClient,
  type BlobServiceClientOptions,
  type ContainerClient,
  StorageRetryPolicyType,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { throwIfAborted, WinnowError } from '../errors.js';
import { RETRY, type StoreFault, storageFailure } from './failure.js';
import { formatLocation, keyOf, type Location, pathOf } from './location.js';
import { type DatasourceOptions, type Secrets, secretFromEnv } from './options.js';
import { type FileEntry, type ListOptions, SIGNED_URL_SECONDS, type WritableStorage } from './types.js';

type AzureLocation = Extract<Location, { kind: 'azure' }>;

/** The most blobs one listing request returns. */
const MAX_PAGE = 5000;

/** A user delegation key is asked for at least this long, so that one key signs many URLs. */
const DELEGATION_KEY_MS = 60 * 60 * 1000;

/** How far back a delegation key starts, for clocks that disagree with Azure's. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

const CLIENT_OPTIONS: BlobServiceClientOptions = {
  retryOptions: {
    retryPolicyType: StorageRetryPolicyType.EXPONENTIAL,
    maxTries: RETRY.attempts,
    retryDelayInMs: RETRY.baseDelayMs,
    maxRetryDelayInMs: RETRY.maxDelayMs,
    tryTimeoutInMs: RETRY.timeoutMs,
  },
};

type SecretKind = 'connectionString' | 'accountKey' | 'sasToken';

/** The order secrets are looked for in, within each source. */
const SECRET_KINDS: readonly SecretKind[] = ['connectionString', 'accountKey', 'sasToken'];

const SECRET_LABEL: Record<SecretKind, string> = {
  connectionString: 'Azure connection string',
  accountKey: 'Azure account key',
  sasToken: 'Azure SAS token',
};

const OPTION_ENV: Record<SecretKind, keyof DatasourceOptions> = {
  connectionString: 'connectionStringEnv',
  accountKey: 'accountKeyEnv',
  sasToken: 'sasTokenEnv',
};

/** The variables the Azure tools themselves read. */
const DEFAULT_ENV: Record<SecretKind, string> = {
  connectionString: 'AZURE_STORAGE_CONNECTION_STRING',
  accountKey: 'AZURE_STORAGE_KEY',
  sasToken: 'AZURE_STORAGE_SAS_TOKEN',
};

/** A key or a SAS token, with what a connection string adds (the account's name, its endpoint). */
interface SharedSecret {
  accountKey?: string;
  sasToken?: string;
  accountName?: string;
  blobEndpoint?: string;
}

/** How URLs are signed: with the account key, with a user delegation key, or not at all (SAS token only). */
type Signing = 'key' | 'delegation' | 'none';

/** A container on Azure Blob Storage (or Azurite), under a prefix. */
export class AzureStorage implements WritableStorage {
  readonly kind = 'azure' as const;
  readonly uri: string;
  private readonly service: BlobServiceClient;
  private readonly container: ContainerClient;
  private readonly signing: Signing;
  /** Every secret in hand, blanked out of error messages. */
  private readonly secrets: string[];
  private delegation?: { key: Promise<UserDelegationKey>; expiresOn: Date };

  constructor(
    private readonly location: AzureLocation,
    options: DatasourceOptions,
    secrets: Secrets,
  ) {
    this.uri = formatLocation(location);
    const access = connect(location, options, secrets, this.uri);
    this.service = access.service;
    this.signing = access.signing;
    this.secrets = access.secrets;
    this.container = this.service.getContainerClient(location.container);
  }

  async *list(options: ListOptions = {}): AsyncGenerator<FileEntry[]> {
    const { signal } = options;
    const prefix = options.prefix ?? '';
    const pages = this.container
      .listBlobsFlat({ prefix: keyOf(this.location, prefix), abortSignal: signal })
      .byPage({ maxPageSize: options.pageSize ?? MAX_PAGE });
    try {
      for await (const page of pages) {
        throwIfAborted(signal);
        yield page.segment.blobItems.map((blob) => this.entry(blob.name, blob.properties));
      }
    } catch (error) {
      throw this.failure(prefix, 'list', error, signal);
    }
  }

  async stat(path: string): Promise<FileEntry | undefined> {
    const key = keyOf(this.location, path);
    try {
      return this.entry(key, await this.container.getBlobClient(key).getProperties());
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.failure(path, 'stat', error);
    }
  }

  async read(path: string, range?: { offset: number; length: number }): Promise<Uint8Array> {
    const blob = this.container.getBlobClient(keyOf(this.location, path));
    // The SDK reads a count of 0 as "to the end".
    if (range && range.length <= 0) return new Uint8Array(0);
    try {
      const response = await blob.download(range?.offset ?? 0, range?.length);
      return await bytesOf(response.readableStreamBody);
    } catch (error) {
      // 416: the range starts at or past the end, where the contract wants the bytes that exist (none).
      if (range && statusOf(error) === 416) return new Uint8Array(0);
      throw this.failure(path, 'read', error);
    }
  }

  async write(path: string, bytes: Uint8Array, contentType?: string): Promise<void> {
    const blob = this.container.getBlockBlobClient(keyOf(this.location, path));
    try {
      // One Put Blob: the blob appears whole or not at all, unlike a staged block upload.
      await blob.upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: contentType } });
    } catch (error) {
      throw this.failure(path, 'write', error);
    }
  }

  async delete(path: string): Promise<void> {
    const blob = this.container.getBlobClient(keyOf(this.location, path));
    try {
      // Azure refuses to delete a blob that has snapshots unless told to take them too.
      await blob.deleteIfExists({ deleteSnapshots: 'include' });
    } catch (error) {
      throw this.failure(path, 'delete', error);
    }
  }

  async signedUrl(path: string, expiresInSeconds = SIGNED_URL_SECONDS): Promise<string | undefined> {
    // Only the user's own SAS token is in hand: passing it to a browser would hand out the credential.
    if (this.signing === 'none') return undefined;
    const blob = this.container.getBlobClient(keyOf(this.location, path));
    const expiresOn = new Date(Date.now() + expiresInSeconds * 1000);
    const sas = { permissions: BlobSASPermissions.parse('r'), expiresOn };
    try {
      if (this.signing === 'key') return await blob.generateSasUrl(sas);
      return await blob.generateUserDelegationSasUrl(sas, await this.delegationKey(expiresOn));
    } catch (error) {
      throw this.failure(path, 'sign', error);
    }
  }

  /** A user delegation key valid until `expiresOn`, reused while it lasts: asking for one per URL would cost a request each. */
  private delegationKey(expiresOn: Date): Promise<UserDelegationKey> {
    if (this.delegation && this.delegation.expiresOn >= expiresOn) return this.delegation.key;
    const keyExpiresOn = new Date(Math.max(expiresOn.getTime(), Date.now() + DELEGATION_KEY_MS));
    const key = this.service.getUserDelegationKey(new Date(Date.now() - CLOCK_SKEW_MS), keyExpiresOn);
    const delegation = { key, expiresOn: keyExpiresOn };
    this.delegation = delegation;
    // A failed request is not kept: the next URL asks again.
    key.catch(() => {
      if (this.delegation === delegation) this.delegation = undefined;
    });
    return key;
  }

  private entry(
    key: string,
    properties: { contentLength?: number; lastModified?: Date; etag?: string },
  ): FileEntry {
    return {
      path: pathOf(this.location, key),
      size: properties.contentLength ?? 0,
      mtimeMs: properties.lastModified?.getTime() ?? 0,
      etag: properties.etag?.replace(/"/g, ''),
    };
  }

  private failure(path: string, operation: string, error: unknown, signal?: AbortSignal): WinnowError {
    if (error instanceof WinnowError) return error;
    if (signal?.aborted) return new WinnowError('cancelled', 'cancelled');
    return storageFailure(`${this.uri}${path}`, operation, faultOf(error), this.secrets);
  }
}

/** The service client for the first secret found (else DefaultAzureCredential), and how it signs URLs. */
function connect(
  location: AzureLocation,
  options: DatasourceOptions,
  secrets: Secrets,
  uri: string,
): { service: BlobServiceClient; signing: Signing; secrets: string[] } {
  const raw = findSecret(secrets, options, uri);
  const shared = raw ? sharedSecret(raw.kind, raw.value, uri) : {};
  const endpoint =
    options.endpoint ?? shared.blobEndpoint ?? `https://${location.account}.blob.core.windows.net`;
  const serviceUrl = endpoint.replace(/\/+$/, '');
  const known = raw ? secretsOf(raw.value, shared) : [];
  if (shared.accountKey) {
    const credential = new StorageSharedKeyCredential(
      shared.accountName ?? location.account,
      shared.accountKey,
    );
    return {
      service: new BlobServiceClient(serviceUrl, credential, CLIENT_OPTIONS),
      signing: 'key',
      secrets: known,
    };
  }
  if (shared.sasToken) {
    const url = `${serviceUrl}?${shared.sasToken.replace(/^\?/, '')}`;
    const service = new BlobServiceClient(url, new AnonymousCredential(), CLIENT_OPTIONS);
    return { service, signing: 'none', secrets: known };
  }
  const service = new BlobServiceClient(serviceUrl, defaultCredential(), CLIENT_OPTIONS);
  return { service, signing: 'delegation', secrets: known };
}

/** The secret to use: handed over in memory, else named by the options, else the Azure tools' own variables. */
function findSecret(
  secrets: Secrets,
  options: DatasourceOptions,
  uri: string,
): { kind: SecretKind; value: string } | undefined {
  for (const kind of SECRET_KINDS) {
    const value = secrets[kind];
    if (value) return { kind, value };
  }
  for (const kind of SECRET_KINDS) {
    const name = options[OPTION_ENV[kind]];
    if (typeof name === 'string')
      return { kind, value: secretFromEnv(name, `${uri}: ${SECRET_LABEL[kind]}`) };
  }
  for (const kind of SECRET_KINDS) {
    const value = process.env[DEFAULT_ENV[kind]];
    if (value) return { kind, value };
  }
  return undefined;
}

function sharedSecret(kind: SecretKind, value: string, uri: string): SharedSecret {
  if (kind === 'accountKey') return { accountKey: value };
  if (kind === 'sasToken') return { sasToken: value };
  return parseConnectionString(value, uri);
}

/** `AccountName=…;AccountKey=…;BlobEndpoint=…` or `…;SharedAccessSignature=…` (values may hold `=`). */
function parseConnectionString(text: string, uri: string): SharedSecret {
  const parts = new Map<string, string>();
  for (const pair of text.split(';')) {
    const at = pair.indexOf('=');
    if (at > 0) parts.set(pair.slice(0, at).trim().toLowerCase(), pair.slice(at + 1).trim());
  }
  const shared = {
    accountKey: parts.get('accountkey'),
    sasToken: parts.get('sharedaccesssignature'),
    accountName: parts.get('accountname'),
    blobEndpoint: parts.get('blobendpoint'),
  };
  if (!shared.accountKey && !shared.sasToken) {
    throw new WinnowError(
      'invalid_argument',
      `${uri}: the Azure connection string holds neither AccountKey nor SharedAccessSignature`,
    );
  }
  return shared;
}

/** What to blank out of messages: the secret as given, its key or token, and the token's signature alone. */
function secretsOf(raw: string, shared: SharedSecret): string[] {
  const signature = shared.sasToken && new URLSearchParams(shared.sasToken.replace(/^\?/, '')).get('sig');
  const found = [
    raw,
    shared.accountKey,
    shared.sasToken,
    signature,
    signature && encodeURIComponent(signature),
  ];
  return found.filter((secret): secret is string => typeof secret === 'string' && secret.length > 0);
}

/** DefaultAzureCredential, its package loaded on the first token asked for (only when no key or SAS is given). */
function defaultCredential(): TokenCredential {
  let credential: Promise<TokenCredential> | undefined;
  return {
    async getToken(scopes, options) {
      credential ??= import('@azure/identity').then(
        ({ DefaultAzureCredential }) => new DefaultAzureCredential(),
      );
      return (await credential).getToken(scopes, options);
    },
  };
}

async function bytesOf(body: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const buffer = Buffer.concat(chunks);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number } | undefined)?.statusCode;
}

/** The SDK's error reduced for `storageFailure`: its RestError names the service's error code, not itself. */
function faultOf(error: unknown): StoreFault {
  const e = (error ?? {}) as {
    statusCode?: number;
    code?: string;
    details?: { errorCode?: string };
    name?: string;
    message?: string;
  };
  const name = e.code ?? e.details?.errorCode ?? (e.name === 'RestError' ? undefined : e.name);
  return { status: e.statusCode, name, message: e.message ?? String(error) };
}
