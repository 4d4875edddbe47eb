import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { freePort, serverBinary, startServer } from './common.js';
import { type S3Root, s3Root } from './s3-client.js';

const run = promisify(execFile);

/**
 * A real MinIO server (AGPL-3.0, run as a separate program) on loopback, over a folder, with its
 * `mc` client to make users: what the S3 tests need beyond versitygw, chiefly STS (AssumeRole
 * at the store's own endpoint) and users whose rights come from IAM policies.
 */
export interface MinioServer extends S3Root {
  /** The folder MinIO keeps its data and configuration in. */
  dataDir: string;
  /** A user who may list and read every bucket (`read`), or also write and delete in them (`readwrite`). */
  addUser(accessKeyId: string, secretAccessKey: string, rights: 'read' | 'readwrite'): Promise<void>;
  stop(): Promise<void>;
}

export async function startMinio(
  root = { accessKeyId: 'winnowminioroot', secretAccessKey: 'winnow-minio-root-secret' },
): Promise<MinioServer> {
  const base = mkdtempSync(join(tmpdir(), 'winnow-minio-'));
  const dataDir = join(base, 'data');
  const mcConfig = join(base, 'mc');
  mkdirSync(dataDir);
  mkdirSync(mcConfig);
  const [port, consolePort] = [await freePort(), await freePort()];
  const server = await startServer(
    serverBinary('minio'),
    [
      'server',
      dataDir,
      '--quiet',
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
    ],
    port,
    {
      MINIO_ROOT_USER: root.accessKeyId,
      MINIO_ROOT_PASSWORD: root.secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
      // No phone-home of any kind from the test server.
      MINIO_CALLHOME_ENABLE: 'off',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const bucketRoot = s3Root(endpoint, root);
  const { client } = bucketRoot;
  // mc takes its alias from the environment: no configuration file holds the root's keys.
  const mcEnv = {
    ...process.env,
    MC_CONFIG_DIR: mcConfig,
    MC_HOST_test: `http://${root.accessKeyId}:${root.secretAccessKey}@127.0.0.1:${port}`,
  };
  const mc = (...args: string[]) =>
    run(serverBinary('mc'), ['--quiet', '--no-color', ...args], { env: mcEnv });
  await waitUntilReady(client);
  return {
    ...bucketRoot,
    dataDir,
    async addUser(accessKeyId, secretAccessKey, rights) {
      await mc('admin', 'user', 'add', 'test', accessKeyId, secretAccessKey);
      // MinIO's built-in `readonly` grants GetObject without ListBucket: not what a reader has.
      const policy = rights === 'read' ? 'winnow-list-read' : 'readwrite';
      if (rights === 'read') {
        const file = join(base, `${policy}.json`);
        writeFileSync(file, JSON.stringify(LIST_READ));
        await mc('admin', 'policy', 'create', 'test', policy, file).catch((error: { stderr?: string }) => {
          if (!error.stderr?.includes('already')) throw error;
        });
      }
      await mc('admin', 'policy', 'attach', 'test', policy, '--user', accessKeyId);
    },
    async stop() {
      client.destroy();
      await server.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

const LIST_READ = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:GetObject'],
      Resource: ['arn:aws:s3:::*'],
    },
  ],
};

/** MinIO listens before its object layer is up (it answers 503 until then). */
async function waitUntilReady(client: S3Client): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'winnow-ready-probe' }));
      return;
    } catch (error) {
      if (tries >= 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
