// Search by image, sample and text over real embeddings: coco128 embedded with the real
// SqueezeNet in ../shared/models. A real CLIP text tower cannot be fetched on these machines
// (no network), so the text test builds a tiny but real one: an ONNX graph written with the
// Python `onnx` package (.venv, made by `bash scripts/setup.sh --test`) and a WordPiece
// tokenizer.json, run through @huggingface/tokenizers and onnxruntime-node like CLIP's.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nearestSamples, searchDataset } from '../src/embed/search.js';
import { findModel } from '../src/store/embeddings.js';
import { readVectors } from '../src/store/vectors.js';
import { Workspace } from '../src/store/workspace.js';
import { COCO128, REPOSITORY, winnow } from './helpers.js';

const MODELS = join(REPOSITORY, '../shared/models');
const PYTHON = join(REPOSITORY, '.venv', 'bin', 'python');
const TEXT_TOWER = join(REPOSITORY, 'core', 'test', 'python', 'text_tower.py');
const PHOTOS = readdirSync(join(COCO128, 'images')).sort();

let root: string;
let ws: string;
const savedDir = process.env.WINNOW_MODEL_DIR;

beforeAll(() => {
  process.env.WINNOW_MODEL_DIR = MODELS;
  root = mkdtempSync(join(tmpdir(), 'winnow-search-'));
  ws = join(root, '.winnow');
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  if (savedDir === undefined) delete process.env.WINNOW_MODEL_DIR;
  else process.env.WINNOW_MODEL_DIR = savedDir;
});

async function ok(...args: string[]): Promise<string> {
  const out = await winnow(ws, ...args);
  expect(out.stderr.replace(/^winnow: device auto: .*\n/, '')).toBe('');
  expect(out.code).toBe(0);
  return out.stdout;
}

async function fails(...args: string[]): Promise<string> {
  const out = await winnow(ws, ...args);
  expect(out.code).toBe(1);
  expect(out.stderr.trimEnd().split('\n')).toHaveLength(1);
  return out.stderr.trim();
}

async function inWorkspace<T>(work: (w: Workspace) => Promise<T>): Promise<T> {
  const opened = await Workspace.open(ws);
  try {
    return await work(opened);
  } finally {
    opened.close();
  }
}

describe('winnow search over coco128 embedded with SqueezeNet', () => {
  const target = PHOTOS[5]!;
  let copy: string;

  beforeAll(async () => {
    await ok('ingest', join(COCO128, 'images'), '--dataset', 'coco');
    await ok('embed', '--dataset', 'coco', '--model', 'squeezenet1.1');
    await ok('ingest', join(COCO128, 'images'), '--dataset', 'bare');
    copy = join(root, 'query', 'flipped.jpg');
    mkdirSync(join(root, 'query'));
    await sharp(join(COCO128, 'images', target))
      .flop()
      .jpeg({ quality: 60 })
      .toFile(copy);
  }, 120_000);

  it('--image: a flipped, recompressed copy of a photo finds that photo first', async () => {
    const result = JSON.parse(await ok('search', '--dataset', 'coco', '--image', copy, '--json'));
    expect(result.model).toBe('squeezenet1.1');
    expect(result.query).toEqual({ image: copy });
    expect(result.results).toHaveLength(20);
    expect(result.results[0]).toMatchObject({ path: target, sample_id: expect.any(Number) });
    expect(result.results[0].score).toBeGreaterThan(0.85);
    const scores = result.results.map((r: { score: number }) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));

    const human = await ok('search', '--dataset', 'coco', '--image', copy, '-k', '3');
    const lines = human.trim().split('\n');
    expect(lines[0]).toMatch(/^score\s+path$/);
    expect(lines[2]).toMatch(new RegExp(`^0\\.\\d{4}\\s+${target}$`));
    expect(lines.at(-1)).toBe('3 results (squeezenet1.1 embeddings)');
  });

  it('--sample by path or id: k results without the sample itself, best first', async () => {
    const byPath = JSON.parse(
      await ok('search', '--dataset', 'coco', '--sample', target, '-k', '5', '--json'),
    );
    expect(byPath.results).toHaveLength(5);
    const id = byPath.query.sample.sample_id;
    expect(byPath.query.sample.path).toBe(target);
    expect(byPath.results.map((r: { sample_id: number }) => r.sample_id)).not.toContain(id);
    const byId = JSON.parse(
      await ok('search', '--dataset', 'coco', '--sample', String(id), '-k', '5', '--json'),
    );
    expect(byId.results).toEqual(byPath.results);
    // The same through the core API, with an absolute path.
    const api = await inWorkspace(async (w) =>
      searchDataset(w, await w.dataset('coco'), { sample: join(COCO128, 'images', target), k: 5 }),
    );
    expect(api.results).toEqual(byPath.results);
  });

  it('--where keeps only the samples that meet a read-only SQL condition', async () => {
    const where = "filename >= '000000000500'";
    const result = JSON.parse(
      await ok('search', '--dataset', 'coco', '--image', copy, '--where', where, '-k', '50', '--json'),
    );
    expect(result.results.length).toBeGreaterThan(0);
    for (const hit of result.results) expect(hit.path >= '000000000500').toBe(true);
    expect(
      await fails('search', '--dataset', 'coco', '--image', copy, '--where', "getenv('HOME') = ''"),
    ).toMatch(/query refused: function getenv\(\) is not allowed/);
  });

  it('scores are exact cosine similarities, the same as computed here from the stored vectors', async () => {
    await inWorkspace(async (w) => {
      const model = await findModel(w.db, await w.dataset('coco'));
      const all = await readVectors(
        w.db,
        `SELECT sample_id, vector FROM winnow.embeddings_${model.id} ORDER BY sample_id`,
        [],
        model.dim,
        PHOTOS.length,
      );
      const dim = model.dim;
      const row = (i: number) => all.vectors.subarray(i * dim, (i + 1) * dim);
      const norm = (v: Float32Array) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
      // A query that is no stored vector: two photos mixed unevenly (an even mix ties them), scaled.
      const query = row(0).map((x, j) => 3 * (x + 0.6 * row(1)[j]!));
      const expected = PHOTOS.map((_, i) => ({
        sample_id: all.ids[i]!,
        score: row(i).reduce((sum, x, j) => sum + x * query[j]!, 0) / (norm(row(i)) * norm(query)),
      })).sort((a, b) => b.score - a.score || a.sample_id - b.sample_id);
      const found = await nearestSamples(w.db, model, query, 10, { exclude: all.ids[2] });
      const wanted = expected.filter((e) => e.sample_id !== all.ids[2]).slice(0, 10);
      expect(found.map((f) => f.sample_id)).toEqual(wanted.map((e) => e.sample_id));
      for (const [i, f] of found.entries()) expect(f.score).toBeCloseTo(wanted[i]!.score, 5);
      expect(await nearestSamples(w.db, model, query, 1000)).toHaveLength(PHOTOS.length);
    });
  });

  it('bad input is a one-line error naming the option, file or dataset', async () => {
    expect(await fails('search', '--dataset', 'bare', '--image', copy)).toBe(
      "winnow: dataset 'bare' has no embeddings; run winnow embed --dataset bare first",
    );
    expect(await fails('search', '--dataset', 'coco', '--sample', 'nope.jpg')).toBe(
      "winnow: --sample nope.jpg: dataset 'coco' has no sample with this id or path",
    );
    const missing = join(root, 'missing.jpg');
    expect(await fails('search', '--dataset', 'coco', '--image', missing)).toBe(
      `winnow: --image ${missing}: no such file`,
    );
    expect(await fails('search', '--dataset', 'coco', '--image', copy, '-k', '0')).toMatch(/^winnow: -k 0: /);
    expect(await fails('search', '--dataset', 'coco', '--image', copy, '-k', 'many')).toMatch(
      /^winnow: -k NaN: /,
    );
    expect(await fails('search', '--dataset', 'coco', '--image', copy, '--text', 'a dog')).toBe(
      'winnow: give exactly one query: --text, --image or --sample (got --text and --image)',
    );
    expect(await fails('search', '--dataset', 'coco')).toMatch(/give exactly one query/);
    expect(await fails('search', '--dataset', 'coco', '--image', copy, '--model', 'mobilenetv2-int8')).toBe(
      "winnow: dataset 'coco' has no embeddings of model 'mobilenetv2-int8' (models: squeezenet1.1)",
    );
    expect(await fails('search', '--dataset', 'coco', '--text', 'a dog')).toBe(
      "winnow: model 'squeezenet1.1' has no text tower; text search needs a CLIP-style model such as clip-vit-b32",
    );
  });
});

describe('winnow search --text through a text tower', () => {
  const photos = PHOTOS.slice(0, 12);
  const data = () => join(root, 'small');
  const config = () => join(root, 'tower', 'model.yaml');

  beforeAll(async () => {
    if (!existsSync(PYTHON)) {
      throw new Error(
        `${PYTHON} is missing: run \`bash scripts/setup.sh --test\` (needs python3) to create it`,
      );
    }
    mkdirSync(data());
    for (const photo of photos) copyFileSync(join(COCO128, 'images', photo), join(data(), photo));
    mkdirSync(join(root, 'tower'));
    // SqueezeNet's real image tower with a text tower beside it (written below, once the image
    // embeddings it must land near are known).
    writeFileSync(
      config(),
      [
        `file: ${join(MODELS, 'squeezenet1.1-embed.onnx')}`,
        'input: data_0',
        'size: 224',
        'channels: bgr',
        'range: 0-255',
        'mean: [104, 117, 123]',
        'output: embedding',
        'pooling: mean',
        'text:',
        '  file: text.onnx', // its attention_mask input is found and fed without being named
        '  tokenizer: { file: tokenizer.json }',
        '  contextLength: 16',
        '',
      ].join('\n'),
    );
    await ok('ingest', data(), '--dataset', 'small');
    await ok('embed', '--dataset', 'small', '--model', config());
  }, 120_000);

  it('a text whose token was tied to a photo finds that photo first; another token, another photo', async () => {
    const [vectors, ids, paths] = await inWorkspace(async (w) => {
      const model = await findModel(w.db, await w.dataset('small'));
      expect(model.name).toBe('squeezenet1.1-embed');
      const rows = await readVectors(
        w.db,
        `SELECT e.sample_id, e.vector FROM winnow.embeddings_${model.id} e JOIN winnow.samples s USING (sample_id) ORDER BY s.path`,
        [],
        model.dim,
        photos.length,
      );
      const named = await w.db.all<{ path: string }>(
        `SELECT s.path FROM winnow.embeddings_${model.id} e JOIN winnow.samples s USING (sample_id) ORDER BY s.path`,
      );
      return [rows.vectors, rows.ids, named.map((r) => r.path)] as const;
    });
    expect(paths).toEqual(photos);
    const dim = vectors.length / photos.length;

    // Vocabulary: specials, filler words, and two tokens tied to photos 3 and 8.
    const vocab = ['[UNK]', '<|startoftext|>', '<|endoftext|>', 'a', 'photo', 'of', 'photo123', 'kitten7'];
    const tied: Record<string, number> = { photo123: 3, kitten7: 8 };
    const hidden = vocab.length;
    // Token t → unit vector e_t (specials → 0, filler words small); projection row t → the
    // stored vector of the photo tied to t, or pseudo-random for the other words.
    const embeddings = vocab.map((token, t) =>
      Array.from({ length: hidden }, (_, j) => (j !== t || t < 3 ? 0 : token in tied ? 10 : 0.05)),
    );
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const projection = vocab.map((token) =>
      token in tied
        ? Array.from(vectors.subarray(tied[token]! * dim, (tied[token]! + 1) * dim))
        : Array.from({ length: dim }, random),
    );
    const weights = join(root, 'tower', 'weights.json');
    writeFileSync(weights, JSON.stringify({ embeddings, projection }));
    execFileSync(PYTHON, [TEXT_TOWER, weights, join(root, 'tower', 'text.onnx')]);
    writeFileSync(join(root, 'tower', 'tokenizer.json'), JSON.stringify(wordPieceTokenizer(vocab)));

    const search = async (text: string) =>
      JSON.parse(
        await ok('search', '--dataset', 'small', '--model', config(), '--text', text, '-k', '3', '--json'),
      );
    const first = await search('A photo of photo123');
    expect(first.model).toBe('squeezenet1.1-embed');
    expect(first.query).toEqual({ text: 'A photo of photo123' });
    expect(first.results[0]).toMatchObject({ sample_id: ids[3], path: photos[3] });
    expect(first.results[0].score).toBeGreaterThan(0.95);
    const second = await search('kitten7');
    expect(second.results[0]).toMatchObject({ sample_id: ids[8], path: photos[8] });
    expect(second.results[0].score).toBeCloseTo(1, 4);
    // Longer than the context (16 tokens): cut, and still about photo123.
    const long = await search(`photo123 ${'of '.repeat(40)}`);
    expect(long.results[0].path).toBe(photos[3]);
    // The model is the only one, so --model may be left out; the config is then needed to embed.
    expect(await fails('search', '--dataset', 'small', '--text', 'kitten7')).toBe(
      "winnow: model 'squeezenet1.1-embed' is not built in: give its config file with --model to embed the query",
    );
  });
});

/** A CLIP-like tokenizer.json in miniature: lowercase, whitespace split, start and end tokens. */
function wordPieceTokenizer(vocab: string[]) {
  const special = (id: number) => ({
    id,
    content: vocab[id],
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0), special(1), special(2)],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '<|startoftext|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '<|startoftext|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
      ],
      special_tokens: Object.fromEntries(
        [1, 2].map((id) => [vocab[id], { id: vocab[id], ids: [id], tokens: [vocab[id]] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, id) => [token, id])),
    },
  };
}
