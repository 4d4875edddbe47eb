import { z } from 'zod';
import { WinnowError } from '../errors.js';

/**
 * How to reach a datasource, as stored with it in the workspace. It holds references only
 * (environment variable names, a profile name, a credentials file's path), never a secret:
 * the secrets are read when the storage is opened, or handed over in memory (`Secrets`).
 */
export const DatasourceOptions = z
  .object({
    /** S3-compatible (OBS, MinIO…), Azurite or a GCS emulator: the service's URL. */
    endpoint: z
      .url()
      .refine((url) => !hasUserInfo(url), {
        message:
          'a URL with credentials (user:password@) is refused, since options are stored in the workspace: ' +
          'give the URL without them and the keys as access-key-env=VAR and secret-key-env=VAR',
      })
      .optional(),
    region: z.string().min(1).optional(),
    /** S3: address buckets as `endpoint/bucket` instead of `bucket.endpoint` (MinIO, most S3-compatible stores). */
    pathStyle: z.boolean().optional(),
    /** S3: a profile of ~/.aws/config and ~/.aws/credentials. */
    profile: z.string().min(1).optional(),
    /** S3: the keys come from these environment variables (else the default AWS credential chain). */
    accessKeyEnv: z.string().min(1).optional(),
    secretKeyEnv: z.string().min(1).optional(),
    sessionTokenEnv: z.string().min(1).optional(),
    /** S3: delegated access, a role assumed with the credentials above. */
    roleArn: z.string().startsWith('arn:').optional(),
    externalId: z.string().min(1).optional(),
    /** S3: where the role is assumed (STS), when not at the store's own endpoint. */
    stsEndpoint: z
      .url()
      .refine((url) => !hasUserInfo(url), { message: 'a URL with credentials (user:password@) is refused' })
      .optional(),
    /** GCS: a service account's JSON key file (else application default credentials). */
    credentialsFile: z.string().min(1).optional(),
    projectId: z.string().min(1).optional(),
    /** Azure: a SAS token, a connection string or an account key, from these environment variables (else the default Azure credential). */
    sasTokenEnv: z.string().min(1).optional(),
    connectionStringEnv: z.string().min(1).optional(),
    accountKeyEnv: z.string().min(1).optional(),
  })
  .strict();
export type DatasourceOptions = z.infer<typeof DatasourceOptions>;

/** Whether a URL carries a user name or password (`http://user:password@host`). */
export function hasUserInfo(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** Credentials handed over in memory (by the local server for its lifetime): never stored. */
export interface Secrets {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  sasToken?: string;
  connectionString?: string;
  accountKey?: string;
  /** GCS: a service account's JSON key, as text. */
  serviceAccount?: string;
}

const KEYS: Record<string, keyof DatasourceOptions> = {
  endpoint: 'endpoint',
  region: 'region',
  'path-style': 'pathStyle',
  profile: 'profile',
  'access-key-env': 'accessKeyEnv',
  'secret-key-env': 'secretKeyEnv',
  'session-token-env': 'sessionTokenEnv',
  'role-arn': 'roleArn',
  'external-id': 'externalId',
  'sts-endpoint': 'stsEndpoint',
  'credentials-file': 'credentialsFile',
  'project-id': 'projectId',
  'sas-token-env': 'sasTokenEnv',
  'connection-string-env': 'connectionStringEnv',
  'account-key-env': 'accountKeyEnv',
};

/** Keys that would put a secret on a command line (and in shell history): refused, with the way to do it. */
const SECRET_KEYS = new Set([
  'access-key',
  'secret-key',
  'session-token',
  'sas-token',
  'connection-string',
  'account-key',
]);

/**
 * Options written `key=value` on a command line (`--storage endpoint=http://… --storage path-style`),
 * checked: an unknown key, a bad value or a secret given directly is a one-line error naming it.
 */
export function parseStorageOptions(pairs: readonly string[], flag = '--storage'): DatasourceOptions {
  const raw: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at < 0 ? pair : pair.slice(0, at);
    const value = at < 0 ? 'true' : pair.slice(at + 1);
    if (SECRET_KEYS.has(key)) {
      throw new WinnowError(
        'invalid_argument',
        `${flag} ${key}: secrets are never taken on the command line or stored; name the environment variable that holds it (${key}-env=NAME)`,
      );
    }
    const field = KEYS[key];
    if (!field) {
      throw new WinnowError(
        'invalid_argument',
        `${flag} ${key}: unknown storage option (known: ${Object.keys(KEYS).join(', ')})`,
      );
    }
    raw[field] = field === 'pathStyle' ? value !== 'false' : value;
  }
  return checkOptions(raw, flag);
}

/** Options read back from the workspace or given through the API, checked. */
export function checkOptions(raw: unknown, where = 'storage options'): DatasourceOptions {
  const parsed = DatasourceOptions.safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const field = issue?.path.join('.') || 'options';
  throw new WinnowError('invalid_argument', `${where}: ${field}: ${issue?.message ?? 'invalid'}`);
}

/** The value of a named environment variable, or a one-line error naming the variable (never its value). */
export function secretFromEnv(name: string, what: string): string {
  const value = process.env[name];
  if (!value) throw new WinnowError('unauthenticated', `${what}: environment variable ${name} is not set`);
  return value;
}
