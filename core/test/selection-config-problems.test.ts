// What an editor marks in a selection config (extension-vscode's diagnostics): every problem, each
// at its field, with the message `winnow select --config` gives less the file name.
import { describe, expect, it } from 'vitest';
import { checkSelectionConfig, selectionConfigProblems } from '../src/select/config.js';
import { parseFieldPath } from '../src/util/config-file.js';

const diversity = { input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } };

describe('selection config problems', () => {
  it('are none for a good config, plain or inside a Lightly Worker config', () => {
    expect(selectionConfigProblems({ n_samples: 3, strategies: [diversity] })).toEqual([]);
    expect(
      selectionConfigProblems({ selection_config: { proportion_samples: 0.5, strategies: [diversity] } }),
    ).toEqual([]);
  });

  it('are every schema problem, an unknown key at that key, where the CLI stops at the first', () => {
    const config = {
      n_samples: 3,
      strategies: [{ input: { type: 'EMBEDDINGS', tyep: 1, kye: 2 }, strategy: { type: 'DIVERSTY' } }],
    };
    const problems = selectionConfigProblems(config);
    expect(problems.map((p) => p.path)).toEqual([
      ['strategies', 0, 'input', 'tyep'],
      ['strategies', 0, 'input', 'kye'],
      ['strategies', 0, 'strategy', 'type'],
    ]);
    expect(problems[0]!.message).toBe('strategies[0].input: Unrecognized keys: "tyep", "kye"');
    expect(problems[2]!.message).toMatch(
      /^strategies\[0\]\.strategy\.type: Invalid option: expected one of "DIVERSITY"/,
    );
    // The CLI's message is the first of them, with the file's name in front.
    expect(() => checkSelectionConfig(config, 'sel.yaml')).toThrow(`sel.yaml: ${problems[0]!.message}`);
  });

  it('are the first check across fields once the shape is right, at the field it names', () => {
    const config = {
      selection_config: {
        n_samples: 3,
        strategies: [diversity, { input: { type: 'SCORES', task: 't' }, strategy: { type: 'WEIGHTS' } }],
      },
    };
    expect(selectionConfigProblems(config)).toEqual([
      {
        path: ['selection_config', 'strategies', 1, 'input', 'score'],
        message: 'selection_config.strategies[1].input.score: required for SCORES with WEIGHTS',
      },
    ]);
    expect(() => checkSelectionConfig(config, 'sel.yaml')).toThrow(
      'sel.yaml: selection_config.strategies[1].input.score: required for SCORES with WEIGHTS',
    );
  });

  it('name the whole file when it is not a mapping', () => {
    expect(selectionConfigProblems(null)).toEqual([
      { path: [], message: 'Invalid input: expected object, received null' },
    ]);
  });

  it('read field paths back into keys and indices', () => {
    expect(parseFieldPath('selection_config.strategies[12].strategy.target')).toEqual([
      'selection_config',
      'strategies',
      12,
      'strategy',
      'target',
    ]);
    expect(parseFieldPath('')).toEqual([]);
  });
});
