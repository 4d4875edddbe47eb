import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/storage/open.js';
import type { DatasourceOptions } from '../src/storage/options.js';
import { stsEndpointOf } from '../src/storage/s3.js';
import { verifyDataset } from '../src/storage/verify.js';
import { COCO128, filesUnder, REPOSITORY, tempDir, winnowWithEnv } from './helpers.js';
import { freePort } from './servers/common.js';
import { type MinioServer, startMinio } from './servers/minio.js';
import { type Exchange, startRecordingProxy } from './servers/recording-proxy.js';
import { tracedAddresses, tracedWinnow } from './socket-trace.js';

/**
 * Delegated access and error causes against a real MinIO (built by scripts/setup.sh --test), with
 * a read-only and a read-write user made by `mc`. The store is reached through a recording proxy
 * on loopback, which keeps what the STS calls sent and returned: the external id, and the
 * temporary keys that must then appear nowhere.
 */
const IMAGES = readdirSync(join(COCO128, 'images')).sort().slice(0, 6);
const READER = { accessKeyId: 'winnowminioreader', secretAccessKey: 'winnow-minio-reader-secret-7e2a' };
const WRITER = { accessKeyId: 'winnowminiowriter', secretAccessKey: 'winnow-minio-writer-secret-4c9d' };
/** MinIO serves AssumeRole for its users whatever the role's name; an AWS-shaped ARN is what users give. */
const ROLE = 'arn:minio:iam:::role/winnow-test';
const EXTERNAL_ID = 'winnow-external-id-31f5';
const ENV = {
  WINNOW_MODEL_DIR: join(REPOSITORY, '../shared/models'),
  READER_KEY: READER.accessKeyId,
  READER_SECRET: READER.secretAccessKey,
  WRITER_KEY: WRITER.accessKeyId,
  WRITER_SECRET: WRITER.secretAccessKey,
};

let minio: MinioServer;
let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;

beforeAll(async () => {
  minio = await startMinio();
  await minio.createBucket('input');
  for (const name of IMAGES) {
    await minio.put('input', `photos/${name}`, readFileSync(join(COCO128, 'images', name)));
  }
  await minio.addUser(READER.accessKeyId, READER.secretAccessKey, 'read');
  await minio.addUser(WRITER.accessKeyId, WRITER.secretAccessKey, 'readwrite');
  proxy = await startRecordingProxy(minio.endpoint);
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await minio?.stop();
});

/** The AssumeRole calls the proxy saw since `from`. */
function assumeRoleCalls(from = 0): Exchange[] {
  return proxy.exchanges.slice(from).filter((e) => e.requestBody.includes('Action=AssumeRole'));
}

/** Every temporary key and token STS handed out in `calls`. */
function temporaryCredentials(calls: Exchange[]): string[] {
  return calls.flatMap((call) =>
    [...call.responseBody.matchAll(/<(AccessKeyId|SecretAccessKey|SessionToken)>([^<]+)</g)].map(
      (m) => m[2]!,
    ),
  );
}

function storageFlags(user: 'READER' | 'WRITER', extra: string[] = []): string[] {
  return [
    `endpoint=${proxy.endpoint}`,
    'path-style',
    `access-key-env=${user}_KEY`,
    `secret-key-env=${user}_SECRET`,
    `role-arn=${ROLE}`,
    `external-id=${EXTERNAL_ID}`,
    ...extra,
  ].flatMap((pair) => ['--storage', pair]);
}

describe('STS at the store: where a role is assumed', () => {
  const store = 'http://127.0.0.1:19000';
  it('follows the store endpoint, unless told otherwise or the store is on AWS', () => {
    const keep = { ...process.env };
    try {
      delete process.env.AWS_ENDPOINT_URL_STS;
      expect(stsEndpointOf({}, store)).toBe(store);
      expect(stsEndpointOf({ stsEndpoint: 'http://127.0.0.1:19001' }, store)).toBe('http://127.0.0.1:19001');
      expect(stsEndpointOf({}, 'https://s3.eu-west-1.amazonaws.com')).toBeUndefined();
      expect(stsEndpointOf({}, undefined)).toBeUndefined();
      process.env.AWS_ENDPOINT_URL_STS = 'http://127.0.0.1:19002';
      expect(stsEndpointOf({}, store)).toBe('http://127.0.0.1:19002');
      const explicit: DatasourceOptions = { stsEndpoint: 'http://127.0.0.1:19003' };
      expect(stsEndpointOf(explicit, store)).toBe('http://127.0.0.1:19003');
    } finally {
      process.env = keep;
    }
  });
});

describe('delegated access against MinIO', () => {
  it("a role assumed by the read-only user at the store's endpoint lists and reads, is refused writes, and sends the external id", async () => {
    const from = proxy.exchanges.length;
    const options = { endpoint: proxy.endpoint, pathStyle: true, roleArn: ROLE, externalId: EXTERNAL_ID };
    const storage = await openStorage(
      { kind: 's3', uri: 's3://input/photos/', options },
      { secrets: { accessKeyId: READER.accessKeyId, secretAccessKey: READER.secretAccessKey } },
    );
    const report = await verifyDataset(storage, storage as Parameters<typeof verifyDataset>[1]);
    expect(report).toMatchObject({ canList: true, canRead: true, canWrite: false });
    expect(report.errors.write).toMatch(
      /^access denied \(AccessDenied, HTTP 403\): write s3:\/\/input\/photos\/\.winnow\/\.permission-probe-/,
    );
    const calls = assumeRoleCalls(from);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.status).toBe(200);
      expect(new URLSearchParams(call.requestBody).get('ExternalId')).toBe(EXTERNAL_ID);
      expect(new URLSearchParams(call.requestBody).get('RoleArn')).toBe(ROLE);
    }
    // The S3 requests were signed with the session's key, not the user's.
    const [sessionKey] = temporaryCredentials(calls);
    expect(sessionKey).toMatch(/^[A-Z0-9]{16,}$/);
    expect(sessionKey).not.toBe(READER.accessKeyId);
  });

  it('ingests and embeds under the read-write role; no request leaves loopback; the session keys are nowhere', async () => {
    const dir = tempDir();
    const workspace = join(dir, '.winnow');
    const traces = join(dir, 'traces');
    mkdirSync(traces);
    const from = proxy.exchanges.length;
    const env = { ...process.env, ...ENV };
    const printed = [
      await tracedWinnow(
        traces,
        workspace,
        env,
        'ingest',
        's3://input/photos/',
        '--dataset',
        'roles',
        ...['--work', 's3://input/work/'],
        ...storageFlags('WRITER'),
      ),
      await tracedWinnow(
        traces,
        workspace,
        env,
        'embed',
        '--dataset',
        'roles',
        '--model',
        'squeezenet1.1',
        '--device',
        'cpu',
        '--json',
      ),
    ];
    expect(JSON.parse(printed[1]!)).toMatchObject({ embedded: IMAGES.length, corrupt: [] });
    expect(tracedAddresses(traces)).toEqual([]);
    const secrets = temporaryCredentials(assumeRoleCalls(from));
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const written = [
      ...filesUnder(workspace),
      // What MinIO holds of the bucket; its own .minio.sys keeps its sessions, by design.
      ...filesUnder(join(minio.dataDir, 'input')),
    ];
    // The thumbnails went to the work location, under the role.
    expect(
      written.filter((file) => file.includes('/work/.winnow/thumbnails/')).length,
    ).toBeGreaterThanOrEqual(IMAGES.length);
    for (const file of written) {
      const bytes = readFileSync(file);
      for (const secret of [...secrets, WRITER.secretAccessKey]) {
        expect(bytes.includes(secret), `a session credential in ${file}`).toBe(false);
      }
    }
    for (const secret of [...secrets, WRITER.secretAccessKey])
      expect(printed.join('\n')).not.toContain(secret);
  }, 120_000);

  it('under the read-only role, verify reports list and read but not write; embed names the permission it lacks', async () => {
    const workspace = join(tempDir(), '.winnow');
    const ingested = await winnowWithEnv(
      ENV,
      workspace,
      'ingest',
      's3://input/photos/',
      '--dataset',
      'ro',
      ...['--work', 's3://input/work/'],
      ...storageFlags('READER'),
    );
    expect(ingested.code, ingested.stderr).toBe(0);
    const verified = await winnowWithEnv(ENV, workspace, 'datasource', 'verify', '--dataset', 'ro', '--json');
    expect(JSON.parse(verified.stdout)).toMatchObject({ canList: true, canRead: true, canWrite: false });
    const embedded = await winnowWithEnv(
      ENV,
      workspace,
      'embed',
      '--dataset',
      'ro',
      '--model',
      'squeezenet1.1',
    );
    expect(embedded.code, embedded.stdout + embedded.stderr).toBe(1);
    expect(embedded.stderr.trim().split('\n')).toHaveLength(1);
    expect(embedded.stderr).toMatch(
      /^winnow: embed cannot start: no write permission in s3:\/\/input\/work\/\.winnow\/ \(access denied \(AccessDenied, HTTP 403\): write /,
    );
  }, 60_000);
});

describe('endpoints from the standard AWS variables (MinIO)', () => {
  it('AWS_ENDPOINT_URL_S3 reaches the store for listing and for the fast object reads, and the role follows it', async () => {
    const workspace = join(tempDir(), '.winnow');
    const env = { ...ENV, AWS_ENDPOINT_URL_S3: proxy.endpoint };
    const from = proxy.exchanges.length;
    const flags = [
      'path-style',
      'access-key-env=READER_KEY',
      'secret-key-env=READER_SECRET',
      `role-arn=${ROLE}`,
    ];
    const ingested = await winnowWithEnv(
      env,
      workspace,
      ...['ingest', 's3://input/photos/', '--dataset', 'env', '--json'],
      ...flags.flatMap((pair) => ['--storage', pair]),
    );
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ samples: IMAGES.length });
    const embedded = await winnowWithEnv(
      env,
      workspace,
      'embed',
      '--dataset',
      'env',
      '--model',
      'squeezenet1.1',
      '--json',
    );
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(JSON.parse(embedded.stdout)).toMatchObject({ embedded: IMAGES.length, corrupt: [] });
    const seen = proxy.exchanges.slice(from);
    expect(assumeRoleCalls(from).length).toBeGreaterThan(0);
    expect(
      seen.filter((e) => e.method === 'GET' && e.url.startsWith('/input/photos/')).length,
    ).toBeGreaterThanOrEqual(IMAGES.length);
  }, 60_000);
});

describe('errors that name their cause (MinIO)', () => {
  async function ingestWith(location: string, pairs: string[], secret = READER.secretAccessKey) {
    const workspace = join(tempDir(), '.winnow');
    const flags = [...pairs, 'path-style', 'access-key-env=READER_KEY', 'secret-key-env=READER_SECRET'];
    const result = await winnowWithEnv(
      { ...ENV, READER_SECRET: secret },
      workspace,
      'ingest',
      location,
      '--dataset',
      'errors',
      ...flags.flatMap((pair) => ['--storage', pair]),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n'), result.stderr).toHaveLength(1);
    expect(result.stderr).not.toContain(secret);
    const info = await winnowWithEnv(ENV, workspace, 'info', '--json');
    expect(JSON.parse(info.stdout).datasets, 'no dataset is left behind').toEqual([]);
    return result.stderr.trim();
  }

  it('a wrong secret key', async () => {
    const stderr = await ingestWith(
      's3://input/photos/',
      [`endpoint=${minio.endpoint}`],
      'not-the-reader-secret-0b1c',
    );
    expect(stderr).toBe(
      'winnow: ingest cannot start: the secret key does not match (SignatureDoesNotMatch, HTTP 403): list s3://input/photos/',
    );
  });

  it('an endpoint whose name does not resolve, and one that refuses connections', async () => {
    const host = 'http://winnow-no-such-host.invalid:9000';
    expect(await ingestWith('s3://input/photos/', [`endpoint=${host}`])).toMatch(
      /^winnow: ingest cannot start: cannot reach http:\/\/winnow-no-such-host\.invalid:9000 \(DNS: (ENOTFOUND|EAI_AGAIN)\): list s3:\/\/input\/photos\/$/,
    );
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await ingestWith('s3://input/photos/', [`endpoint=${closed}`])).toBe(
      `winnow: ingest cannot start: cannot reach ${closed} (connection refused): list s3://input/photos/`,
    );
  }, 60_000);

  it('a role at an STS endpoint that cannot be reached names the role and the endpoint', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(
      await ingestWith('s3://input/photos/', [
        `endpoint=${minio.endpoint}`,
        `role-arn=${ROLE}`,
        `sts-endpoint=${closed}`,
      ]),
    ).toBe(
      `winnow: ingest cannot start: cannot reach ${closed} (connection refused): assume role ${ROLE} at ${closed}`,
    );
  }, 60_000);

  it('a bucket that does not exist', async () => {
    expect(await ingestWith('s3://no-such-bucket/photos/', [`endpoint=${minio.endpoint}`])).toBe(
      'winnow: ingest cannot start: bucket no-such-bucket does not exist (NoSuchBucket, HTTP 404): list s3://no-such-bucket/photos/',
    );
  });

  it('a prefix with no image or video: ingest fails and makes no dataset', async () => {
    expect(await ingestWith('s3://input/nope/', [`endpoint=${minio.endpoint}`])).toBe(
      'winnow: s3://input/nope/: no image or video found: no dataset was made',
    );
  });
});
