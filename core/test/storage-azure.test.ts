import { randomBytes } from 'node:crypto';
import {
  BlobServiceClient,
  ContainerSASPermissions,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureStorage } from '../src/storage/azure.js';
import { type Location, parseLocation } from '../src/storage/location.js';
import type { DatasourceOptions, Secrets } from '../src/storage/options.js';
import { type Azurite, startAzurite } from './servers/azurite.js';
import { storageConformance } from './storage-conformance.js';

const TIMEOUT = 30_000;
const PREFIX = 'base/';
const SAS_ENV = 'WINNOW_TEST_AZURE_SAS';

let azurite: Azurite;
let service: BlobServiceClient;
let container: string;
let made = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  service = BlobServiceClient.fromConnectionString(azurite.connectionString);
});

afterAll(async () => {
  await azurite?.stop();
});

beforeEach(async () => {
  made += 1;
  container = `winnow-${made}-${randomBytes(4).toString('hex')}`;
  await service.createContainer(container);
});

afterEach(() => {
  delete process.env[SAS_ENV];
});

function location(): Extract<Location, { kind: 'azure' }> {
  const parsed = parseLocation(`az://${azurite.account}/${container}/${PREFIX}`);
  if (parsed.kind !== 'azure') throw new Error(`not an Azure location: ${parsed.kind}`);
  return parsed;
}

function open(secrets: Secrets, options: DatasourceOptions = {}): AzureStorage {
  return new AzureStorage(location(), { endpoint: azurite.endpoint, ...options }, secrets);
}

async function seed(path: string, bytes: Uint8Array): Promise<void> {
  await service.getContainerClient(container).getBlockBlobClient(`${PREFIX}${path}`).uploadData(bytes);
}

/** A container SAS that lists and reads, nothing more. */
function readListSas(): string {
  const credential = new StorageSharedKeyCredential(azurite.account, azurite.accountKey);
  const permissions = ContainerSASPermissions.parse('rl');
  const expiresOn = new Date(Date.now() + 3_600_000);
  return generateBlobSASQueryParameters(
    { containerName: container, permissions, expiresOn },
    credential,
  ).toString();
}

async function listAll(storage: AzureStorage, signal?: AbortSignal): Promise<string[]> {
  const paths: string[] = [];
  for await (const page of storage.list({ signal })) paths.push(...page.map((entry) => entry.path));
  return paths;
}

describe('Azure Blob storage (Azurite)', { timeout: TIMEOUT }, () => {
  describe('conformance', () => {
    storageConformance({ open: async () => open({ accountKey: azurite.accountKey }), seed });
  });

  it('lists and reads with a read+list SAS token from the environment, and is denied writes', async () => {
    const token = readListSas();
    const signature = new URLSearchParams(token).get('sig')!;
    process.env[SAS_ENV] = token;
    await seed('a.txt', new TextEncoder().encode('hello'));
    const storage = open({}, { sasTokenEnv: SAS_ENV });
    expect(await listAll(storage)).toEqual(['a.txt']);
    expect(new TextDecoder().decode(await storage.read('a.txt'))).toBe('hello');
    const error = await storage.write('.winnow/x.bin', new Uint8Array(3)).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'WinnowError', code: 'permission_denied' });
    const message = (error as Error).message;
    expect(message).toContain(`az://devstoreaccount1/${container}/base/.winnow/x.bin`);
    expect(message).not.toContain(signature);
    expect(message).not.toContain(encodeURIComponent(signature));
    expect(message).not.toContain(token);
    expect(await storage.signedUrl('a.txt')).toBeUndefined();
  });

  it('fails to list with a wrong account key, naming neither key', async () => {
    const wrongKey = randomBytes(64).toString('base64');
    const storage = open({ accountKey: wrongKey });
    const error = await listAll(storage).catch((e: unknown) => e);
    // Azurite answers 403 AuthorizationFailure ("Server failed to authenticate the request"), Azure
    // itself 403 AuthenticationFailed: both are a failed authentication, not a missing permission.
    expect(error).toMatchObject({ name: 'WinnowError', code: 'unauthenticated' });
    expect((error as Error).message).toMatch(/AuthorizationFailure, HTTP 403/);
    const message = (error as Error).message;
    expect(message).toContain(`az://devstoreaccount1/${container}/base/`);
    expect(message).not.toContain(wrongKey);
    expect(message).not.toContain(azurite.accountKey);
  });

  it('signs read URLs with the account key, which a plain fetch reads', async () => {
    const bytes = randomBytes(1000);
    await seed('img/a.jpg', bytes);
    const storage = open({ accountKey: azurite.accountKey });
    const url = await storage.signedUrl('img/a.jpg');
    expect(url).toBeDefined();
    expect(url).not.toContain(azurite.accountKey);
    expect(url).not.toContain(encodeURIComponent(azurite.accountKey));
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(bytes);
  });

  it('signs URLs from a connection string too', async () => {
    await seed('b.bin', new Uint8Array([1, 2, 3]));
    const storage = open({ connectionString: azurite.connectionString });
    const response = await fetch((await storage.signedUrl('b.bin'))!);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('refuses a signed URL once it has expired', async () => {
    await seed('c.bin', new Uint8Array([7]));
    const storage = open({ accountKey: azurite.accountKey });
    const url = await storage.signedUrl('c.bin', 1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const response = await fetch(url!);
    expect(response.status).toBe(403);
  });

  it('reads a range that starts at or past the end as empty', async () => {
    await seed('d.bin', new Uint8Array([1, 2, 3]));
    const storage = open({ accountKey: azurite.accountKey });
    expect(await storage.read('d.bin', { offset: 3, length: 10 })).toEqual(new Uint8Array(0));
    expect(await storage.read('d.bin', { offset: 50, length: 10 })).toEqual(new Uint8Array(0));
    expect(await storage.read('d.bin', { offset: 1, length: 0 })).toEqual(new Uint8Array(0));
  });

  it('stops listing when cancelled, before the first page or between pages', async () => {
    for (const name of ['e1', 'e2', 'e3']) await seed(name, new Uint8Array(1));
    const storage = open({ accountKey: azurite.accountKey });
    await expect(listAll(storage, AbortSignal.abort())).rejects.toMatchObject({ code: 'cancelled' });
    const controller = new AbortController();
    const pages: string[][] = [];
    const listing = async () => {
      for await (const page of storage.list({ signal: controller.signal, pageSize: 1 })) {
        pages.push(page.map((entry) => entry.path));
        controller.abort();
      }
    };
    await expect(listing()).rejects.toMatchObject({ code: 'cancelled', message: 'cancelled' });
    expect(pages).toEqual([['e1']]);
  });

  it('names the container when it does not exist', async () => {
    await service.deleteContainer(container);
    const error = await listAll(open({ accountKey: azurite.accountKey })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'not_found' });
    expect((error as Error).message).toBe(
      `container ${container} does not exist (ContainerNotFound, HTTP 404): list az://devstoreaccount1/${container}/base/`,
    );
  });
});
