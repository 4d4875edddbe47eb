import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** What the tests do to an S3 test server as its root user: make buckets and put objects. */
export interface S3Root {
  endpoint: string;
  root: { accessKeyId: string; secretAccessKey: string };
  client: S3Client;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Uint8Array | string): Promise<void>;
}

/** The root's client of an S3 server on loopback (path-style, as test servers want). */
export function s3Root(endpoint: string, root: S3Root['root']): S3Root {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: root });
  return {
    endpoint,
    root,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}
