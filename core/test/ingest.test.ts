import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { imageSize } from 'image-size';
import { describe, expect, it } from 'vitest';
import { ingest } from '../src/ingest/index.js';
import { Tags } from '../src/tags/tags.js';
import { BOMBS, topDownBmp, writeBombs } from './bombs.mjs';
import { COCO128, REPOSITORY, tempDir, tempWorkspace, testVideo } from './helpers.js';

const JPEGS = readdirSync(join(COCO128, 'images')).sort();
const jpeg = (i: number) => join(COCO128, 'images', JPEGS[i]!);

interface SampleRow {
  path: string;
  status: string;
  reason: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
}

/** Permissions do not bind root: as root, the command runs as the unprivileged user "nobody". */
const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

/** Whether that user can run the command from this checkout (not when it lies in a private home). */
function canRunAsUnprivileged(): boolean {
  try {
    execFileSync(process.execPath, [join(REPOSITORY, 'core/bin/winnow.js'), '--help'], {
      ...asNobody,
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

/** A grey TIFF laid out as libtiff writes it: the header, the pixels, then the IFD at the end. */
function tiffWithIfdAtEnd(width: number, height: number, byteOrder: 'II' | 'MM'): Buffer {
  const entries = [
    [256, 3, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 8],
    [277, 3, 1],
    [278, 4, height],
    [279, 4, width * height],
  ] as const;
  const ifd = 8 + width * height;
  const file = Buffer.alloc(ifd + 2 + 12 * entries.length + 4);
  const little = byteOrder === 'II';
  const u16 = (value: number, at: number) =>
    (little ? file.writeUInt16LE : file.writeUInt16BE).call(file, value, at);
  const u32 = (value: number, at: number) =>
    (little ? file.writeUInt32LE : file.writeUInt32BE).call(file, value, at);
  file.write(byteOrder, 0, 'latin1');
  u16(42, 2);
  u32(ifd, 4);
  u16(entries.length, ifd);
  entries.forEach(([tag, type, value], i) => {
    const at = ifd + 2 + 12 * i;
    u16(tag, at);
    u16(type, at + 2);
    u32(1, at + 4);
    if (type === 3) u16(value, at + 8);
    else u32(value, at + 8);
  });
  return file;
}

describe('ingest of a local folder', () => {
  it('indexes the 128 coco128 photos with their sizes from the headers, and a re-run adds nothing', async () => {
    const ws = await tempWorkspace();
    const first = await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
    expect(first).toMatchObject({ samples: 128, images: 128, added: 128, corrupt: 0 });
    const rows = await ws.db.all<SampleRow>(
      'SELECT path, width, height, format FROM winnow.samples ORDER BY path',
    );
    for (const row of rows.slice(0, 10)) {
      const size = imageSize(readFileSync(join(COCO128, 'images', row.path)));
      expect([row.width, row.height, row.format]).toEqual([size.width, size.height, 'jpeg']);
    }
    const again = await ingest(ws, join(COCO128, 'images'), { dataset: 'coco' });
    expect(again).toMatchObject({ samples: 128, added: 0, updated: 0, removed: 0, unchanged: 128 });
    expect(await ws.db.value("SELECT count(*) FROM runs WHERE kind = 'ingest' AND status = 'done'")).toBe(2);
    ws.close();
  });

  it('records corrupt, truncated, empty and misnamed files with reasons and never stops', async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, 'sub/deeper'), { recursive: true });
    copyFileSync(jpeg(0), join(root, 'good.jpg'));
    copyFileSync(jpeg(1), join(root, 'sub/UPPER.JPEG'));
    const bytes = readFileSync(jpeg(2));
    writeFileSync(join(root, 'sub/truncated.jpg'), bytes.subarray(0, bytes.length >> 1));
    writeFileSync(join(root, 'empty.png'), '');
    writeFileSync(join(root, 'text.jpg'), 'not an image at all');
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-i',
      jpeg(3),
      '-c:v',
      'png',
      '-f',
      'image2',
      '-y',
      join(root, 'really-png.jpg'),
    ]);
    writeFileSync(join(root, 'notes.txt'), 'ignored');
    symlinkSync(join(root, 'missing.jpg'), join(root, 'sub/broken.jpg'));
    copyFileSync(jpeg(4), join(outside, 'secret.jpg'));
    symlinkSync(join(outside, 'secret.jpg'), join(root, 'escape.jpg'));
    symlinkSync(outside, join(root, 'escape-dir'));
    symlinkSync(root, join(root, 'sub/deeper/loop'));

    const ws = await tempWorkspace();
    const summary = await ingest(ws, root, { dataset: 'mixed' });
    const rows = await ws.db.all<SampleRow>(
      'SELECT path, status, reason, width, format FROM winnow.samples ORDER BY path',
    );
    const byPath = Object.fromEntries(rows.map((row) => [row.path, row]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'empty.png',
        'good.jpg',
        'really-png.jpg',
        'sub/UPPER.JPEG',
        'sub/broken.jpg',
        'sub/truncated.jpg',
        'text.jpg',
      ].sort(),
    );
    expect(byPath['good.jpg']).toMatchObject({ status: 'ok', reason: null, format: 'jpeg' });
    expect(byPath['sub/UPPER.JPEG']).toMatchObject({ status: 'ok', format: 'jpeg' });
    expect(byPath['sub/truncated.jpg']).toMatchObject({
      status: 'corrupt',
      reason: expect.stringMatching(/^truncated/),
    });
    expect(byPath['empty.png']).toMatchObject({ status: 'corrupt', reason: 'empty file (0 bytes)' });
    expect(byPath['text.jpg']).toMatchObject({
      status: 'corrupt',
      reason: expect.stringMatching(/not a JPEG file/),
    });
    expect(byPath['sub/broken.jpg']).toMatchObject({ status: 'corrupt', reason: 'broken symbolic link' });
    expect(byPath['really-png.jpg']).toMatchObject({
      status: 'ok',
      format: 'png',
      reason: 'named .jpg but the content is PNG',
    });
    expect(byPath['really-png.jpg']!.width).toBeGreaterThan(0);
    expect(summary).toMatchObject({ samples: 7, corrupt: 4, misnamed: 1, outside_root: 2 });
    expect(summary.warnings.join()).toMatch(/2 links lead outside/);
    ws.close();
  });

  it('reads the size of TIFFs over 1 MiB whose IFD is at the end of the file', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'little.tif'), tiffWithIfdAtEnd(1200, 1000, 'II'));
    writeFileSync(join(root, 'big.tiff'), tiffWithIfdAtEnd(1000, 1100, 'MM'));
    writeFileSync(join(root, 'cut.tif'), tiffWithIfdAtEnd(1200, 1000, 'II').subarray(0, 1_100_000));
    const ws = await tempWorkspace();
    expect(await ingest(ws, root, { dataset: 'tiff' })).toMatchObject({ images: 3, corrupt: 1 });
    expect(
      await ws.db.all<SampleRow>(
        'SELECT path, status, reason, width, height FROM winnow.samples ORDER BY path',
      ),
    ).toEqual([
      { path: 'big.tiff', status: 'ok', reason: null, width: 1000, height: 1100 },
      {
        path: 'cut.tif',
        status: 'corrupt',
        reason: 'truncated: TIFF directory at byte 1200008, file has 1100000',
        width: null,
        height: null,
      },
      { path: 'little.tif', status: 'ok', reason: null, width: 1200, height: 1000 },
    ]);
    ws.close();
  });

  it('updates changed files, marks vanished ones removed and takes them back when they return', async () => {
    const root = tempDir();
    for (let i = 0; i < 5; i++) copyFileSync(jpeg(i), join(root, `${i}.jpg`));
    const ws = await tempWorkspace();
    await ingest(ws, root, { dataset: 'd' });
    copyFileSync(jpeg(9), join(root, '0.jpg'));
    utimesSync(join(root, '0.jpg'), new Date(), new Date(Date.now() + 5000));
    rmSync(join(root, '1.jpg'));
    copyFileSync(jpeg(6), join(root, 'new.jpg'));
    const second = await ingest(ws, root, { dataset: 'd' });
    expect(second).toMatchObject({ samples: 5, added: 1, updated: 1, removed: 1, unchanged: 3 });
    const width = await ws.db.value("SELECT width FROM winnow.samples WHERE path = '0.jpg'");
    expect(width).toBe(imageSize(readFileSync(jpeg(9))).width);
    expect(await ws.db.value('SELECT count(*) FROM removed_samples')).toBe(1);
    copyFileSync(jpeg(1), join(root, '1.jpg'));
    const third = await ingest(ws, root, { dataset: 'd' });
    expect(third).toMatchObject({ samples: 6, updated: 1, removed: 0 });
    ws.close();
  });

  it('reads video duration, fps and size with ffprobe, and indexes videos without it', async () => {
    const root = tempDir();
    testVideo(join(root, 'clip.mp4'), 2, 25);
    copyFileSync(join(root, 'clip.mp4'), join(root, 'CLIP2.MOV'));
    const ws = await tempWorkspace();
    const summary = await ingest(ws, root, { dataset: 'videos' });
    expect(summary).toMatchObject({ videos: 2, corrupt: 0, warnings: [] });
    const clip = await ws.db.one<Record<string, number>>("SELECT * FROM samples WHERE filename = 'clip.mp4'");
    expect(clip).toMatchObject({ kind: 'video', width: 320, height: 240, fps: 25 });
    expect(clip!.duration).toBeCloseTo(2, 1);

    const without = await tempWorkspace();
    const degraded = await ingest(without, root, { dataset: 'videos', ffprobe: '/nonexistent/ffprobe' });
    expect(degraded).toMatchObject({ videos: 2, corrupt: 0 });
    expect(degraded.warnings).toHaveLength(1);
    expect(degraded.warnings[0]).toMatch(/ffprobe not found.*install ffmpeg/);
    ws.close();
    without.close();
  });

  it('stops when cancelled, records the run as cancelled, and a re-run completes', async () => {
    const root = tempDir();
    for (let i = 0; i < 40; i++) copyFileSync(jpeg(i), join(root, `${i}.jpg`));
    const ws = await tempWorkspace();
    const cancelledWhileListing = () => {
      const controller = new AbortController();
      return ingest(ws, root, {
        dataset: 'd',
        signal: controller.signal,
        onProgress: (p) => p.phase === 'listing' && controller.abort(),
      });
    };
    // A first run stopped before it listed the folder leaves no dataset (and so no run).
    await expect(cancelledWhileListing()).rejects.toThrow('cancelled');
    expect(await ws.findDataset('d')).toBeUndefined();
    expect(await ws.db.value('SELECT count(*) FROM runs')).toBe(0);

    expect(await ingest(ws, root, { dataset: 'd' })).toMatchObject({ samples: 40, added: 40 });
    for (let i = 40; i < 44; i++) copyFileSync(jpeg(i), join(root, `${i}.jpg`));
    await expect(cancelledWhileListing()).rejects.toThrow('cancelled');
    expect(
      await ws.db.value("SELECT status FROM runs WHERE kind = 'ingest' ORDER BY started_at DESC LIMIT 1"),
    ).toBe('cancelled');
    expect(await ingest(ws, root, { dataset: 'd' })).toMatchObject({ samples: 44, added: 4, removed: 0 });
    ws.close();
  });

  it('refuses to index a different folder into an existing dataset', async () => {
    const ws = await tempWorkspace();
    const root = tempDir();
    copyFileSync(jpeg(0), join(root, 'a.jpg'));
    await ingest(ws, root, { dataset: 'd' });
    await expect(ingest(ws, tempDir(), { dataset: 'd' })).rejects.toThrow(
      /dataset 'd' indexes .* choose another --dataset name/,
    );
    ws.close();
  });

  it('a first ingest that finds no image or video fails and makes no dataset; a folder that empties later warns', async () => {
    const ws = await tempWorkspace();
    const root = tempDir();
    writeFileSync(join(root, 'notes.txt'), 'not an image');
    await expect(ingest(ws, root, { dataset: 'd' })).rejects.toThrow(
      `${root}: no image or video found: no dataset was made`,
    );
    expect(await ws.findDataset('d')).toBeUndefined();
    expect(await ws.db.value('SELECT count(*) FROM runs')).toBe(0);

    copyFileSync(jpeg(0), join(root, 'a.jpg'));
    expect(await ingest(ws, root, { dataset: 'd' })).toMatchObject({ samples: 1, added: 1 });
    rmSync(join(root, 'a.jpg'));
    const emptied = await ingest(ws, root, { dataset: 'd' });
    expect(emptied).toMatchObject({ samples: 0, removed: 1 });
    expect(emptied.warnings).toEqual([
      `${root} holds no image or video now: its samples are marked removed, their tags and history kept`,
    ]);
    expect(await ws.db.all('SELECT path, status FROM winnow.samples')).toEqual([
      { path: 'a.jpg', status: 'removed' },
    ]);
    ws.close();
  });

  it('takes vanished files out of their tags as a new tag version', async () => {
    const root = tempDir();
    for (let i = 0; i < 4; i++) copyFileSync(jpeg(i), join(root, `${i}.jpg`));
    const ws = await tempWorkspace();
    await ingest(ws, root, { dataset: 'd' });
    const tags = new Tags(ws, await ws.dataset('d'));
    await tags.create('keep', { files: ['0.jpg', '1.jpg', '2.jpg'] });
    rmSync(join(root, '1.jpg'));
    expect(await ingest(ws, root, { dataset: 'd' })).toMatchObject({ removed: 1 });
    expect((await tags.members('keep')).files).toEqual(['0.jpg', '2.jpg']);
    expect((await tags.history('keep')).map((v) => [v.version, v.operation, v.size])).toEqual([
      [1, 'create', 3],
      [2, 'untag', 2],
    ]);
    expect((await tags.members('keep', 1)).files).toEqual(['0.jpg', '1.jpg', '2.jpg']);
    ws.close();
  });

  it('follows links whose target name starts with two dots but stays inside the root', async () => {
    const root = tempDir();
    mkdirSync(join(root, '..data'));
    copyFileSync(jpeg(0), join(root, '..data/c.jpg'));
    symlinkSync(join(root, '..data/c.jpg'), join(root, 'link.jpg'));
    const ws = await tempWorkspace();
    expect(await ingest(ws, root, { dataset: 'd' })).toMatchObject({
      samples: 2,
      corrupt: 0,
      outside_root: 0,
    });
    ws.close();
  });

  it.skipIf(!canRunAsUnprivileged())(
    'keeps the samples of a folder it cannot read, and says so',
    async () => {
      const base = tempDir();
      chmodSync(base, 0o777);
      const root = join(base, 'data');
      mkdirSync(join(root, 'secret'), { recursive: true });
      copyFileSync(jpeg(0), join(root, 'open.jpg'));
      copyFileSync(jpeg(1), join(root, 'secret/hidden.jpg'));
      const winnow = (...args: string[]) =>
        JSON.parse(
          execFileSync(
            process.execPath,
            [join(REPOSITORY, 'core/bin/winnow.js'), '--workspace', join(base, 'ws'), ...args],
            {
              ...asNobody,
              encoding: 'utf8',
            },
          ),
        );
      expect(winnow('ingest', root, '--dataset', 'd', '--json')).toMatchObject({ samples: 2 });
      chmodSync(join(root, 'secret'), 0o000);
      try {
        const again = winnow('ingest', root, '--dataset', 'd', '--json');
        expect(again).toMatchObject({ samples: 2, removed: 0 });
        expect(again.warnings).toEqual([
          '1 folders could not be read (secret: EACCES): the samples indexed under them were kept as they were',
        ]);
      } finally {
        chmodSync(join(root, 'secret'), 0o755);
      }
    },
  );
});

describe('the pixel limit at ingest', () => {
  it('marks decompression bombs too_large and bogus sizes corrupt; the images beside them stay ok', async () => {
    const root = tempDir();
    writeBombs(root);
    copyFileSync(jpeg(0), join(root, 'good.jpg'));
    writeFileSync(join(root, 'top-down.bmp'), topDownBmp(40, 30));
    const ws = await tempWorkspace();
    try {
      const summary = await ingest(ws, root, { dataset: 'bombs' });
      const rows = await ws.db.all<SampleRow>(
        'SELECT path, status, reason, width, height FROM winnow.samples ORDER BY path',
      );
      const byPath = Object.fromEntries(rows.map((row) => [row.path, row]));
      for (const [name, { reason }] of Object.entries(BOMBS))
        expect(byPath[name], name).toMatchObject({
          status: 'corrupt',
          reason: expect.stringMatching(new RegExp(`^${reason}: `)),
        });
      expect(byPath['rle8-20000.bmp']!.reason).toBe(
        'too_large: 20000×20000 is 400 megapixels, over the limit of 100 megapixels (WINNOW_MAX_PIXELS)',
      );
      expect(byPath['empty-0x0.bmp']!.reason).toBe('corrupt: the BMP header claims 0×0 pixels');
      expect(byPath['negative-height.bmp']!.reason).toBe('corrupt: the BMP header claims 64×-64 pixels');
      expect(byPath['good.jpg']).toMatchObject({ status: 'ok', reason: null });
      // Rows stored top-down (a negative height) are how uncompressed BMPs may be written.
      expect(byPath['top-down.bmp']).toMatchObject({ status: 'ok', width: 40, height: 30 });
      expect(summary).toMatchObject({ samples: 7, corrupt: 5 });
    } finally {
      ws.close();
    }
  });

  it('takes its limit from WINNOW_MAX_PIXELS, and names the variable when its value is bad', async () => {
    const root = tempDir();
    copyFileSync(jpeg(0), join(root, 'good.jpg'));
    const { width, height } = imageSize(readFileSync(jpeg(0)));
    const ws = await tempWorkspace();
    try {
      process.env.WINNOW_MAX_PIXELS = 'lots';
      await expect(ingest(ws, root, { dataset: 'small' })).rejects.toThrow(
        "WINNOW_MAX_PIXELS: expected a whole number of pixels above 0 (e.g. 100000000), got 'lots'",
      );
      process.env.WINNOW_MAX_PIXELS = String(width * height - 1);
      await ingest(ws, root, { dataset: 'small' });
      expect(await ws.db.value('SELECT reason FROM winnow.samples')).toMatch(/^too_large: /);
    } finally {
      delete process.env.WINNOW_MAX_PIXELS;
      ws.close();
    }
  });
});
