// What Run Selection asks: the dataset (the panel's first), the new tag's name (from the file's).
import { describe, expect, it } from 'vitest';
import type { DatasetInfo } from '../../core/src/store/info.js';
import { datasetChoices, tagNameProblem } from '../src/configs/run-choices.js';
import {
  defaultTagName,
  freeTagName,
  isConfigCandidate,
  isConventionalName,
} from '../src/configs/selection-file.js';
import { progressMessage } from '../src/job-progress.js';

describe('running a selection config', () => {
  it("offers the workspace's datasets, the one open in the panel first", () => {
    const datasets = [
      { name: 'coco', samples: 128 },
      { name: 'birds', samples: 1200 },
    ] as DatasetInfo[];
    expect(datasetChoices(datasets, 'birds')).toEqual([
      { label: 'birds', description: '1200 samples · open in the panel' },
      { label: 'coco', description: '128 samples' },
    ]);
    expect(datasetChoices(datasets, undefined).map((choice) => choice.label)).toEqual(['coco', 'birds']);
  });

  it("names the new tag after the file, past the dataset's tags", () => {
    expect(defaultTagName('/w/configs/diverse.selection.yaml')).toBe('diverse');
    expect(defaultTagName('/w/selection-hard.json')).toBe('selection-hard');
    expect(defaultTagName('/w/.selection.yml')).toBe('selection');
    expect(freeTagName('diverse', new Set(['diverse', 'diverse-2']))).toBe('diverse-3');
    expect(freeTagName('diverse', new Set(['other']))).toBe('diverse');
  });

  it('refuses a blank tag name or one the dataset has, as the user types', () => {
    const taken = new Set(['batch-1']);
    expect(tagNameProblem('  ', taken, 'coco')).toBe('name the tag the selected samples go into');
    expect(tagNameProblem('batch-1', taken, 'coco')).toBe("tag 'batch-1' already exists in dataset 'coco'");
    expect(tagNameProblem('batch-2', taken, 'coco')).toBeUndefined();
  });

  it('takes YAML and JSON files for configs, by name or language', () => {
    expect(isConfigCandidate('/w/a.yml', 'plaintext')).toBe(true);
    expect(isConfigCandidate('Untitled-1', 'yaml')).toBe(true);
    expect(isConfigCandidate('/w/train.py', 'python')).toBe(false);
    expect(isConventionalName('/w/SELECTION.YAML')).toBe(true);
    expect(isConventionalName('/w/my.selection.txt')).toBe(false);
  });

  it("shows the job's progress as its phase and share", () => {
    expect(progressMessage({ phase: 'ranking', done: 400, total: 1000 })).toBe('ranking: 40% (400 of 1,000)');
    expect(progressMessage({ phase: 'listing', done: 12345 })).toBe('listing: 12,345');
    expect(progressMessage({ phase: 'storing', done: 0, total: 0 })).toBe('storing: 100% (0 of 0)');
  });
});
