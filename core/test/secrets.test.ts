// Secrets never reach the workspace or a message: credentials in URLs are refused, and what a
// provider echoes of a signed request is blanked even when the key was never known here.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storageFailure } from '../src/storage/failure.js';
import { parseLocation } from '../src/storage/location.js';
import { parseStorageOptions } from '../src/storage/options.js';
import { Workspace } from '../src/store/workspace.js';
import { tempDir, winnow } from './helpers.js';

const KEY_ID = 'AKIAZ7Q3EXAMPLEKEY42';
const TEMPORARY_KEY_ID = 'ASIAZ7Q3EXAMPLETMP42';
const SIGNATURE = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024';

/** What S3, GCS and Azure answer when a signature or a key is refused, as their SDKs surface it. */
const PROVIDER_MESSAGES = [
  // SigV4 header echoed by SignatureDoesNotMatch (the default AWS chain's key)
  `The request signature we calculated does not match the signature you provided. Authorization: AWS4-HMAC-SHA256 Credential=${KEY_ID}/20261207/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${SIGNATURE}`,
  // a presigned URL in an access-denied message, with a session's temporary key and token
  `Access Denied for https://photos.s3.amazonaws.com/a.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${TEMPORARY_KEY_ID}%2F20261207%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261207T050000Z&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEXAMPLETOKEN&X-Amz-Signature=${SIGNATURE}`,
  // SigV2 query authentication
  `Request has expired: https://b.s3.amazonaws.com/k?AWSAccessKeyId=${KEY_ID}&Expires=1700000000&Signature=${SIGNATURE}`,
  // the key id alone, as InvalidAccessKeyId says it
  `The AWS Access Key Id you provided does not exist in our records. (AWSAccessKeyId: ${KEY_ID})`,
  // a GCS V4 signed URL
  `Invalid argument: https://storage.googleapis.com/b/a.jpg?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=winnow%40project.iam.gserviceaccount.com%2F20261207%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20261207T050000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=${SIGNATURE}`,
  // an Azure SAS URL and a shared key header
  `Server failed to authenticate the request. https://acct123.blob.core.windows.net/c/a.jpg?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2026-12-08T00:00:00Z&sig=${SIGNATURE}%3D`,
  `AuthenticationFailed: Authorization: SharedKey acct123:${SIGNATURE}=`,
];

describe('secrets in provider messages', () => {
  it('blanks key ids, signatures and credentials the adapters never knew', () => {
    for (const message of PROVIDER_MESSAGES) {
      const error = storageFailure('s3://photos/a.jpg', 'read', {
        status: 403,
        name: 'AccessDenied',
        message,
      });
      expect(error.message).not.toContain(KEY_ID);
      expect(error.message).not.toContain(TEMPORARY_KEY_ID);
      expect(error.message).not.toContain(SIGNATURE);
      expect(error.message).not.toContain('EXAMPLETOKEN');
      expect(error.message).not.toContain('iam.gserviceaccount.com');
      expect(error.message).toMatch(
        /^[a-z ]+ \(AccessDenied, HTTP 403\): read s3:\/\/photos\/a\.jpg: .*\*\*\*/,
      );
    }
    // What is not a secret stays readable: the region, the date, the signed headers.
    const [sigV4] = PROVIDER_MESSAGES;
    expect(storageFailure('s3://photos/', 'list', { status: 403, message: sigV4 }).message).toContain(
      'Credential=***, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=***',
    );
  });
});

describe('credentials in URLs', () => {
  it('refuses an endpoint with user:password@, naming the option and the way to give keys', () => {
    expect(() => parseStorageOptions(['endpoint=http://minio:s3cr3tPass@127.0.0.1:9000'])).toThrow(
      /^--storage: endpoint: a URL with credentials \(user:password@\) is refused.*access-key-env=VAR and secret-key-env=VAR$/,
    );
    expect(parseStorageOptions(['endpoint=http://127.0.0.1:9000'])).toEqual({
      endpoint: 'http://127.0.0.1:9000',
    });
  });

  it('refuses credentials and signed queries in a location, without repeating them', () => {
    const cases: [string, RegExp][] = [
      [
        's3://AKIAKEY:s3cr3tPass@photos/raw/',
        /^location 's3:\/\/\*\*\*@photos\/raw\/' carries credentials.*access-key-env=VAR/,
      ],
      ['obs://user:s3cr3tPass@frames/', /^location 'obs:\/\/\*\*\*@frames\/' carries credentials/],
      ['gs://user:s3cr3tPass@bucket1/', /credentials-file=F$/],
      ['az://acct123:s3cr3tPass@acct123/images/', /sas-token-env=VAR/],
      [
        'https://acct123.blob.core.windows.net/images/?sv=2022-11-02&sig=s3cr3tPass',
        /^location 'https:\/\/acct123\.blob\.core\.windows\.net\/images\/\?\*\*\*' carries a query/,
      ],
    ];
    for (const [location, message] of cases) {
      expect(() => parseLocation(location), location).toThrow(message);
      expect(() => parseLocation(location)).not.toThrow(/s3cr3tPass|AKIAKEY/);
    }
  });

  it('stores nothing when ingest is given an endpoint with credentials', async () => {
    const ws = join(tempDir(), '.winnow');
    const refused = await winnow(
      ws,
      'ingest',
      's3://photos/',
      '--dataset',
      'photos',
      '--storage',
      'endpoint=http://minio:s3cr3tPass@127.0.0.1:9',
      '--storage',
      'path-style',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^winnow: --storage: endpoint: a URL with credentials .*\n$/);
    expect(refused.stderr).not.toContain('s3cr3tPass');
    const workspace = await Workspace.open(ws);
    try {
      expect(await workspace.db.all('SELECT options FROM winnow.datasources')).toEqual([]);
    } finally {
      workspace.close();
    }
  });

  it('takes the credentials out of endpoints a workspace before version 7 stored', async () => {
    const dir = join(tempDir(), '.winnow');
    const old = await Workspace.open(dir, { upToVersion: 6 });
    await old.db.run(
      `INSERT INTO winnow.datasources (kind, uri, options) VALUES
         ('s3', 's3://photos/', '{"endpoint":"http://minio:s3cr3tPass@127.0.0.1:9000","pathStyle":true}'),
         ('local', '/work', NULL);
       INSERT INTO winnow.datasets (name, input_datasource_id, work_datasource_id) VALUES ('photos', 1, 2)`,
    );
    old.close();
    const ws = await Workspace.open(dir);
    try {
      expect((await ws.dataset('photos')).input.options).toEqual({
        endpoint: 'http://127.0.0.1:9000',
        pathStyle: true,
      });
      expect(JSON.stringify(await ws.db.all('SELECT options FROM winnow.datasources'))).not.toContain(
        's3cr3t',
      );
    } finally {
      ws.close();
    }
  });
});
