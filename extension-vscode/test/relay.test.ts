// The panel's transport: the webview's requests relayed by the extension host to a real server
// (here started in this process over a real DuckDB workspace), the answers' bytes sent back as
// they came. postMessage is stood in for by structuredClone, the algorithm it copies messages
// with; the real webview and VS Code are driven by the code-server end-to-end test.
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalServer, startServer } from '../../core/src/server/server.js';
import { Workspace } from '../../core/src/store/workspace.js';
import { fillSynthetic } from '../../scripts/lib/synthetic.mjs';
import { Api } from '../../widgets/src/api.js';
import type { FromWebview } from '../src/panel/messages.js';
import { relayViewRequest } from '../src/panel/relay.js';
import { PostMessageTransport } from '../src/webview/post-message-transport.js';

const POINTS = 100_000;
let ws: Workspace;
let server: LocalServer;
/** The test's folder (workspace, images): for all its tests, removed after them. */
const root = mkdtempSync(join(tmpdir(), 'winnow-relay-'));

beforeAll(async () => {
  ws = await Workspace.open(join(root, '.winnow'));
  const images = join(root, 'images');
  mkdirSync(images);
  await fillSynthetic(ws, await ws.createDataset('synthetic', { kind: 'local', uri: images }), POINTS);
  server = await startServer(ws);
});

afterAll(async () => {
  await server?.close();
  ws?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The webview's transport, its messages relayed as the panel relays them (panel-provider.ts). */
function panelTransport(to: Pick<LocalServer, 'url' | 'token'> = server): PostMessageTransport {
  const transport: PostMessageTransport = new PostMessageTransport((sent: FromWebview) => {
    const message = structuredClone(sent);
    if (message.type !== 'request') return;
    void relayViewRequest(to, message).then((answer) =>
      transport.receive(structuredClone({ type: 'response', id: message.id, ...answer })),
    );
  });
  return transport;
}

describe("the panel's transport", () => {
  it("carries the scatter's points as Arrow bytes: about 12 bytes a point over postMessage", async () => {
    const answer = await relayViewRequest(server, { method: 'GET', path: '/api/datasets/synthetic/points' });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toContain('arrow');
    const bytesPerPoint = answer.body.byteLength / POINTS;
    console.log(
      `points over postMessage: ${answer.body.byteLength} bytes for ${POINTS} points, ${bytesPerPoint.toFixed(2)} bytes/point`,
    );
    // sample_id int32, x and y float32, and Arrow's framing.
    expect(bytesPerPoint).toBeGreaterThanOrEqual(12);
    expect(bytesPerPoint).toBeLessThan(12.1);

    const table = await new Api(panelTransport()).points('synthetic');
    expect(table.numRows).toBe(POINTS);
    expect(tableFromIPC(answer.body).getChild('sample_id')?.get(0)).toBe(table.getChild('sample_id')?.get(0));
  });

  it("a view's long poll of the live selection holds up none of its other requests", async () => {
    const transport = panelTransport();
    const api = new Api(transport);
    const { version } = await api.selection('synthetic');
    let polled = false;
    const poll = api.selection('synthetic', version).then((answer) => {
      polled = true;
      return answer;
    });
    // Answered while the poll still waits at the server for a change.
    const page = await transport.request({ method: 'GET', path: '/api/datasets/synthetic/samples?limit=3' });
    expect(page.status).toBe(200);
    expect(JSON.parse(new TextDecoder().decode(page.body)).samples).toHaveLength(3);
    expect(polled).toBe(false);
    // Another client (a notebook) selects: the waiting poll brings it.
    await api.setSelection('synthetic', [3, 1, 2], 'notebook');
    const changed = await poll;
    expect(changed.sample_ids).toEqual([1, 2, 3]);
    expect(changed.source).toBe('notebook');
  });

  it('refuses what the views never ask, in the answer form of the server, before reaching it', async () => {
    const { url, token, received } = await recordingServer();
    const refused = async (method: string, path: string, body?: unknown) => {
      const answer = await relayViewRequest({ url, token }, { method, path, body });
      return { status: answer.status, ...JSON.parse(new TextDecoder().decode(answer.body)).error };
    };
    expect(await refused('GET', '/api/datasets/coco/runs')).toEqual({
      status: 403,
      code: 'permission_denied',
      message: 'GET /api/datasets/coco/runs is not a request the views make: the extension does not relay it',
    });
    expect(
      await refused('POST', '/api/jobs', { kind: 'ingest', dataset: 'x', location: '/etc' }),
    ).toMatchObject({
      status: 403,
      message: 'the views start select jobs only, not "ingest"',
    });
    expect(await refused('POST', '/api/datasets/coco/credentials', {})).toMatchObject({ status: 403 });
    expect(await refused('GET', '/api/datasets/coco/%2e%2e/samples')).toMatchObject({
      status: 400,
      message: 'the path has a . or .. segment',
    });
    expect(await refused('GET', '/etc/passwd')).toMatchObject({ status: 400, code: 'invalid_argument' });
    expect(await refused('CONNECT', '/api/jobs')).toMatchObject({ status: 400 });
    expect(await refused('GET', '/api/datasets/coco/samples?where=1 OR 1')).toMatchObject({
      message: 'the path has a space or a control character',
    });
    expect(received).toEqual([]);
  });

  it('sends what it relays with the token and the view-origin header, which the webview never sets', async () => {
    const { url, token, received } = await recordingServer();
    const answer = await relayViewRequest(
      { url, token },
      { method: 'PUT', path: '/api/datasets/coco/selection', body: { sample_ids: [1], source: 'scatter' } },
    );
    expect(answer.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'PUT',
      url: '/api/datasets/coco/selection',
      headers: {
        authorization: `Bearer ${token}`,
        'x-winnow-origin': 'view',
        'content-type': 'application/json',
      },
      body: '{"sample_ids":[1],"source":"scatter"}',
    });
  });
});

/**
 * A loopback server that records what reaches it and answers `{}`: it shows what the relay
 * sends (headers, token), which the real server does not echo.
 */
async function recordingServer() {
  const received: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const recorder = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    received.push({ method: request.method, url: request.url, headers: request.headers, body });
    response.setHeader('content-type', 'application/json');
    response.end('{}');
  });
  recorder.listen(0, '127.0.0.1');
  await once(recorder, 'listening');
  afterAll(() => void recorder.close());
  const { port } = recorder.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, token: 'recorded-token', received };
}
