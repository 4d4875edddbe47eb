import { describe, expect, it } from 'vitest';
import { parseConfigText, scopeCondition, selectionConfig } from '../src/selection-config.js';

const none = { diversity: false, typicality: false, balance: false, random: false, n: 10 };

describe('the selection form as a selection config', () => {
  it('builds the strategies the form ticks, in the Lightly Worker schema', () => {
    const config = selectionConfig({ ...none, diversity: true, balance: true, balanceTask: 'det', n: 5 });
    expect(config).toEqual({
      n_samples: 5,
      strategies: [
        { input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } },
        {
          input: { type: 'PREDICTIONS', task: 'det', name: 'CLASS_DISTRIBUTION' },
          strategy: { type: 'BALANCE', distribution: 'UNIFORM' },
        },
      ],
    });
    const other = selectionConfig({
      ...none,
      typicality: true,
      random: true,
      randomSeed: 7,
      model: 'clip',
      where: 'width > 5',
    });
    expect(other).toEqual({
      n_samples: 10,
      where: 'width > 5',
      strategies: [
        { input: { type: 'EMBEDDINGS', model: 'clip' }, strategy: { type: 'TYPICALITY' } },
        { input: { type: 'RANDOM', random_seed: 7 }, strategy: { type: 'WEIGHTS' } },
      ],
    });
  });

  it('refuses a form without strategies, a bad count, or balance without predictions', () => {
    expect(() => selectionConfig(none)).toThrow('choose at least one');
    expect(() => selectionConfig({ ...none, random: true, n: 0 })).toThrow('at least 1');
    expect(() => selectionConfig({ ...none, random: true, n: 2.5 })).toThrow('whole number');
    expect(() => selectionConfig({ ...none, balance: true })).toThrow('no predictions');
  });

  it('keeps the picks within the query or the selection', () => {
    expect(scopeCondition('all', 'width > 1', [1])).toBeUndefined();
    expect(scopeCondition('query', ' ', [1])).toBeUndefined();
    expect(scopeCondition('query', 'width > 1', [])).toBe('width > 1');
    expect(scopeCondition('selection', '', Int32Array.of(3, 5))).toBe('sample_id IN (3, 5)');
    expect(() => scopeCondition('selection', '', [])).toThrow('nothing is selected');
  });

  it('reads the edited config', () => {
    expect(parseConfigText('{"n_samples": 3}')).toEqual({ n_samples: 3 });
    expect(() => parseConfigText('{n_samples: 3}')).toThrow('not valid JSON');
    expect(() => parseConfigText('[1]')).toThrow('expected an object');
  });
});
