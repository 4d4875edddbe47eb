import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, with both bodies as text. */
export interface Exchange {
  method: string;
  url: string;
  requestBody: string;
  status: number;
  responseBody: string;
}

/**
 * A plain HTTP proxy on loopback in front of a test server, keeping every exchange: what a client
 * sent (an STS form with its ExternalId) and what it got back (the temporary keys), for a test to
 * check. It forwards the Host header unchanged, so SigV4 signatures made for the proxy's address
 * still verify at the server.
 */
export async function startRecordingProxy(
  target: string,
): Promise<{ endpoint: string; exchanges: Exchange[]; stop: () => Promise<void> }> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const forwarded = request(
        {
          hostname: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            const answerBody = Buffer.concat(answerChunks);
            exchanges.push({
              method: incoming.method ?? '',
              url: incoming.url ?? '',
              requestBody: body.toString('utf8'),
              status: answer.statusCode ?? 0,
              responseBody: answerBody.toString('utf8'),
            });
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            outgoing.end(answerBody);
          });
        },
      );
      forwarded.on('error', (error) => outgoing.destroy(error));
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    exchanges,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
