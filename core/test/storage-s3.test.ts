import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/storage/open.js';
import { withToolInput } from '../src/storage/tool-input.js';
import type { FileEntry } from '../src/storage/types.js';
import { type S3Server, startS3Server } from './servers/s3.js';
import { storageConformance } from './storage-conformance.js';

let server: S3Server;
let buckets = 0;
beforeAll(async () => {
  server = await startS3Server();
}, 30_000);
afterAll(() => server?.stop());

async function freshBucket(): Promise<string> {
  const name = `bucket-${++buckets}`;
  await server.createBucket(name);
  return name;
}

const options = () => ({ endpoint: server.endpoint, pathStyle: true });

describe('S3 storage (versitygw on loopback)', () => {
  let bucket = '';
  storageConformance({
    open: async () => {
      bucket = await freshBucket();
      return openStorage(
        { kind: 's3', uri: `s3://${bucket}/some/prefix/`, options: options() },
        { secrets: server.root },
      );
    },
    seed: (path, bytes) => server.put(bucket, `some/prefix/${path}`, bytes),
  });

  it('a read-only user lists and reads but cannot write; the message says where and why', async () => {
    const name = await freshBucket();
    await server.put(name, 'a.jpg', 'jpeg bytes');
    await server.addReadOnlyUser(name, 'reader1', 'reader-secret-1');
    const storage = await openStorage(
      { kind: 's3', uri: `s3://${name}/`, options: options() },
      { secrets: { accessKeyId: 'reader1', secretAccessKey: 'reader-secret-1' } },
    );
    const listed: FileEntry[] = [];
    for await (const page of storage.list()) listed.push(...page);
    expect(listed.map((e) => e.path)).toEqual(['a.jpg']);
    expect(new TextDecoder().decode(await storage.read('a.jpg'))).toBe('jpeg bytes');
    const denied = storage.write('.winnow/probe', new Uint8Array(1));
    await expect(denied).rejects.toMatchObject({ code: 'permission_denied' });
    await expect(denied).rejects.toThrow(
      `access denied (AccessDenied, HTTP 403): write s3://${name}/.winnow/probe`,
    );
  });

  it('a wrong secret is unauthenticated, and the message carries neither key', async () => {
    const name = await freshBucket();
    const storage = await openStorage(
      { kind: 's3', uri: `s3://${name}/`, options: options() },
      { secrets: { accessKeyId: server.root.accessKeyId, secretAccessKey: 'not-the-secret-XYZ' } },
    );
    const error = await storage.stat('x').catch((e) => e);
    const listing = await (async () => {
      for await (const _ of storage.list());
    })().catch((e) => e);
    expect(listing).toMatchObject({ code: 'unauthenticated' });
    expect(listing.message).toContain(`s3://${name}/`);
    for (const message of [listing.message, String(error?.message)])
      expect(message).not.toContain('not-the-secret-XYZ');
  });

  it('keys come from the environment variables named in the options, never stored', async () => {
    const name = await freshBucket();
    await server.put(name, 'k.txt', 'from env');
    process.env.TEST_S3_KEY = server.root.accessKeyId;
    process.env.TEST_S3_SECRET = server.root.secretAccessKey;
    try {
      const storage = await openStorage({
        kind: 's3',
        uri: `s3://${name}/`,
        options: { ...options(), accessKeyEnv: 'TEST_S3_KEY', secretKeyEnv: 'TEST_S3_SECRET' },
      });
      expect(new TextDecoder().decode(await storage.read('k.txt'))).toBe('from env');
      delete process.env.TEST_S3_SECRET;
      await expect(
        openStorage({
          kind: 's3',
          uri: `s3://${name}/`,
          options: { ...options(), accessKeyEnv: 'TEST_S3_KEY', secretKeyEnv: 'TEST_S3_SECRET' },
        }),
      ).rejects.toThrow('environment variable TEST_S3_SECRET is not set');
    } finally {
      delete process.env.TEST_S3_KEY;
      delete process.env.TEST_S3_SECRET;
    }
  });

  it('signs URLs that read the object until they expire', async () => {
    const name = await freshBucket();
    await server.put(name, 'p/img.png', 'png bytes');
    const storage = await openStorage(
      { kind: 's3', uri: `s3://${name}/p/`, options: options() },
      { secrets: server.root },
    );
    const url = (await storage.signedUrl('img.png'))!;
    expect(url).toContain('X-Amz-Expires=900');
    expect(url).not.toContain(server.root.secretAccessKey);
    const fresh = await fetch(url);
    expect(fresh.status).toBe(200);
    expect(await fresh.text()).toBe('png bytes');
    const short = (await storage.signedUrl('img.png', 1))!;
    await new Promise((r) => setTimeout(r, 2500));
    expect((await fetch(short)).status).toBe(403);
  });

  it('a bucket that vanishes mid-listing fails the listing with not_found, naming the bucket', async () => {
    const name = await freshBucket();
    for (let i = 0; i < 6; i++) await server.put(name, `f${i}.jpg`, 'x');
    const storage = await openStorage(
      { kind: 's3', uri: `s3://${name}/`, options: options() },
      { secrets: server.root },
    );
    const pages: string[][] = [];
    const listing = (async () => {
      for await (const page of storage.list({ pageSize: 2 })) {
        pages.push(page.map((e) => e.path));
        rmSync(join(server.dataDir, name), { recursive: true, force: true });
      }
    })();
    await expect(listing).rejects.toMatchObject({ code: 'not_found' });
    await expect(listing).rejects.toThrow(`s3://${name}/`);
    expect(pages).toEqual([['f0.jpg', 'f1.jpg']]);
  });

  it('hands a tool a signed URL and puts the object URL in its place in any error', async () => {
    const name = await freshBucket();
    await server.put(name, 'v/clip.mp4', 'not a video');
    const storage = await openStorage(
      { kind: 's3', uri: `s3://${name}/`, options: options() },
      { secrets: server.root },
    );
    let given = '';
    const failing = withToolInput(storage, 'v/clip.mp4', async (input) => {
      given = input;
      throw new Error(`${input}: Server returned 403 Forbidden`);
    });
    await expect(failing).rejects.toThrow(`s3://${name}/v/clip.mp4: Server returned 403 Forbidden`);
    expect(given).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*X-Amz-Signature=/);
    expect(await withToolInput(storage, 'v/clip.mp4', async (input) => (await fetch(input)).text())).toBe(
      'not a video',
    );
  });

  it('obs:// needs an endpoint', async () => {
    await expect(openStorage({ kind: 'obs', uri: 'obs://bucket/' })).rejects.toThrow(
      'obs:// needs its endpoint',
    );
  });
});
