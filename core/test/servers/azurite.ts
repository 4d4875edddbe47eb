import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY } from '../helpers.js';
import { freePort, startServer } from './common.js';

/** Azurite's built-in account: its key is published in Azure's documentation, not a secret. */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** Azurite's blob service, the root devDependency. */
const AZURITE_BLOB = join(REPOSITORY, 'node_modules/azurite/dist/src/blob/main.js');

export interface Azurite {
  /** The service URL, path-style: `http://127.0.0.1:PORT/devstoreaccount1`. */
  endpoint: string;
  account: typeof ACCOUNT;
  accountKey: string;
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Azurite's blob service on a free loopback port, its data in a fresh folder removed on stop.
 * Strict mode (no --loose), so that credentials and SAS permissions are checked as Azure does;
 * the API version check is skipped because the SDK may be newer than Azurite.
 */
export async function startAzurite(): Promise<Azurite> {
  const port = await freePort();
  const location = mkdtempSync(join(tmpdir(), 'winnow-azurite-'));
  const args = [AZURITE_BLOB, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location];
  const flags = ['--skipApiVersionCheck', '--disableTelemetry', '--silent'];
  try {
    const server = await startServer(process.execPath, [...args, ...flags], port);
    const endpoint = `http://127.0.0.1:${port}/${ACCOUNT}`;
    return {
      endpoint,
      account: ACCOUNT,
      accountKey: ACCOUNT_KEY,
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${endpoint};`,
      stop: async () => {
        await server.stop();
        rmSync(location, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(location, { recursive: true, force: true });
    throw error;
  }
}
