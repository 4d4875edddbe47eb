// The hover on a sample's path: which string under the cursor is asked about, where it may lie,
// how long an answer is kept, and what the hover shows (escaped; the one image a checked data: URI).
import { describe, expect, it } from 'vitest';
import type { SampleDetail } from '../../core/src/client/server-client.js';
import { ExpiringCache } from '../src/hover/expiring-cache.js';
import { locationsToTry } from '../src/hover/locations.js';
import { pathAt } from '../src/hover/path-at.js';
import { escapeMarkdown, imageUri, labelLines, sampleMarkdown } from '../src/hover/sample-markdown.js';

/** The candidate under the cursor at `|` in `line`. */
const at = (line: string) => pathAt(line.replace('|', ''), line.indexOf('|'))?.text;

describe('the string under the cursor', () => {
  it('is the quoted string around it, in Python, YAML or JSON', () => {
    expect(at("files = ['images/0|09.jpg', 'images/025.jpg']")).toBe('images/009.jpg');
    expect(at('  "file": "/data/coco/a b|.png",')).toBe('/data/coco/a b.png');
    expect(at("p = r'C:\\data\\x|.JPG'")).toBe('C:\\data\\x.JPG');
  });

  it('is the path-like run under it when unquoted, as in a YAML list or a comment', () => {
    expect(at('  - images/train/0|01.jpeg')).toBe('images/train/001.jpeg');
    expect(at('# see s3://bucket/coco/a|.mp4, which')).toBe('s3://bucket/coco/a.mp4');
    expect(at("# don't forget ima|ges/a.jpg")).toBe('images/a.jpg');
  });

  it('spans the string itself, so the hover covers it', () => {
    expect(pathAt("x = 'a.jpg'", 6)).toEqual({ text: 'a.jpg', start: 5, end: 10 });
  });

  it('is nothing when it cannot be a sample: not an image or video, or too long', () => {
    expect(at("open('train|.py')")).toBeUndefined();
    expect(at('print("hel|lo")')).toBeUndefined();
    expect(at('x = 1|0')).toBeUndefined();
    expect(at(`'${'a/'.repeat(2100)}|x.jpg'`)).toBeUndefined();
  });
});

describe('the locations a path may mean', () => {
  it('are as written, then from the workspace and from the document when relative', () => {
    expect(locationsToTry('images/a.jpg', ['/w', '/w/scripts'])).toEqual([
      'images/a.jpg',
      '/w/images/a.jpg',
      '/w/scripts/images/a.jpg',
    ]);
    expect(locationsToTry('a.jpg', ['/w', '/w', undefined])).toEqual(['a.jpg', '/w/a.jpg']);
  });

  it('are only as written when absolute or a URL', () => {
    expect(locationsToTry('/data/a.jpg', ['/w'])).toEqual(['/data/a.jpg']);
    expect(locationsToTry('gs://b/a.jpg', ['/w'])).toEqual(['gs://b/a.jpg']);
  });
});

describe('answers kept briefly', () => {
  it('are kept for their time, then asked again', () => {
    let now = 0;
    const cache = new ExpiringCache<string>(1000, 10, () => now);
    cache.set('a.jpg', 'coco');
    now = 999;
    expect(cache.get('a.jpg')).toBe('coco');
    now = 1000;
    expect(cache.get('a.jpg')).toBeUndefined();
  });

  it('are at most so many, the oldest going first', () => {
    const cache = new ExpiringCache<number>(1000, 2, () => 0);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([3, undefined, 4]);
  });
});

describe("the hover's Markdown", () => {
  const detail = {
    sample: {
      sample_id: 7,
      kind: 'image',
      filename: 'a.jpg',
      width: 640,
      height: 480,
      status: 'ok',
      reason: null,
    },
    predictions: [
      { task: 'det', category: 'person', score: 0.9, box: null },
      { task: 'det', category: 'dog', score: 0.8, box: null },
      { task: 'det', category: 'person', score: 0.7, box: null },
    ],
    annotations: [{ annotation_id: 1, sample_id: 7, task: 'det', category: 'cat', box: null, version: 1 }],
    caption: 'a <b>dog</b>',
    tags: ['batch_1', 'val'],
  } as unknown as SampleDetail;
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]);

  it("shows the thumbnail, the file and dataset, tags, labels and caption, the workspace's text escaped", () => {
    const markdown = sampleMarkdown([
      { match: { dataset: 'coco', sample_id: 7, path: 'images/a_1.jpg' }, detail, thumbnail: jpeg },
    ]);
    expect(markdown.split('\n\n')).toEqual([
      `<img src="data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}" height="160" alt="thumbnail">`,
      '**images/a\\_1\\.jpg** in dataset **coco** · image · 640×480 · sample 7',
      'Tags: batch\\_1, val',
      'Predictions (det): person ×2, dog',
      'Labels (det): cat',
      'Caption: a \\<b\\>dog\\</b\\>',
    ]);
  });

  it('leaves out a thumbnail that is not a JPEG or PNG, and separates datasets', () => {
    const html = new TextEncoder().encode('<script>alert(1)</script>');
    expect(imageUri(html)).toBeUndefined();
    expect(imageUri(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d]))).toMatch(/^data:image\/png;base64,/);
    const match = { dataset: 'coco', sample_id: 7, path: 'a.jpg' };
    const markdown = sampleMarkdown([
      { match, detail, thumbnail: html },
      { match: { ...match, dataset: 'again' }, detail },
    ]);
    expect(markdown).not.toContain('<img');
    expect(markdown).not.toContain('<script');
    expect(markdown.split('\n\n---\n\n')).toHaveLength(2);
  });

  it('lists at most eight classes of a task, most frequent first, and counts the rest', () => {
    const labels = 'abcdefghij'.split('').map((category) => ({ task: 't', category }));
    expect(labelLines('Labels', [...labels, { task: 't', category: 'j' }])).toEqual([
      'Labels (t): j ×2, a, b, c, d, e, f, g, and 2 more',
    ]);
  });

  it('escapes Markdown and HTML so a file name shows as itself', () => {
    expect(escapeMarkdown('[x](javascript:alert) <img> *a*\nb')).toBe(
      '\\[x\\]\\(javascript\\:alert\\) \\<img\\> \\*a\\* b',
    );
  });
});
