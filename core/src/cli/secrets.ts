import type { DatasetSecrets } from '../storage/open.js';
import { type DatasourceOptions, type Secrets, secretFromEnv } from '../storage/options.js';

/** Each option naming an environment variable, and the secret it holds. */
const SECRET_OF: [keyof DatasourceOptions, keyof Secrets][] = [
  ['accessKeyEnv', 'accessKeyId'],
  ['secretKeyEnv', 'secretAccessKey'],
  ['sessionTokenEnv', 'sessionToken'],
  ['sasTokenEnv', 'sasToken'],
  ['connectionStringEnv', 'connectionString'],
  ['accountKeyEnv', 'accountKey'],
];

/**
 * The secrets that storage options name by environment variable, read in this process: a server
 * started elsewhere (by a kernel) does not have the command's environment, so the command hands
 * them over (POST /api/datasets/:dataset/credentials, held in the server's memory only).
 */
function secretsOf(options: DatasourceOptions | undefined, where: string): Secrets | undefined {
  const entries = SECRET_OF.flatMap(([option, secret]) => {
    const name = options?.[option];
    return typeof name === 'string' ? [[secret, secretFromEnv(name, `${where} ${option}`)]] : [];
  });
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The input's and work location's secrets; the work location takes the input's unless it has its own options. */
export function datasetSecrets(
  storage: DatasourceOptions | undefined,
  workStorage: DatasourceOptions | undefined,
): DatasetSecrets | undefined {
  const input = secretsOf(storage, '--storage');
  const work = workStorage ? secretsOf(workStorage, '--work-storage') : input;
  return input || work ? { input, work } : undefined;
}
