import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serverBinary, startServer } from './common.js';

/**
 * A fake-gcs-server on loopback over plain HTTP, keeping objects in a fresh folder. Its public
 * and external URLs are its own address, so download and upload links it hands out (and
 * path-style signed URLs) lead back to it rather than to storage.googleapis.com.
 */
export async function startFakeGcs(): Promise<{ endpoint: string; stop(): Promise<void> }> {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), 'winnow-fake-gcs-'));
  const address = `127.0.0.1:${port}`;
  const server = await startServer(
    serverBinary('fake-gcs-server'),
    [
      '-scheme',
      'http',
      '-host',
      '127.0.0.1',
      '-port',
      String(port),
      '-backend',
      'filesystem',
      '-filesystem-root',
      root,
      '-public-host',
      address,
      '-external-url',
      `http://${address}`,
      '-log-level',
      'warn',
    ],
    port,
  );
  return {
    endpoint: `http://${address}`,
    async stop() {
      await server.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
