// A selection config as the editor reads it: each problem core's schema finds, at the text of the
// field it names, with the message `winnow select --config` prints.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COCO128, tempDir, winnow } from '../../core/test/helpers.js';
import { readConfigDocument } from '../src/configs/config-document.js';

/** The text each problem marks, with its message. */
function marked(text: string, fileName: string) {
  const { problems } = readConfigDocument(text, fileName);
  return problems.map((problem) => ({
    text: text.slice(problem.start, problem.end),
    message: problem.message,
  }));
}

const MISSPELT = `n_samples: 10
strategies:
  - input:
      type: EMBEDDINGS
      modle: clip
    strategy:
      type: DIVERSTY
`;

describe('a YAML selection config in the editor', () => {
  it('marks a misspelt key and a wrong value where they are, each with the CLI message', () => {
    expect(marked(MISSPELT, 'diverse.selection.yaml')).toEqual([
      { text: 'modle: clip', message: 'strategies[0].input: Unrecognized key: "modle"' },
      {
        text: 'type: DIVERSTY',
        message: expect.stringMatching(
          /^strategies\[0\]\.strategy\.type: Invalid option: expected one of "DIVERSITY"/,
        ),
      },
    ]);
  });

  it("gives as its first problem what winnow select --config prints, less the file's name", async () => {
    const folder = tempDir();
    mkdirSync(join(folder, 'images'));
    copyFileSync(join(COCO128, 'images', '000000000009.jpg'), join(folder, 'images', 'a.jpg'));
    const workspace = join(folder, '.winnow');
    expect((await winnow(workspace, 'ingest', join(folder, 'images'), '--dataset', 'd')).code).toBe(0);
    writeFileSync(join(folder, 'diverse.selection.yaml'), MISSPELT);
    const cli = await winnow(
      workspace,
      'select',
      '--dataset',
      'd',
      '--config',
      join(folder, 'diverse.selection.yaml'),
      '--tag',
      't',
    );
    expect(cli.code).not.toBe(0);
    const [first] = marked(MISSPELT, 'diverse.selection.yaml');
    expect(cli.stderr.trim()).toBe(`winnow: diverse.selection.yaml: ${first!.message}`);
  });

  it('marks a field missing for its input on the field that lacks it, once the shape is right', () => {
    const text =
      'n_samples: 5\nstrategies:\n  - input: {type: SCORES, task: det}\n    strategy: {type: WEIGHTS}\n';
    const block =
      'n_samples: 5\nstrategies:\n  - input:\n      type: SCORES\n    strategy: {type: WEIGHTS}\n';
    expect(marked(block, 'a.selection.yml')[0]!.text).toBe('input');
    expect(marked(text, 'a.selection.yml')).toEqual([
      {
        text: 'input: {type: SCORES, task: det}',
        message: 'strategies[0].input.score: required for SCORES with WEIGHTS',
      },
    ]);
  });

  it('marks a field missing on the first line of what should hold it, and a list item on its own', () => {
    expect(marked('# picks\nstrategies:\n  - input: {type: EMBEDDINGS}\n', 'selection.yaml')).toEqual([
      {
        text: 'input: {type: EMBEDDINGS}',
        message: 'strategies[0].strategy: Invalid input: expected object, received undefined',
      },
    ]);
    expect(marked('strategies:\n  - 3\n', 'selection.yaml')).toEqual([
      { text: '3', message: 'strategies[0]: Invalid input: expected object, received number' },
    ]);
    const text = 'strategies:\n  - input: {type: EMBEDDINGS}\n    strategy: {type: DIVERSITY}\n';
    expect(marked(text, 'selection.yaml')).toEqual([
      { text: 'strategies:', message: 'n_samples: give exactly one of n_samples and proportion_samples' },
    ]);
  });

  it('reads a Lightly Worker config, its fields under selection_config', () => {
    const text = 'worker_config: {}\nselection_config:\n  n_samples: 0\n  strategies: []\n';
    expect(marked(text, 'worker.yaml')).toEqual([
      { text: 'n_samples: 0', message: 'selection_config.n_samples: Too small: expected number to be >=1' },
      {
        text: 'strategies: []',
        message: 'selection_config.strategies: Too small: expected array to have >=1 items',
      },
    ]);
  });

  it('reports a YAML syntax error where the parser stopped, and nothing else', () => {
    const text = 'n_samples: 3\nstrategies: [\n  {input: {type: EMBEDDINGS}\n';
    const problems = readConfigDocument(text, 'selection.yaml').problems;
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((problem) => problem.message.startsWith('not valid YAML: '))).toBe(true);
    expect(text.slice(0, problems[0]!.start).split('\n').length).toBeGreaterThan(1);
  });

  it('is not a config, and has no problems, without strategies or a selection name', () => {
    expect(readConfigDocument('services:\n  web: {image: nginx}\n', 'docker-compose.yml')).toEqual({
      isConfig: false,
      problems: [],
    });
    expect(readConfigDocument('strategies: 3\n', 'anything.yaml').isConfig).toBe(true);
    expect(readConfigDocument('notes: {strategies: 3}\n', 'anything.yaml').isConfig).toBe(false);
    const long = `strategies: []\n${'# padding\n'.repeat(120_000)}`;
    expect(readConfigDocument(long, 'huge.yaml').isConfig).toBe(false);
    expect(readConfigDocument(long, 'huge.selection.yaml').isConfig).toBe(true);
    expect(readConfigDocument('', 'selection.yaml')).toEqual({
      isConfig: true,
      problems: [{ start: 0, end: 0, message: 'Invalid input: expected object, received null' }],
      raw: null,
    });
  });
});

describe('a JSON selection config in the editor', () => {
  const text = `{
  "proportion_samples": 0.1,
  "strategies": [
    {"input": {"type": "METADATA", "key": "sharpness"}, "strategy": {"type": "THRESHOLD", "operaton": ">"}}
  ]
}
`;

  it('marks the problems on the JSON text, as JSON.parse reads it', () => {
    expect(marked(text, 'sharp.selection.json')).toEqual([
      { text: '"operaton": ">"', message: 'strategies[0].strategy: Unrecognized key: "operaton"' },
    ]);
    expect(readConfigDocument(text.replace('"operaton"', '"operation"'), 'x.json').problems).toEqual([
      expect.objectContaining({ message: 'strategies[0].strategy.threshold: required for THRESHOLD' }),
    ]);
  });

  it("reports invalid JSON with the CLI's message, even where YAML would read it", () => {
    const trailingComma = '{"strategies": [],\n}\n';
    const [problem] = readConfigDocument(trailingComma, 'selection.json').problems;
    expect(problem).toMatchObject({ message: expect.stringMatching(/^not valid JSON/) });
    expect(trailingComma.slice(problem!.start, problem!.end)).toBe('}');
  });
});
