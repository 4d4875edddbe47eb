// The GCS adapter against a real fake-gcs-server. The emulator checks neither credentials nor
// permissions (nor signed URLs' signatures), so denied-permission and bad-credential cases are
// tested with the S3 and Azure adapters, whose emulators do check them.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { GcsStorage } from '../src/storage/gcs.js';
import { type Location, parseLocation } from '../src/storage/location.js';
import type { Secrets } from '../src/storage/options.js';
import { startFakeGcs } from './servers/gcs.js';
import { storageConformance } from './storage-conformance.js';

const PREFIX = 'root/';
let server: { endpoint: string; stop(): Promise<void> };
let seeder: Storage;
let bucket = '';
let buckets = 0;

beforeAll(async () => {
  server = await startFakeGcs();
  seeder = new Storage({ apiEndpoint: server.endpoint, projectId: 'test' });
});

afterAll(async () => {
  await server?.stop();
});

beforeEach(async () => {
  bucket = `winnow-test-${++buckets}`;
  await seeder.createBucket(bucket);
});

function open(secrets: Secrets = {}, options: { credentialsFile?: string } = {}): GcsStorage {
  const location = parseLocation(`gs://${bucket}/${PREFIX}`) as Extract<Location, { kind: 'gcs' }>;
  return new GcsStorage(location, { endpoint: server.endpoint, projectId: 'test', ...options }, secrets);
}

/** A service account's JSON key with a fresh RSA key: enough to sign URLs locally. */
function serviceAccountKey(): { text: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const key = {
    type: 'service_account',
    project_id: 'test',
    client_email: 'winnow-test@test.iam.gserviceaccount.com',
    private_key: privateKey,
    private_key_id: 'a1b2c3d4e5f6',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  return { text: JSON.stringify(key), privateKey };
}

/** Reads the URL the way a browser would, checking the emulator serves the object's bytes. */
async function expectSignedUrlServes(url: string | undefined, bytes: string): Promise<void> {
  expect(url).toBeDefined();
  const parsed = new URL(url!);
  expect(parsed.origin).toBe(server.endpoint);
  expect(parsed.pathname).toBe(`/${bucket}/${PREFIX}s/a.txt`);
  expect(parsed.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
  expect(parsed.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{64,}$/);
  const response = await fetch(url!);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe(bytes);
}

describe('GCS storage (fake-gcs-server)', () => {
  storageConformance({
    open: async () => open(),
    seed: async (path, bytes) => {
      await seeder.bucket(bucket).file(`${PREFIX}${path}`).save(Buffer.from(bytes), { resumable: false });
    },
  });

  it('signs a v4 read URL with an in-memory service account key, never showing the key', async () => {
    const key = serviceAccountKey();
    await seeder.bucket(bucket).file(`${PREFIX}s/a.txt`).save('signed bytes', { resumable: false });
    const url = await open({ serviceAccount: key.text }).signedUrl('s/a.txt', 60);
    expect(url).toContain('X-Goog-Signature=');
    expect(url).not.toContain(encodeURIComponent(key.privateKey));
    expect(url).not.toContain('PRIVATE KEY');
    expect(new URL(url!).searchParams.get('X-Goog-Expires')).toBe('60');
    await expectSignedUrlServes(url, 'signed bytes');
  });

  it('signs with a service account key file', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'winnow-gcs-key-'));
    try {
      const file = join(folder, 'key.json');
      writeFileSync(file, serviceAccountKey().text);
      await seeder.bucket(bucket).file(`${PREFIX}s/a.txt`).save('from a file', { resumable: false });
      await expectSignedUrlServes(
        await open({}, { credentialsFile: file }).signedUrl('s/a.txt'),
        'from a file',
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('signs no URL without a private key', async () => {
    // No application default credentials from the developer's environment either.
    vi.stubEnv('GOOGLE_APPLICATION_CREDENTIALS', '');
    try {
      expect(await open().signedUrl('s/a.txt')).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('refuses a service account key that is not JSON, without quoting it', async () => {
    expect(() => open({ serviceAccount: '{"private_key": "SECRET-KEY-TEXT"' })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', message: expect.not.stringContaining('SECRET') }),
    );
  });

  it('names the bucket when it does not exist', async () => {
    bucket = 'winnow-absent-bucket';
    const listing = async () => {
      for await (const _ of open().list()) break;
    };
    await expect(listing()).rejects.toMatchObject({ code: 'not_found' });
    await expect(listing()).rejects.toThrow('gs://winnow-absent-bucket/');
  });

  it('stops listing when cancelled', async () => {
    await seeder.bucket(bucket).file(`${PREFIX}a.bin`).save('a', { resumable: false });
    const listing = async () => {
      for await (const _ of open().list({ signal: AbortSignal.abort() })) break;
    };
    await expect(listing()).rejects.toMatchObject({ code: 'cancelled' });
  });
});
