import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { freePort, serverBinary, startServer } from './common.js';
import { type S3Root, s3Root } from './s3-client.js';

const run = promisify(execFile);

/**
 * A real S3 server on loopback: versitygw (Apache-2.0) over a folder (its posix backend: a bucket
 * is a folder, an object a file), with its internal IAM so users other than root have only what a
 * bucket policy grants them. It checks SigV4 signatures, presigned URL expiry and permissions.
 */
export interface S3Server extends S3Root {
  /** The folder that holds the buckets (what was written can be checked there). */
  dataDir: string;
  /** A user that may list and read `bucket`, and nothing else. */
  addReadOnlyUser(bucket: string, accessKeyId: string, secretAccessKey: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startS3Server(
  root = { accessKeyId: 'winnowroot', secretAccessKey: 'winnow-root-secret' },
): Promise<S3Server> {
  const base = mkdtempSync(join(tmpdir(), 'winnow-s3-'));
  const dataDir = join(base, 'data');
  const iamDir = join(base, 'iam');
  mkdirSync(dataDir);
  mkdirSync(iamDir);
  const [port, adminPort] = [await freePort(), await freePort()];
  const binary = serverBinary('versitygw');
  const credentials = ['--access', root.accessKeyId, '--secret', root.secretAccessKey];
  const server = await startServer(
    binary,
    [
      ...credentials,
      '--port',
      `127.0.0.1:${port}`,
      '--admin-port',
      `127.0.0.1:${adminPort}`,
      '--iam-dir',
      iamDir,
      '--quiet',
      'posix',
      dataDir,
    ],
    port,
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const bucketRoot = s3Root(endpoint, root);
  const { client } = bucketRoot;
  return {
    ...bucketRoot,
    dataDir,
    async addReadOnlyUser(bucket, accessKeyId, secretAccessKey) {
      await run(binary, [
        'admin',
        ...credentials,
        '--endpoint-url',
        `http://127.0.0.1:${adminPort}`,
        'create-user',
        '--access',
        accessKeyId,
        '--secret',
        secretAccessKey,
        '--role',
        'user',
      ]);
      const statement = {
        Effect: 'Allow',
        Principal: { AWS: [accessKeyId] },
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      };
      const policy = JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
      await client.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policy }));
    },
    async stop() {
      client.destroy();
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}
