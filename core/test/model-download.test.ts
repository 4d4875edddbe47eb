// Model downloads against a real HTTP server on loopback serving the real shared model files:
// checksums, resuming after a dropped connection, cancelling, offline errors, and the registry
// fetching through WINNOW_MODEL_MIRROR into WINNOW_MODEL_DIR.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadFile } from '../src/embed/download.js';
import {
  BUILTIN_MODELS,
  DEFAULT_MODEL,
  modelConfigSchema,
  resolveModel,
  verifyModelFile,
} from '../src/embed/model.js';
import type { Progress } from '../src/errors.js';
import { REPOSITORY, tempDir } from './helpers.js';

const MODELS = join(REPOSITORY, '../shared/models');
const SQUEEZENET = readFileSync(join(MODELS, 'squeezenet1.1-embed.onnx'));
const SQUEEZENET_SHA = BUILTIN_MODELS['squeezenet1.1']!.sha256!;
const MOBILENET = readFileSync(join(MODELS, 'mobilenetv2-12-int8-embed.onnx'));
const README = readFileSync(join(MODELS, 'README.md'));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Behaviour {
  /** The first request gets this many bytes, then its socket is destroyed. */
  cutAfter?: number;
  /** Answer every request with the whole file (200), as a server without Range support does. */
  ignoreRange?: boolean;
  /** Send 256 KiB every 20 ms, so that a test can act mid-transfer. */
  slow?: boolean;
}

const servers: Server[] = [];
const saved = { dir: process.env.WINNOW_MODEL_DIR, mirror: process.env.WINNOW_MODEL_MIRROR };
afterEach(async () => {
  for (const key of ['WINNOW_MODEL_DIR', 'WINNOW_MODEL_MIRROR'] as const) {
    const value = key === 'WINNOW_MODEL_DIR' ? saved.dir : saved.mirror;
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

/** Serves `files` by URL path on 127.0.0.1 and records each request's path and Range header. */
async function serve(files: Record<string, Buffer>, behaviour: Behaviour = {}) {
  const requests: { path: string; range: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://x').pathname;
    requests.push({ path, range: req.headers.range });
    const body = files[path];
    if (!body) return void res.writeHead(404).end();
    const start = behaviour.ignoreRange
      ? 0
      : Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (start >= body.length && start > 0) return void res.writeHead(416).end();
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': body.length - start,
      ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    const rest = body.subarray(start);
    if (behaviour.cutAfter !== undefined && requests.length === 1) {
      // Flushed first, then the connection dies: the client has exactly `cutAfter` bytes.
      res.write(rest.subarray(0, behaviour.cutAfter), () => res.socket?.destroy());
    } else if (behaviour.slow) {
      const send = (at: number): void => {
        if (res.destroyed) return;
        if (at >= rest.length) return void res.end();
        res.write(rest.subarray(at, at + 256 * 1024), () => setTimeout(() => send(at + 256 * 1024), 20));
      };
      send(0);
    } else {
      res.end(rest);
    }
  });
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, requests };
}

describe('downloadFile', () => {
  it('downloads, checks the sha256, renames into place and reports byte progress up to the total', async () => {
    const { base, requests } = await serve({ '/m.onnx': SQUEEZENET });
    const dest = join(tempDir(), 'sub', 'm.onnx');
    const events: Progress[] = [];
    await downloadFile({
      url: `${base}/m.onnx`,
      dest,
      sha256: SQUEEZENET_SHA,
      onProgress: (p) => events.push(p),
    });
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(requests).toEqual([{ path: '/m.onnx', range: undefined }]);
    expect(events.length).toBeGreaterThan(2);
    for (const [i, e] of events.entries()) {
      expect(e).toMatchObject({ phase: 'download', total: SQUEEZENET.length });
      if (i > 0) expect(e.done).toBeGreaterThan(events[i - 1]!.done);
    }
    expect(events.at(-1)!.done).toBe(SQUEEZENET.length);
  });

  it('refuses a file whose sha256 differs, removes it and leaves no destination file', async () => {
    const { base } = await serve({ '/m.onnx': SQUEEZENET });
    const dir = tempDir();
    const dest = join(dir, 'm.onnx');
    const expected = '0'.repeat(64);
    await expect(downloadFile({ url: `${base}/m.onnx`, dest, sha256: expected })).rejects.toThrow(
      `${base}/m.onnx: sha256: is ${SQUEEZENET_SHA}, expected ${expected}; download refused and removed`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('resumes with a Range request after the connection drops mid-transfer', async () => {
    const { base, requests } = await serve({ '/m.onnx': SQUEEZENET }, { cutAfter: 1_000_000 });
    const dest = join(tempDir(), 'm.onnx');
    await downloadFile({ url: `${base}/m.onnx`, dest, sha256: SQUEEZENET_SHA });
    expect(requests).toHaveLength(2);
    expect(requests[0]).toEqual({ path: '/m.onnx', range: undefined });
    // What arrived before the drop (undici may lose its last buffered chunk) is not fetched again.
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(requests[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(1_000_000);
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
  });

  it('keeps the .part of a failed try, and a later call resumes it', async () => {
    const { base, requests } = await serve({ '/m.onnx': SQUEEZENET }, { cutAfter: 2_000_000 });
    const dest = join(tempDir(), 'm.onnx');
    const url = `${base}/m.onnx`;
    await expect(downloadFile({ url, dest, sha256: SQUEEZENET_SHA, retries: 0 })).rejects.toThrow(
      `cannot download ${url} (`,
    );
    const kept = statSync(`${dest}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(2_000_000);
    expect(existsSync(dest)).toBe(false);
    const events: Progress[] = [];
    await downloadFile({ url, dest, sha256: SQUEEZENET_SHA, onProgress: (p) => events.push(p) });
    expect(requests.map((r) => r.range)).toEqual([undefined, `bytes=${kept}-`]);
    expect(events[0]).toEqual({ phase: 'download', done: kept, total: SQUEEZENET.length });
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
  });

  it('starts over when the server answers a Range request with the whole file', async () => {
    const { base, requests } = await serve({ '/m.onnx': SQUEEZENET }, { ignoreRange: true });
    const dest = join(tempDir(), 'm.onnx');
    writeFileSync(`${dest}.part`, Buffer.alloc(300_000, 7));
    await downloadFile({ url: `${base}/m.onnx`, dest, sha256: SQUEEZENET_SHA });
    expect(requests.map((r) => r.range)).toEqual(['bytes=300000-']);
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
  });

  it('verifies a .part that is already whole (416) instead of fetching it again', async () => {
    const { base } = await serve({ '/m.onnx': SQUEEZENET });
    const dest = join(tempDir(), 'm.onnx');
    writeFileSync(`${dest}.part`, SQUEEZENET);
    await downloadFile({ url: `${base}/m.onnx`, dest, sha256: SQUEEZENET_SHA });
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
  });

  it('stops when cancelled, keeping the .part for the next try', async () => {
    const { base, requests } = await serve({ '/m.onnx': SQUEEZENET }, { slow: true });
    const dest = join(tempDir(), 'm.onnx');
    const controller = new AbortController();
    const onProgress = (p: Progress) => {
      if (p.done > 0) controller.abort();
    };
    await expect(
      downloadFile({
        url: `${base}/m.onnx`,
        dest,
        sha256: SQUEEZENET_SHA,
        signal: controller.signal,
        onProgress,
      }),
    ).rejects.toThrow(/^cancelled$/);
    const kept = statSync(`${dest}.part`).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(SQUEEZENET.length);
    expect(existsSync(dest)).toBe(false);
    await downloadFile({ url: `${base}/m.onnx`, dest, sha256: SQUEEZENET_SHA });
    expect(requests.at(-1)!.range).toBe(`bytes=${kept}-`);
    expect(readFileSync(dest).equals(SQUEEZENET)).toBe(true);
  });

  it('says which file to put where when the server cannot be reached', async () => {
    const { base } = await serve({});
    await new Promise((done) => servers.pop()!.close(done));
    const dir = tempDir();
    const dest = join(dir, 'squeezenet1.1-embed.onnx');
    const url = `${base}/squeezenet1.1-embed.onnx`;
    const error = await downloadFile({ url, dest, sha256: SQUEEZENET_SHA }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^cannot download ${url} \\([^)]*ECONNREFUSED[^)]*\\); put squeezenet1.1-embed.onnx at ${dir}/squeezenet1.1-embed.onnx \\(or set WINNOW_MODEL_DIR to a folder holding it\\)$`,
      ),
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names the HTTP status of a refused request', async () => {
    const { base, requests } = await serve({});
    const dest = join(tempDir(), 'm.onnx');
    await expect(downloadFile({ url: `${base}/m.onnx`, dest, sha256: SQUEEZENET_SHA })).rejects.toThrow(
      `cannot download ${base}/m.onnx (HTTP 404 Not Found); put m.onnx at ${dest}`,
    );
    expect(requests).toHaveLength(1);
  });
});

describe('the model registry', () => {
  it('defaults to a CLIP model whose files are pinned hub URLs with checksums, text tower included', () => {
    const clip = BUILTIN_MODELS[DEFAULT_MODEL]!;
    expect(clip.text).toBeDefined();
    const pinned = /^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+\/resolve\/[0-9a-f]{40}\/[\w./-]+$/;
    for (const file of [clip, clip.text!, clip.text!.tokenizer]) {
      expect(file.url).toMatch(pinned);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(clip.text).toMatchObject({ input: 'input_ids', output: 'text_embeds', contextLength: 77 });
    expect(BUILTIN_MODELS['squeezenet1.1']!.url).toBeUndefined();
    expect(BUILTIN_MODELS['mobilenetv2-int8']!.url).toBeUndefined();
  });

  it('fetches a missing entry through WINNOW_MODEL_MIRROR into WINNOW_MODEL_DIR, then loads it', async () => {
    const hub = 'https://huggingface.co/winnow/test/resolve/0123456789abcdef0123456789abcdef01234567';
    const { base, requests } = await serve({
      '/winnow/test/resolve/0123456789abcdef0123456789abcdef01234567/image.onnx': SQUEEZENET,
      '/winnow/test/resolve/0123456789abcdef0123456789abcdef01234567/text.onnx': MOBILENET,
      '/winnow/test/resolve/0123456789abcdef0123456789abcdef01234567/tokenizer.json': README,
    });
    process.env.WINNOW_MODEL_MIRROR = `${base}/`;
    process.env.WINNOW_MODEL_DIR = tempDir();
    BUILTIN_MODELS['mirrored-test'] = modelConfigSchema.parse({
      ...BUILTIN_MODELS['squeezenet1.1'],
      file: 'mirrored-image.onnx',
      url: `${hub}/image.onnx`,
      text: {
        file: 'mirrored-text.onnx',
        url: `${hub}/text.onnx`,
        sha256: BUILTIN_MODELS['mobilenetv2-int8']!.sha256,
        tokenizer: { file: 'mirrored-tokenizer.json', url: `${hub}/tokenizer.json`, sha256: sha256(README) },
      },
    });
    try {
      const phases = new Set<string>();
      const spec = await resolveModel('mirrored-test', { onProgress: (p) => phases.add(p.phase) });
      const dir = process.env.WINNOW_MODEL_DIR;
      expect(spec.path).toBe(join(dir, 'mirrored-image.onnx'));
      expect(spec.text).toEqual({
        path: join(dir, 'mirrored-text.onnx'),
        tokenizer: join(dir, 'mirrored-tokenizer.json'),
      });
      expect(readdirSync(dir).sort()).toEqual([
        'mirrored-image.onnx',
        'mirrored-text.onnx',
        'mirrored-tokenizer.json',
      ]);
      expect(readFileSync(spec.text!.path).equals(MOBILENET)).toBe(true);
      expect([...phases]).toEqual([
        'download mirrored-image.onnx',
        'download mirrored-text.onnx',
        'download mirrored-tokenizer.json',
      ]);
      await verifyModelFile(spec);
      // Present files are not fetched again.
      await resolveModel('mirrored-test');
      expect(requests).toHaveLength(3);
    } finally {
      delete BUILTIN_MODELS['mirrored-test'];
    }
  });

  it('fetches the default CLIP from its pinned path on the mirror and names the file to put in place', async () => {
    const { base, requests } = await serve({});
    process.env.WINNOW_MODEL_MIRROR = base;
    process.env.WINNOW_MODEL_DIR = tempDir();
    const clip = BUILTIN_MODELS[DEFAULT_MODEL]!;
    const url = clip.url!.replace('https://huggingface.co', base);
    await expect(resolveModel(DEFAULT_MODEL)).rejects.toThrow(
      `cannot download ${url} (HTTP 404 Not Found); put ${clip.file} at ${join(process.env.WINNOW_MODEL_DIR, clip.file)} (or set WINNOW_MODEL_DIR to a folder holding it)`,
    );
    expect(requests.map((r) => r.path)).toEqual([new URL(clip.url!).pathname]);
  });

  it('leaves the offline entries to the user: nothing is fetched, the error says where to put them', async () => {
    process.env.WINNOW_MODEL_DIR = tempDir();
    const spec = await resolveModel('squeezenet1.1');
    await expect(verifyModelFile(spec)).rejects.toThrow('put squeezenet1.1-embed.onnx there');
  });

  it('refuses a config file with a url but no sha256, naming the field', async () => {
    const dir = tempDir();
    const file = join(dir, 'model.yaml');
    writeFileSync(
      file,
      'file: m.onnx\nurl: https://huggingface.co/a/b/resolve/main/m.onnx\ninput: x\noutput: y\nsize: 224\n',
    );
    await expect(resolveModel(file)).rejects.toThrow(
      'model.yaml: sha256: a file with a url needs its sha256',
    );
  });
});
