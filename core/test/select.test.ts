// Selection end to end: config checks, the hand-computed cases through core's public API, two
// batches, thresholds, balance on CIFAR-10's class folders, and the `winnow select` command.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import {
  importEmbeddings,
  importLightlyPredictions,
  importMetadataTable,
} from '../src/ingest/import/index.js';
import { ingest } from '../src/ingest/index.js';
import { checkSelectionConfig } from '../src/select/config.js';
import { runSelection } from '../src/select/run.js';
import type { Dataset, Workspace } from '../src/store/workspace.js';
import { Tags } from '../src/tags/tags.js';
import { COCO128, REPOSITORY, tempDir, tempWorkspace, winnow } from './helpers.js';

const CIFAR_TEST = join(REPOSITORY, '../shared/datasets/cifar10-test.tar.gz');
// A 1×1 PNG: the selection tests need real, distinct files, not image content.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

const open: Workspace[] = [];
afterEach(() => {
  for (const ws of open.splice(0)) ws.close();
});

/** A dataset of `n` images s0.png … s{n-1}.png, with per-file tables written beside it. */
async function smallDataset(
  n: number,
): Promise<{ ws: Workspace; dataset: Dataset; dir: string; files: string[] }> {
  const dir = tempDir();
  const images = join(dir, 'images');
  mkdirSync(images);
  const files = Array.from({ length: n }, (_, i) => `s${i}.png`);
  for (const f of files) writeFileSync(join(images, f), PNG);
  const ws = await tempWorkspace();
  open.push(ws);
  await ingest(ws, images, { dataset: 'd' });
  return { ws, dataset: await ws.dataset('d'), dir, files };
}

function csv(path: string, header: string[], rows: (string | number)[][]): string {
  writeFileSync(path, `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`);
  return path;
}

/** Selected filenames in pick order. */
async function picks(ws: Workspace, dataset: Dataset, config: unknown, tag: string): Promise<string[]> {
  const result = await runSelection(ws, dataset, checkSelectionConfig(config), { tag });
  return result.filenames;
}

describe('selection config', () => {
  const diversity = { input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } };

  it('accepts a Lightly Worker config unchanged, and its selection_config wrapper', () => {
    const lightly = {
      n_samples: 50,
      strategies: [
        {
          input: { type: 'EMBEDDINGS' },
          strategy: { type: 'DIVERSITY', stopping_condition_minimum_distance: 0.2 },
        },
        {
          input: { type: 'SCORES', task: 'det', score: 'uncertainty_entropy' },
          strategy: { type: 'WEIGHTS' },
        },
        {
          input: { type: 'METADATA', key: 'sharpness' },
          strategy: { type: 'THRESHOLD', threshold: 20, operation: 'BIGGER' },
        },
        {
          input: { type: 'PREDICTIONS', task: 'det', name: 'CLASS_DISTRIBUTION' },
          strategy: { type: 'BALANCE', target: { bus: 0.4 } },
        },
        { input: { type: 'RANDOM', random_seed: 42 }, strategy: { type: 'WEIGHTS', strength: 0.5 } },
      ],
    };
    const config = checkSelectionConfig({ selection_config: lightly });
    expect(config.nSamples).toBe(50);
    expect(config.strategies.map((s) => s.kind)).toEqual([
      'diversity',
      'weights',
      'threshold',
      'balance',
      'weights',
    ]);
    expect(config.strategies[2]).toMatchObject({ operation: '>', threshold: 20 });
    expect(config.strategies[3]).toMatchObject({ distribution: 'TARGET', target: { bus: 0.4 } });
  });

  it.each([
    [
      { strategies: [diversity] },
      'sel.yaml: n_samples: give exactly one of n_samples and proportion_samples',
    ],
    [
      { n_samples: 3, strategies: [{ ...diversity, strategy: { type: 'DIVERSITY', stenght: 2 } }] },
      /sel\.yaml: strategies\[0\]\.strategy: Unrecognized key: "stenght"/,
    ],
    [
      {
        n_samples: 3,
        strategies: [
          {
            input: { type: 'METADATA', key: 'k' },
            strategy: { type: 'THRESHOLD', threshold: 1, operation: 'LARGER' },
          },
        ],
      },
      /strategies\[0\]\.strategy\.operation/,
    ],
    [
      {
        n_samples: 3,
        strategies: [
          { input: { type: 'METADATA', key: 'k' }, strategy: { type: 'THRESHOLD', operation: '>' } },
        ],
      },
      'sel.yaml: strategies[0].strategy.threshold: required for THRESHOLD',
    ],
    [
      { n_samples: 3, strategies: [{ input: { type: 'SCORES', task: 't' }, strategy: { type: 'WEIGHTS' } }] },
      'sel.yaml: strategies[0].input.score: required for SCORES with WEIGHTS',
    ],
    [
      { n_samples: 3, strategies: [{ input: { type: 'RANDOM' }, strategy: { type: 'DIVERSITY' } }] },
      'sel.yaml: strategies[0].strategy.type: DIVERSITY does not take RANDOM input',
    ],
    [
      {
        n_samples: 3,
        strategies: [
          {
            input: { type: 'METADATA', key: 'c' },
            strategy: { type: 'BALANCE', target: { a: 0.7, b: 0.6 } },
          },
        ],
      },
      /strategies\[0\]\.strategy\.target: the fractions add up to 1\.3/,
    ],
    [{ proportion_samples: 1.5, strategies: [diversity] }, /proportion_samples/],
    [
      { n_samples: 10, sequence_length: 4, strategies: [diversity] },
      /n_samples: 10 frames is not a whole number of sequences of 4/,
    ],
  ])('refuses a bad config naming the field (%#)', (config, message) => {
    expect(() => checkSelectionConfig(config, 'sel.yaml')).toThrow(message);
    expect(() => checkSelectionConfig(config, 'sel.yaml')).toThrow(InputError);
  });

  it('fails before any work on a missing key, task, tag or model, and records no run', async () => {
    const { ws, dataset } = await smallDataset(3);
    const tags = new Tags(ws, dataset);
    await tags.create('taken', { all: true });
    const cases: [unknown, string, RegExp][] = [
      [
        {
          n_samples: 1,
          strategies: [{ input: { type: 'METADATA', key: 'nope' }, strategy: { type: 'WEIGHTS' } }],
        },
        'a',
        /strategies\[0\]\.input\.key: dataset 'd' has no metadata 'nope'/,
      ],
      [
        {
          n_samples: 1,
          strategies: [
            { input: { type: 'SCORES', task: 'x', score: 'max_score' }, strategy: { type: 'WEIGHTS' } },
          ],
        },
        'a',
        /strategies\[0\]\.input\.task: dataset 'd' has no task 'x'/,
      ],
      [
        { n_samples: 1, strategies: [{ input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } }] },
        'a',
        /strategies\[0\]\.input: dataset 'd' has no embeddings yet/,
      ],
      [
        {
          n_samples: 1,
          preselected_tag: 'ghost',
          strategies: [{ input: { type: 'RANDOM' }, strategy: { type: 'WEIGHTS' } }],
        },
        'a',
        /no tag named 'ghost'/,
      ],
      [
        { n_samples: 1, strategies: [{ input: { type: 'RANDOM' }, strategy: { type: 'WEIGHTS' } }] },
        ' padded',
        /tag name ' padded': 1 to 256 characters/,
      ],
    ];
    for (const [config, tag, message] of cases) {
      await expect(runSelection(ws, dataset, checkSelectionConfig(config), { tag })).rejects.toThrow(message);
    }
    const runs = await ws.db.value<number>("SELECT count(*) FROM winnow.runs WHERE kind = 'selection'");
    // The preselected tag is resolved once the run has started: that one run is recorded as failed.
    expect(runs).toBeLessThanOrEqual(1);
    expect((await tags.list()).map((t) => t.name)).toEqual(['taken']);
  });
});

describe('selecting again into an existing tag', () => {
  it('makes the next version of the tag with the new picks; the earlier picks stay readable', async () => {
    const { ws, dataset, dir, files } = await smallDataset(3);
    csv(
      join(dir, 'm.csv'),
      ['filename', 'up', 'down'],
      files.map((f, i) => [f, [1, 2, 3][i]!, [3, 2, 1][i]!]),
    );
    await importMetadataTable(ws, dataset, join(dir, 'm.csv'));
    const by = (key: string) =>
      checkSelectionConfig({
        n_samples: 1,
        strategies: [{ input: { type: 'METADATA', key }, strategy: { type: 'WEIGHTS' } }],
      });
    const first = await runSelection(ws, dataset, by('up'), { tag: 'best' });
    const second = await runSelection(ws, dataset, by('down'), { tag: 'best' });
    expect([first.tag_version, first.filenames]).toEqual([1, ['s2.png']]);
    expect([second.tag_version, second.filenames]).toEqual([2, ['s0.png']]);
    const tags = new Tags(ws, dataset);
    expect(await tags.members('best')).toEqual({ version: 2, files: ['s0.png'] });
    expect(await tags.members('best', 1)).toEqual({ version: 1, files: ['s2.png'] });
    expect((await tags.history('best')).map((v) => [v.operation, v.size])).toEqual([
      ['create', 1],
      ['replace', 1],
    ]);
  });
});

describe('hand-computed selections through core', () => {
  it('diversity: three directions at 0°, 60°, 120°, choose 2 → the first and the last', async () => {
    const { ws, dataset, dir, files } = await smallDataset(3);
    const angle = [0, 60, 120].map((a) => (a * Math.PI) / 180);
    csv(
      join(dir, 'e.csv'),
      ['filename', 'embedding_0', 'embedding_1'],
      files.map((f, i) => [f, Math.cos(angle[i]!), Math.sin(angle[i]!)]),
    );
    await importEmbeddings(ws, dataset, join(dir, 'e.csv'));
    const config = {
      n_samples: 2,
      strategies: [{ input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } }],
    };
    expect(await picks(ws, dataset, config, 'div')).toEqual(['s0.png', 's2.png']);
  });

  it('two weightings [1,2,3] and [6,5,3], choose 2 → [1, 2]', async () => {
    const { ws, dataset, dir, files } = await smallDataset(3);
    csv(
      join(dir, 'm.csv'),
      ['filename', 'w1', 'w2'],
      files.map((f, i) => [f, [1, 2, 3][i]!, [6, 5, 3][i]!]),
    );
    await importMetadataTable(ws, dataset, join(dir, 'm.csv'));
    const weights = (key: string) => ({ input: { type: 'METADATA', key }, strategy: { type: 'WEIGHTS' } });
    const config = { n_samples: 2, strategies: [weights('w1'), weights('w2')] };
    expect(await picks(ws, dataset, config, 'w')).toEqual(['s1.png', 's2.png']);
  });

  it('class rows [[1,0],[0.3,0.7],[0,1],[0,1],[1,1]] balanced to [0.5, 0.5], choose 2 → [4, 1]', async () => {
    const { ws, dataset, dir, files } = await smallDataset(5);
    const rows = [
      [1, 0],
      [0.3, 0.7],
      [0, 1],
      [0, 1],
      [1, 1],
    ];
    const lightly = join(dir, 'predictions');
    mkdirSync(join(lightly, 'cls'), { recursive: true });
    writeFileSync(join(lightly, 'tasks.json'), JSON.stringify(['cls']));
    writeFileSync(
      join(lightly, 'cls', 'schema.json'),
      JSON.stringify({
        task_type: 'classification',
        categories: [
          { id: 0, name: 'a' },
          { id: 1, name: 'b' },
        ],
      }),
    );
    files.forEach((f, i) => {
      const record = {
        file_name: f,
        predictions: [{ category_id: i === 1 ? 1 : 0, probabilities: rows[i] }],
      };
      writeFileSync(join(lightly, 'cls', f.replace('.png', '.json')), JSON.stringify(record));
    });
    await importLightlyPredictions(ws, dataset, lightly);
    const config = {
      n_samples: 2,
      strategies: [
        {
          input: { type: 'PREDICTIONS', task: 'cls', name: 'CLASS_DISTRIBUTION' },
          strategy: { type: 'BALANCE', target: { a: 0.5, b: 0.5 } },
        },
      ],
    };
    expect(await picks(ws, dataset, config, 'bal')).toEqual(['s4.png', 's1.png']);
  });
});

describe('selection runs', () => {
  async function withInputs(n: number) {
    const set = await smallDataset(n);
    const { ws, dataset, dir, files } = set;
    let seed = 7;
    const next = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const dim = 8;
    csv(
      join(dir, 'e.csv'),
      ['filename', ...Array.from({ length: dim }, (_, j) => `embedding_${j}`)],
      files.map((f) => [f, ...Array.from({ length: dim }, () => next() * 2 - 1)]),
    );
    await importEmbeddings(ws, dataset, join(dir, 'e.csv'));
    csv(
      join(dir, 'm.csv'),
      ['filename', 'quality', 'camera'],
      files.map((f, i) => [f, Math.round(next() * 100), i % 3 ? 'front' : 'rear']),
    );
    await importMetadataTable(ws, dataset, join(dir, 'm.csv'));
    return set;
  }

  it('two batches give the same picks as one run, and thresholds are never violated', async () => {
    const { ws, dataset } = await withInputs(120);
    const strategies = [
      { input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } },
      { input: { type: 'METADATA', key: 'quality' }, strategy: { type: 'WEIGHTS', strength: 0.5 } },
      { input: { type: 'METADATA', key: 'camera' }, strategy: { type: 'BALANCE', distribution: 'UNIFORM' } },
      {
        input: { type: 'METADATA', key: 'quality' },
        strategy: { type: 'THRESHOLD', threshold: 20, operation: 'BIGGER_EQUAL' },
      },
    ];
    const once = await picks(ws, dataset, { n_samples: 30, strategies }, 'once');
    const first = await picks(ws, dataset, { n_samples: 12, strategies }, 'first');
    const second = await picks(
      ws,
      dataset,
      { n_samples: 18, strategies, preselected_tag: 'first' },
      'second',
    );
    expect([...first, ...second]).toEqual(once);
    const quality = new Map(
      (
        await ws.db.all<{ filename: string; value_num: number }>(
          "SELECT s.filename, m.value_num FROM samples s JOIN metadata m USING (sample_id) WHERE m.key = 'quality'",
        )
      ).map((r) => [r.filename, r.value_num]),
    );
    expect(once.every((f) => quality.get(f)! >= 20)).toBe(true);
    expect(new Set(once).size).toBe(30);
  });

  it('records the run, writes report.json and a self-contained report.html', async () => {
    const { ws, dataset } = await withInputs(60);
    const config = checkSelectionConfig({
      n_samples: 10,
      where: "filename <> 's0.png'",
      strategies: [
        { input: { type: 'EMBEDDINGS' }, strategy: { type: 'TYPICALITY' } },
        { input: { type: 'METADATA', key: 'camera' }, strategy: { type: 'BALANCE', target: { rear: 0.5 } } },
      ],
    });
    const result = await runSelection(ws, dataset, config, { tag: 'typical' });
    expect(result.filenames).toHaveLength(10);
    expect(result.filenames).not.toContain('s0.png');
    const report = JSON.parse(readFileSync(result.report.json, 'utf8'));
    expect(report).toMatchObject({
      run_id: result.run_id,
      tag: 'typical',
      counts: { selected: 10 },
      funnel: { items: 60, where: 1 },
    });
    expect(report.strategies[0].histogram.all.reduce((a: number, b: number) => a + b, 0)).toBe(59);
    expect(report.strategies[1].classes.names).toEqual(['rear', 'other']);
    const html = readFileSync(result.report.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\//);
    const run = await ws.db.one<{ status: string; stats: string }>(
      'SELECT status, stats FROM winnow.runs WHERE run_id = ?',
      [result.run_id],
    );
    expect(run?.status).toBe('done');
    expect(JSON.parse(run!.stats).fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((await new Tags(ws, dataset).members('typical')).files.sort()).toEqual(
      [...result.filenames].sort(),
    );
  });
});

describe('balance on CIFAR-10', () => {
  it('reaches a skewed class target within 2% (1,000 of the 10,000 test images, class from the folder)', async () => {
    const dir = tempDir();
    execFileSync('tar', ['xzf', CIFAR_TEST, '-C', dir]);
    const ws = await tempWorkspace();
    open.push(ws);
    await ingest(ws, join(dir, 'test'), { dataset: 'cifar' });
    const dataset = await ws.dataset('cifar');
    const classes = readdirSync(join(dir, 'test')).sort();
    const rows = classes.flatMap((c) => readdirSync(join(dir, 'test', c)).map((f) => [`${c}/${f}`, c]));
    await importMetadataTable(ws, dataset, csv(join(dir, 'classes.csv'), ['filename', 'label'], rows));
    const target = Object.fromEntries(classes.map((c, i) => [c, i === 0 ? 0.25 : i < 4 ? 0.15 : 0.3 / 6]));
    const config = {
      n_samples: 1000,
      strategies: [
        { input: { type: 'METADATA', key: 'label' }, strategy: { type: 'BALANCE', target } },
        { input: { type: 'RANDOM', random_seed: 3 }, strategy: { type: 'WEIGHTS' } },
      ],
    };
    const chosen = await picks(ws, dataset, config, 'balanced');
    expect(chosen).toHaveLength(1000);
    for (const c of classes) {
      const share = chosen.filter((f) => f.startsWith(`${c}/`)).length / 1000;
      expect(Math.abs(share - target[c]!)).toBeLessThanOrEqual(0.02);
    }
  });
});

describe('winnow select', () => {
  it('selects exactly n_samples from coco128 with imported embeddings, creates the tag and the reports', async () => {
    const dir = tempDir();
    const ws = join(dir, '.winnow');
    expect((await winnow(ws, 'ingest', join(COCO128, 'images'), '--dataset', 'coco')).code).toBe(0);
    const files = readdirSync(join(COCO128, 'images')).sort();
    const embeddings = csv(
      join(dir, 'emb.csv'),
      ['filenames', 'embedding_0', 'embedding_1', 'embedding_2', 'labels'],
      files.map((f, i) => [f, Math.sin(i), Math.cos(i * 1.7), (i % 7) / 7, 0]),
    );
    const imported = await winnow(ws, 'import', '--dataset', 'coco', '--embeddings', embeddings, '--json');
    expect(imported.code).toBe(0);
    const config = join(dir, 'sel.yaml');
    writeFileSync(
      config,
      'n_samples: 20\nstrategies:\n  - input: {type: EMBEDDINGS}\n    strategy: {type: DIVERSITY}\n',
    );
    const selected = await winnow(
      ws,
      'select',
      '--dataset',
      'coco',
      '--config',
      config,
      '--tag',
      'picked',
      '--json',
    );
    expect(selected.stderr).toBe('');
    expect(selected.code).toBe(0);
    const result = JSON.parse(selected.stdout);
    expect(result).toMatchObject({ tag: 'picked', run_id: expect.stringMatching(/^selection-/) });
    expect(result.filenames).toHaveLength(20);
    expect(new Set(result.filenames).size).toBe(20);
    expect(existsSync(result.report.json) && existsSync(result.report.html)).toBe(true);
    expect(result.report.json).toBe(join(dir, '.winnow', 'runs', result.run_id, 'report.json'));
    const tagged = await winnow(ws, 'export', '--dataset', 'coco', '--tag', 'picked', '--json');
    expect(JSON.parse(tagged.stdout).files ?? JSON.parse(tagged.stdout)).toBeTruthy();
    const again = await winnow(ws, 'select', '--dataset', 'coco', '--config', config, '--tag', 'picked');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^selected 20 samples of coco into tag picked \(version 2\) in /);
  });
});

describe('object-level and sequence selection', () => {
  // Crops and frames are made by the embedding pipeline; here they are inserted as that pipeline
  // would store them (samples with a parent), since this test is about selecting them.
  async function addChildren(
    ws: Workspace,
    dataset: Dataset,
    parent: string,
    kind: 'crop' | 'frame',
    count: number,
  ) {
    const parentId = await ws.db.value<number>(
      'SELECT sample_id FROM winnow.samples WHERE dataset_id = ? AND path = ?',
      [dataset.id, parent],
    );
    for (let i = 0; i < count; i++) {
      await ws.db.run(
        `INSERT INTO winnow.samples (sample_id, dataset_id, kind, path, parent_id, frame_time, status)
         VALUES (nextval('winnow.sample_ids'), ?, ?, ?, ?, ?, 'ok')`,
        [dataset.id, kind, `${parent}/${kind}_${i}`, parentId, kind === 'frame' ? (count - i) / 10 : null],
      );
    }
  }

  const unit = (degrees: number) => [
    Math.cos((degrees * Math.PI) / 180),
    Math.sin((degrees * Math.PI) / 180),
  ];

  it('object_level selects crops, not images', async () => {
    const { ws, dataset, dir } = await smallDataset(2);
    await addChildren(ws, dataset, 's0.png', 'crop', 3);
    const angles = {
      's0.png': 90,
      's1.png': 45,
      's0.png/crop_0': 0,
      's0.png/crop_1': 60,
      's0.png/crop_2': 120,
    };
    csv(
      join(dir, 'e.csv'),
      ['filename', 'embedding_0', 'embedding_1'],
      Object.entries(angles).map(([f, a]) => [f, ...unit(a)]),
    );
    await importEmbeddings(ws, dataset, join(dir, 'e.csv'));
    const strategies = [{ input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } }];
    expect(await picks(ws, dataset, { n_samples: 2, object_level: true, strategies }, 'crops')).toEqual([
      's0.png/crop_0',
      's0.png/crop_2',
    ]);
  });

  it('sequence_length selects whole runs of consecutive frames, scored by their mean embedding', async () => {
    const { ws, dataset, dir } = await smallDataset(1);
    await addChildren(ws, dataset, 's0.png', 'frame', 10);
    // frame_time runs backwards to the insertion order: frame_9 is first in time. Runs of 3 in
    // time order: (9,8,7), (6,5,4), (3,2,1); frame_0 is a partial run and is dropped.
    const runAngle = [0, 60, 120];
    const rows = Array.from({ length: 10 }, (_, i) => {
      const run = Math.min(2, Math.floor((9 - i) / 3));
      const jitter = ((9 - i) % 3) - 1;
      return [`s0.png/frame_${i}`, ...unit(runAngle[run]! + jitter * 5)];
    });
    csv(join(dir, 'e.csv'), ['filename', 'embedding_0', 'embedding_1'], rows);
    await importEmbeddings(ws, dataset, join(dir, 'e.csv'));
    const strategies = [{ input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } }];
    const chosen = await picks(ws, dataset, { n_samples: 6, sequence_length: 3, strategies }, 'runs');
    expect(chosen).toEqual([
      's0.png/frame_7',
      's0.png/frame_8',
      's0.png/frame_9',
      's0.png/frame_1',
      's0.png/frame_2',
      's0.png/frame_3',
    ]);
  });
});
