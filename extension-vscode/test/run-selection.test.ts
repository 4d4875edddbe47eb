// What Run Selection takes for a config, and the new tag's name it offers (from the file's).
import { describe, expect, it } from 'vitest';
import {
  defaultTagName,
  freeTagName,
  isConfigCandidate,
  isConventionalName,
} from '../src/configs/selection-file.js';
import { tagNameProblem } from '../src/configs/tag-name.js';

describe('running a selection config', () => {
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
});
