import { afterEach } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { type LocalServer, startServer } from '../src/server/server.js';
import type { Workspace } from '../src/store/workspace.js';
import { COCO128, tempWorkspace } from './helpers.js';

export const IMAGES = `${COCO128}/images`;

const open: { ws: Workspace; server: LocalServer }[] = [];
afterEach(async () => {
  for (const { ws, server } of open.splice(0)) {
    await server.close();
    ws.close();
  }
});

/** A real server over coco128 as dataset `coco`, closed after the test. */
export async function servedCoco(): Promise<{ ws: Workspace; server: LocalServer }> {
  const ws = await tempWorkspace();
  await ingest(ws, IMAGES, { dataset: 'coco' });
  const server = await startServer(ws);
  open.push({ ws, server });
  return { ws, server };
}

/** One request with the token; the answer's status and JSON body. */
export async function request(
  server: LocalServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: the answers' shapes are what the assertions check
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}
