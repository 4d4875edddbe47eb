// What Run Selection takes for a config, and the tag's name it offers (from the file's).
import { describe, expect, it } from 'vitest';
import { defaultTagName, isConfigCandidate, isConventionalName } from '../src/configs/selection-file.js';
import { existingTagNote, tagNameProblem } from '../src/configs/tag-name.js';

describe('running a selection config', () => {
  it('names the tag after the file', () => {
    expect(defaultTagName('/w/configs/diverse.selection.yaml')).toBe('diverse');
    expect(defaultTagName('/w/selection-hard.json')).toBe('selection-hard');
    expect(defaultTagName('/w/.selection.yml')).toBe('selection');
  });

  it('refuses a blank tag name and says that an existing one gets its next version, as the user types', () => {
    const taken = new Set(['batch-1']);
    expect(tagNameProblem('  ')).toBe('name the tag the selected samples go into');
    expect(tagNameProblem('batch-1')).toBeUndefined();
    expect(existingTagNote('batch-1', taken, 'coco')).toBe(
      "tag 'batch-1' of 'coco' exists: the selection becomes its next version",
    );
    expect(existingTagNote('batch-2', taken, 'coco')).toBeUndefined();
  });

  it('takes YAML and JSON files for configs, by name or language', () => {
    expect(isConfigCandidate('/w/a.yml', 'plaintext')).toBe(true);
    expect(isConfigCandidate('Untitled-1', 'yaml')).toBe(true);
    expect(isConfigCandidate('/w/train.py', 'python')).toBe(false);
    expect(isConventionalName('/w/SELECTION.YAML')).toBe(true);
    expect(isConventionalName('/w/my.selection.txt')).toBe(false);
  });
});
