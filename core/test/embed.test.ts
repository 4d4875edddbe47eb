// The embedding core on the real ImageNet CNNs in ../shared/models: model configs and their
// errors, the checksum guard, and real embeddings of coco128 photos.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { imageDecodes } from '@winnow-curate/native';
import { encode as encodeBmp } from 'bmp-ts';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageEmbedder } from '../src/embed/embedder.js';
import { extractFrames } from '../src/embed/frames.js';
import { BUILTIN_MODELS, modelConfigSchema, resolveModel } from '../src/embed/model.js';
import { imageTensor } from '../src/embed/preprocess.js';
import { embedDataset } from '../src/embed/run.js';
import { ingest } from '../src/ingest/index.js';
import { Labels } from '../src/labels/labels.js';
import { Workspace } from '../src/store/workspace.js';
import { BOMBS, rle8Bomb, topDownBmp, writeBombs } from './bombs.mjs';
import { COCO128, REPOSITORY, tempDir, tempWorkspace, testVideo, winnow } from './helpers.js';

const MODELS = join(REPOSITORY, '../shared/models');
const savedDir = process.env.WINNOW_MODEL_DIR;
afterEach(() => {
  if (savedDir === undefined) delete process.env.WINNOW_MODEL_DIR;
  else process.env.WINNOW_MODEL_DIR = savedDir;
});

function cosine(rows: Float32Array, dim: number, a: number, b: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += rows[a * dim + j]! * rows[b * dim + j]!;
  return s;
}

describe('model configs', () => {
  it('names the bad field of a user config file', async () => {
    const dir = tempDir();
    const file = join(dir, 'model.yaml');
    writeFileSync(file, 'file: m.onnx\ninput: x\noutput: y\nsize: 224\nstd: [0.2, 0, 0.2]\n');
    await expect(resolveModel(file)).rejects.toThrow('model.yaml: std[1]: Too small');
    writeFileSync(file, 'file: m.onnx\ninput: x\noutput: y\nsize: 224\nlayout: chw\n');
    await expect(resolveModel(file)).rejects.toThrow(/^model\.yaml: layout: /);
  });

  it('says where a missing model file goes, and refuses a file whose sha256 differs', async () => {
    process.env.WINNOW_MODEL_DIR = tempDir();
    const missing = await resolveModel('squeezenet1.1');
    await expect(ImageEmbedder.open(missing)).rejects.toThrow(
      `put squeezenet1.1-embed.onnx there (or set WINNOW_MODEL_DIR to its folder)`,
    );
    writeFileSync(join(process.env.WINNOW_MODEL_DIR, 'squeezenet1.1-embed.onnx'), 'not a model');
    await expect(ImageEmbedder.open(missing)).rejects.toThrow(/sha256: is [0-9a-f]{64}, expected 7a38378f/);
  });

  it('rejects an unknown model name with the built-in ones listed', async () => {
    await expect(resolveModel('clip')).rejects.toThrow(
      `unknown model 'clip' (built in: ${Object.keys(BUILTIN_MODELS).join(', ')}; or give a model config file)`,
    );
  });

  it('lays out a tensor per the config: channel order, range, mean and std, layout', async () => {
    const red = await sharp({
      create: { width: 4, height: 2, channels: 3, background: { r: 255, g: 0, b: 0 } },
    })
      .png()
      .toBuffer();
    const base = { file: 'm.onnx', input: 'x', output: 'y', size: [2, 1] };
    const rgb = await imageTensor(red, modelConfigSchema.parse(base));
    expect([...rgb]).toEqual([1, 1, 0, 0, 0, 0]);
    const bgr = await imageTensor(
      red,
      modelConfigSchema.parse({ ...base, channels: 'bgr', range: '0-255', mean: [1, 2, 5], layout: 'nhwc' }),
    );
    expect([...bgr]).toEqual([-1, -2, 250, -1, -2, 250]);
  });
});

describe('enlarging small pictures', () => {
  const redBlue = () =>
    sharp(Buffer.from([255, 0, 0, 0, 0, 255]), { raw: { width: 2, height: 1, channels: 3 } })
      .png()
      .toBuffer();
  const base = { file: 'm.onnx', input: 'x', output: 'y' };
  /** Resampled pixels are 8-bit again before they become values (as in PIL): within 1/255. */
  const expectNear = (values: Float32Array<ArrayBufferLike>, expected: number[], step = 1 / 255) => {
    expect(values.length).toBe(expected.length);
    for (const [i, value] of values.entries())
      expect(Math.abs(value - expected[i]!), `value ${i}`).toBeLessThanOrEqual(step);
  };

  it('samples bilinearly with pixel centres aligned', async () => {
    const tensor = await imageTensor(await redBlue(), modelConfigSchema.parse({ ...base, size: [4, 1] }));
    expectNear(tensor.subarray(0, 4), [1, 0.75, 0.25, 0]);
    expectNear(tensor.subarray(8, 12), [0, 0.25, 0.75, 1]);
  });

  it('pads on black and crops the centre', async () => {
    const padded = await imageTensor(
      await redBlue(),
      modelConfigSchema.parse({ ...base, size: 4, resize: 'pad', mean: [0.5, 0.5, 0.5] }),
    );
    expect([...padded.subarray(0, 4)]).toEqual([-0.5, -0.5, -0.5, -0.5]);
    expectNear(padded.subarray(4, 8), [0.5, 0.25, -0.25, -0.5]);
    expect([...padded.subarray(12, 16)]).toEqual([-0.5, -0.5, -0.5, -0.5]);
    const cropped = await imageTensor(
      await redBlue(),
      modelConfigSchema.parse({ ...base, size: 2, resize: 'crop' }),
    );
    expectNear(cropped.subarray(0, 4), [0.75, 0.25, 0.75, 0.25]);
  });

  it('agrees with sharp enlarging a real 32 × 32 photo', async () => {
    const dir = tempDir();
    execFileSync('tar', [
      '-xzf',
      join(REPOSITORY, '../shared/datasets/cifar10-test.tar.gz'),
      '-C',
      dir,
      'test/cat/0000.jpg',
    ]);
    const photo = join(dir, 'test/cat/0000.jpg');
    const config = modelConfigSchema.parse({ ...base, size: 224, range: '0-255' });
    const ours = await imageTensor(photo, config);
    const theirs = await sharp(photo).resize(224, 224, { fit: 'fill', kernel: 'linear' }).raw().toBuffer();
    let diff = 0;
    for (let p = 0; p < 224 * 224; p++) diff += Math.abs(ours[p]! - theirs[p * 3]!);
    expect(diff / (224 * 224)).toBeLessThan(2);
  });
});

describe('embedding coco128 photos with the shared models', () => {
  // The offline entries: the CLIP ones are downloaded, which these machines cannot do.
  for (const name of ['squeezenet1.1', 'mobilenetv2-int8']) {
    it(`${name}: a flipped, recompressed copy of a photo is that photo's nearest neighbour`, async () => {
      process.env.WINNOW_MODEL_DIR = MODELS;
      const embedder = await ImageEmbedder.open(await resolveModel(name));
      const photos = readdirSync(join(COCO128, 'images'))
        .sort()
        .slice(0, 24)
        .map((f) => join(COCO128, 'images', f));
      const dir = tempDir();
      mkdirSync(join(dir, 'copy'));
      const copy = join(dir, 'copy', 'flipped.jpg');
      await sharp(photos[5]!).flop().jpeg({ quality: 60 }).toFile(copy);
      const { dim, rows } = await embedder.embedImages([...photos, copy]);
      await embedder.close();
      expect(dim).toBe(name === 'squeezenet1.1' ? 512 : 1280);
      expect(rows.length).toBe((photos.length + 1) * dim);
      expect(cosine(rows, dim, 0, 0)).toBeCloseTo(1, 5);
      const q = photos.length;
      const scores = photos.map((_, i) => cosine(rows, dim, q, i));
      expect(scores.indexOf(Math.max(...scores))).toBe(5);
      expect(scores[5]).toBeGreaterThan(0.85);
    });
  }
});

describe('winnow embed', () => {
  it('embeds the 128 coco128 photos with thumbnails; a re-run embeds none', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const args = ['embed', '--dataset', 'coco', '--model', 'mobilenetv2-int8', '--json'];
    const first = await winnow(ws, ...args);
    // Without a GPU, device auto says in one line why it runs on the CPU.
    expect(first.stderr).toMatch(/^(winnow: device auto: using the CPU \(cuda: .+; webgpu: .+\)\n)?$/);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      model: 'mobilenetv2-int8',
      dim: 1280,
      embedded: 128,
      skipped: 0,
      corrupt: [],
    });
    expect(summary.thumbnails).toBe(join(dir, '.winnow', 'thumbnails'));
    const thumbs = readdirSync(summary.thumbnails);
    expect(thumbs).toHaveLength(128);
    const meta = await sharp(join(summary.thumbnails, thumbs[0]!)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(256);
    const again = JSON.parse((await winnow(ws, ...args)).stdout);
    expect(again).toMatchObject({ embedded: 0, skipped: 128 });
    const stored = await winnow(
      ws,
      'query',
      '--dataset',
      'coco',
      '--sql',
      'SELECT model, dim FROM embedding_models',
      '--json',
    );
    expect(JSON.parse(stored.stdout).rows).toEqual([{ model: 'mobilenetv2-int8', dim: 1280 }]);
  });

  it('names the model file that is missing', async () => {
    process.env.WINNOW_MODEL_DIR = tempDir();
    const dir = tempDir();
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const out = await winnow(ws, 'embed', '--dataset', 'coco', '--model', 'squeezenet1.1');
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('put squeezenet1.1-embed.onnx there');
  });
});

describe('winnow demo', () => {
  it('indexes coco128, embeds it with the shared MobileNetV2 and prints the most similar pairs', async () => {
    delete process.env.WINNOW_MODEL_DIR;
    const ws = join(tempDir(), '.winnow');
    const first = await winnow(ws, 'demo');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('embedded 128 images with mobilenetv2-int8 on cpu (0 already done)');
    const pairs = first.stdout.split('most similar pairs')[1]!.trim().split('\n').slice(3);
    expect(pairs).toHaveLength(5);
    for (const row of pairs) expect(row).toMatch(/^\d{12}\.jpg\s+\d{12}\.jpg\s+0\.\d+$/);
    expect((await winnow(ws, 'demo')).stdout).toContain(
      'embedded 0 images with mobilenetv2-int8 on cpu (128 already done)',
    );
  });
});

describe('videos', () => {
  it('a 3-second video yields 3 frames with thumbnails, and its embedding is their mean', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const media = join(dir, 'media');
    mkdirSync(media);
    testVideo(join(media, 'clip.mp4'), 3, 10);
    copyFileSync(
      join(COCO128, 'images', readdirSync(join(COCO128, 'images')).sort()[0]!),
      join(media, 'photo.jpg'),
    );
    const wsDir = join(dir, '.winnow');
    expect((await winnow(wsDir, 'ingest', media, '--dataset', 'm')).code).toBe(0);
    const out = await winnow(
      wsDir,
      'embed',
      '--dataset',
      'm',
      '--model',
      'squeezenet1.1',
      '--device',
      'cpu',
      '--json',
    );
    expect(out.stderr).toBe('');
    expect(JSON.parse(out.stdout)).toMatchObject({ embedded: 1, videos: 1, frames: 3, corrupt: [] });

    const ws = await Workspace.open(wsDir);
    try {
      const frames = await ws.db.all<{ id: number; path: string; frame_time: number; parent: string }>(
        `SELECT f.sample_id AS id, f.path, f.frame_time, p.path AS parent FROM winnow.samples f
         JOIN winnow.samples p ON p.sample_id = f.parent_id WHERE f.kind = 'frame' ORDER BY f.frame_time`,
      );
      expect(frames.map((f) => [f.path, f.frame_time, f.parent])).toEqual([
        ['clip.mp4#t=0', 0, 'clip.mp4'],
        ['clip.mp4#t=1', 1, 'clip.mp4'],
        ['clip.mp4#t=2', 2, 'clip.mp4'],
      ]);
      for (const f of frames)
        expect(existsSync(join(dir, '.winnow', 'thumbnails', `${f.id}.jpg`))).toBe(true);
      const modelId = await ws.db.value<number>('SELECT model_id FROM winnow.embedding_models');
      const vectors = await ws.db.all<{ kind: string; v: number[] }>(
        `SELECT s.kind, e.vector::DOUBLE[] AS v FROM winnow.embeddings_${modelId} e JOIN winnow.samples s USING (sample_id)
         WHERE s.kind IN ('video', 'frame') ORDER BY s.kind, s.frame_time`,
      );
      expect(vectors.map((r) => r.kind)).toEqual(['frame', 'frame', 'frame', 'video']);
      const mean = vectors[0]!.v.map(
        (_, j) => (vectors[0]!.v[j]! + vectors[1]!.v[j]! + vectors[2]!.v[j]!) / 3,
      );
      const norm = Math.hypot(...mean);
      for (const [j, x] of vectors[3]!.v.entries()) expect(x).toBeCloseTo(mean[j]! / norm, 5);
    } finally {
      ws.close();
    }
    const again = JSON.parse(
      (await winnow(wsDir, 'embed', '--dataset', 'm', '--model', 'squeezenet1.1', '--json')).stdout,
    );
    expect(again).toMatchObject({ embedded: 0, videos: 0, skipped: 2 });
  });
});

describe('object crops', () => {
  it('makes one crop sample per annotated box, with its picture and embedding; a re-run makes none', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    mkdirSync(join(dir, 'images'));
    mkdirSync(join(dir, 'labels'));
    const names = readdirSync(join(COCO128, 'images')).sort().slice(0, 4);
    let boxes = 0;
    for (const f of names) {
      copyFileSync(join(COCO128, 'images', f), join(dir, 'images', f));
      const label = f.replace(/\.jpg$/, '.txt');
      if (!existsSync(join(COCO128, 'labels', label))) continue;
      copyFileSync(join(COCO128, 'labels', label), join(dir, 'labels', label));
      boxes += readFileSync(join(dir, 'labels', label), 'utf8')
        .split('\n')
        .filter((l) => l.trim()).length;
    }
    expect(boxes).toBeGreaterThan(0);
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(dir, 'images'), '--dataset', 'c')).code).toBe(0);
    const classes = join(COCO128, 'classes.yaml');
    const imported = await winnow(
      ws,
      'import',
      '--dataset',
      'c',
      '--yolo',
      join(dir, 'labels'),
      '--classes',
      classes,
      '--as',
      'annotations',
      '--task',
      'gt',
    );
    expect(imported.code).toBe(0);
    const args = [
      'embed',
      '--dataset',
      'c',
      '--model',
      'mobilenetv2-int8',
      '--crops',
      'annotations',
      '--json',
    ];
    const first = JSON.parse((await winnow(ws, ...args)).stdout);
    expect(first).toMatchObject({ embedded: names.length, crops: boxes });
    const crops = await winnow(
      ws,
      'query',
      '--dataset',
      'c',
      '--json',
      '--sql',
      "SELECT c.sample_id, c.width, c.height, p.filename AS parent FROM samples c JOIN samples p ON p.sample_id = c.parent_id WHERE c.kind = 'crop'",
    );
    const rows = JSON.parse(crops.stdout).rows as {
      sample_id: number;
      width: number;
      height: number;
      parent: string;
    }[];
    expect(rows).toHaveLength(boxes);
    for (const r of rows) {
      expect(names).toContain(r.parent);
      const meta = await sharp(join(dir, '.winnow', 'crops', `${r.sample_id}.jpg`)).metadata();
      expect([meta.width, meta.height]).toEqual([r.width, r.height]);
    }
    const again = JSON.parse((await winnow(ws, ...args)).stdout);
    expect(again).toMatchObject({ embedded: 0, crops: 0 });
  });
});

describe('devices', () => {
  const providers = join(REPOSITORY, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
  it.skipIf(existsSync(join(providers, 'libonnxruntime_providers_cuda.so')))(
    'an explicit device that cannot start says what is missing, and nothing is embedded',
    async () => {
      process.env.WINNOW_MODEL_DIR = MODELS;
      const ws = join(tempDir(), '.winnow');
      expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
      const out = await winnow(
        ws,
        'embed',
        '--dataset',
        'coco',
        '--model',
        'squeezenet1.1',
        '--device',
        'cuda',
      );
      expect(out.code).toBe(1);
      expect(out.stderr).toBe(
        `winnow: model 'squeezenet1.1' on cuda: no libonnxruntime_providers_cuda.so beside onnxruntime-node (${providers}); see docs/embedding.md#devices\n`,
      );
      const count = await winnow(
        ws,
        'query',
        '--dataset',
        'coco',
        '--sql',
        'SELECT count(*) AS n FROM embedding_models',
        '--json',
      );
      expect(JSON.parse(count.stdout).rows).toEqual([{ n: 0 }]);
    },
  );
});

describe('decoding', () => {
  it('decodes each coco128 photo once for its tensor and its thumbnail', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const ws = await Workspace.open(join(dir, '.winnow'));
    try {
      await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
      // The decode threads share this process's native core, and with it its count.
      const before = imageDecodes();
      const summary = await embedDataset(ws, await ws.dataset('coco'), {
        model: 'mobilenetv2-int8',
        device: 'cpu',
      });
      expect(summary.embedded).toBe(128);
      expect(imageDecodes() - before).toBe(128);
      expect(readdirSync(join(dir, '.winnow', 'thumbnails'))).toHaveLength(128);
    } finally {
      ws.close();
    }
  });

  it('reads BMP, GIF, JPEG-compressed TIFF, PNG with alpha and a rotated JPEG; a corrupt file is marked with its reason and skipped', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const media = join(dir, 'media');
    mkdirSync(media);
    const photo = join(COCO128, 'images', readdirSync(join(COCO128, 'images')).sort()[3]!);
    const { data, info } = await sharp(photo).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    // bmp-ts encodes from ABGR bytes.
    const abgr = Buffer.alloc(data.length);
    for (let p = 0; p < data.length; p += 4) {
      abgr[p] = data[p + 3]!;
      abgr[p + 1] = data[p + 2]!;
      abgr[p + 2] = data[p + 1]!;
      abgr[p + 3] = data[p]!;
    }
    writeFileSync(
      join(media, 'b.bmp'),
      encodeBmp({ data: abgr, width: info.width, height: info.height, bitPP: 24 }).data,
    );
    await sharp(photo).jpeg({ quality: 95 }).toFile(join(media, 'a.jpg'));
    await sharp(photo).gif().toFile(join(media, 'c.gif'));
    // sharp, like libtiff, writes a JPEG-compressed TIFF in YCbCr.
    await sharp(photo).tiff().toFile(join(media, 'd.tiff'));
    await sharp(photo).ensureAlpha(0.5).png().toFile(join(media, 'e.png'));
    // Stored turned a quarter anticlockwise, tagged to be shown turned back (EXIF orientation 6).
    await sharp(photo)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 95 })
      .toFile(join(media, 'g.jpg'));
    // Header and end chunk intact (ingest takes it), the compressed pixels zeroed.
    const broken = await sharp(photo).png().toBuffer();
    broken.fill(0, 1000, broken.length - 100);
    writeFileSync(join(media, 'f.png'), broken);
    const ws = await Workspace.open(join(dir, '.winnow'));
    try {
      await ingest(ws, media, { dataset: 'formats' });
      const dataset = await ws.dataset('formats');
      const summary = await embedDataset(ws, dataset, { model: 'squeezenet1.1', device: 'cpu' });
      expect(summary.corrupt).toEqual([{ path: 'f.png', reason: expect.stringMatching(/^cannot decode: /) }]);
      expect(summary.embedded).toBe(6);
      const status = await ws.db.all<{ path: string; status: string; reason: string | null }>(
        'SELECT path, status, reason FROM winnow.samples ORDER BY path',
      );
      expect(status.map((s) => `${s.path} ${s.status}`)).toEqual([
        'a.jpg ok',
        'b.bmp ok',
        'c.gif ok',
        'd.tiff ok',
        'e.png ok',
        'f.png corrupt',
        'g.jpg ok',
      ]);
      expect(status[5]!.reason).toMatch(/^cannot decode: /);
      // The same picture in every format embeds alike: colours and orientation survive each decoder.
      const vectors = await ws.db.all<{ path: string; v: number[] }>(
        `SELECT s.path, e.vector::DOUBLE[] AS v FROM winnow.embeddings_1 e JOIN winnow.samples s USING (sample_id)
         ORDER BY s.path`,
      );
      const jpeg = vectors[0]!.v;
      for (const { path, v } of vectors.slice(1)) {
        const similarity = v.reduce((sum, x, j) => sum + x * jpeg[j]!, 0);
        expect(similarity, path).toBeGreaterThan(path.endsWith('.gif') ? 0.9 : 0.97);
      }
      for (const { id } of await ws.db.all<{ id: number }>(
        "SELECT sample_id AS id FROM winnow.samples WHERE status = 'ok'",
      ))
        expect(existsSync(join(dir, '.winnow', 'thumbnails', `${id}.jpg`))).toBe(true);
    } finally {
      ws.close();
    }
  });

  it('a file gone since the ingest is marked unreadable, and the rest are embedded', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const media = join(dir, 'media');
    mkdirSync(media);
    const photos = readdirSync(join(COCO128, 'images')).sort().slice(0, 3);
    for (const photo of photos) copyFileSync(join(COCO128, 'images', photo), join(media, photo));
    const ws = await Workspace.open(join(dir, '.winnow'));
    try {
      await ingest(ws, media, { dataset: 'gone' });
      rmSync(join(media, photos[1]!));
      const summary = await embedDataset(ws, await ws.dataset('gone'), {
        model: 'mobilenetv2-int8',
        device: 'cpu',
      });
      expect(summary.embedded).toBe(2);
      expect(summary.corrupt).toEqual([
        { path: photos[1], reason: `unreadable: ${join(media, photos[1]!)}: read failed (ENOENT)` },
      ]);
    } finally {
      ws.close();
    }
  });

  it('skips the bombs an index from before the pixel limit took as ok, with their reasons, and embeds the rest', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const dir = tempDir();
    const media = join(dir, 'media');
    mkdirSync(media);
    writeBombs(media);
    const photos = readdirSync(join(COCO128, 'images')).sort().slice(0, 2);
    for (const photo of photos) copyFileSync(join(COCO128, 'images', photo), join(media, photo));
    writeFileSync(join(media, 'top-down.bmp'), topDownBmp(64, 48));
    const ws = await Workspace.open(join(dir, '.winnow'));
    try {
      await ingest(ws, media, { dataset: 'bombs' });
      await ws.db.run("UPDATE winnow.samples SET status = 'ok', reason = NULL");
      const summary = await embedDataset(ws, await ws.dataset('bombs'), {
        model: 'mobilenetv2-int8',
        device: 'cpu',
      });
      expect(summary.embedded).toBe(3);
      expect(summary.corrupt.sort((a, b) => a.path.localeCompare(b.path))).toEqual(
        Object.entries(BOMBS)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([path, { reason }]) => ({ path, reason: expect.stringMatching(new RegExp(`^${reason}: `)) })),
      );
      const corrupt = await ws.db.all<{ path: string }>(
        "SELECT path FROM winnow.samples WHERE status = 'corrupt' ORDER BY path",
      );
      expect(corrupt.map((s) => s.path)).toEqual(Object.keys(BOMBS).sort());
      // An embedded photo replaced by a bomb (not indexed again): its boxes' crops are cut from
      // nothing, and it is marked with the reason; the other photo's box is cropped.
      writeFileSync(join(media, photos[0]!), rle8Bomb());
      const labels = new Labels(ws, await ws.dataset('bombs'));
      for (const photo of photos) {
        const id = await ws.db.value<number>('SELECT sample_id FROM winnow.samples WHERE path = ?', [photo]);
        await labels.add(id, { task: 'gt', category: 'thing', box: [0, 0, 20, 20] });
      }
      const crops = await embedDataset(ws, await ws.dataset('bombs'), {
        model: 'mobilenetv2-int8',
        device: 'cpu',
        crops: 'annotations',
      });
      expect(crops).toMatchObject({
        embedded: 0,
        crops: 1,
        corrupt: [{ path: photos[0], reason: expect.stringMatching(/^too_large: 20000×20000 /) }],
      });
      expect(await ws.db.value('SELECT reason FROM winnow.samples WHERE path = ?', [photos[0]!])).toMatch(
        /^too_large: 20000×20000 /,
      );
    } finally {
      ws.close();
    }
  });

  it('a cancelled run keeps what it embedded, and the next run does the rest', async () => {
    process.env.WINNOW_MODEL_DIR = MODELS;
    const ws = await tempWorkspace();
    try {
      await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
      const dataset = await ws.dataset('coco');
      const stop = new AbortController();
      const options = { model: 'mobilenetv2-int8', device: 'cpu' as const, batchSize: 16 };
      const memoryLimit = () => ws.db.value<string>("SELECT current_setting('memory_limit')");
      const before = await memoryLimit();
      await expect(
        embedDataset(ws, dataset, {
          ...options,
          signal: stop.signal,
          onProgress: ({ done }) => done >= 48 && stop.abort(),
        }),
      ).rejects.toThrow(/cancel/i);
      // The run caps DuckDB's memory while it writes, and gives the limit back, cancelled or not.
      expect(await memoryLimit()).toBe(before);
      const kept = Number(await ws.db.value('SELECT count(*) FROM winnow.embeddings_1'));
      expect(kept).toBeGreaterThanOrEqual(48);
      expect(kept).toBeLessThan(128);
      const rest = await embedDataset(ws, dataset, options);
      expect(rest).toMatchObject({ embedded: 128 - kept, skipped: kept });
    } finally {
      ws.close();
    }
  });
});

describe('video frame sampling', () => {
  it('takes N frames spread over a video, or one per scene', async () => {
    const dir = tempDir();
    const even = await extractFrames(testVideo(join(dir, 'even.mp4'), 4, 10), join(dir, 'even'), {
      count: 4,
    });
    expect(even.map((f) => f.time)).toEqual([0, 1, 2, 3]);
    const scenes = join(dir, 'scenes.mp4');
    const part = (source: string) => ['-f', 'lavfi', '-i', `${source}:duration=1:size=320x240:rate=10`];
    execFileSync('ffmpeg', [
      ...['-v', 'error', ...part('testsrc=rate=10'), ...part('smptebars=rate=10'), ...part('color=c=red')],
      ...['-filter_complex', 'concat=n=3:v=1:a=0', '-pix_fmt', 'yuv420p', '-y', scenes],
    ]);
    const cuts = await extractFrames(scenes, join(dir, 'cuts'), { scene: 0.3 });
    expect(cuts.map((f) => f.time)).toEqual([0, 1, 2]);
    for (const f of cuts) expect(existsSync(f.file)).toBe(true);
  });
});
