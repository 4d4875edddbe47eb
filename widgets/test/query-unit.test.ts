import { describe, expect, it } from 'vitest';
import {
  chipFromInput,
  chipText,
  combineConditions,
  conditionOf,
  FILTER_EVENT,
  type FilterChip,
  opsFor,
  requestFilter,
  sqlString,
} from '../src/query-conditions.js';

describe('filter chips as SQL conditions over the samples view', () => {
  it('quotes strings by doubling single quotes', () => {
    expect(sqlString("O'Brien's")).toBe("'O''Brien''s'");
    expect(conditionOf({ field: 'format', op: '=', value: "j'peg" })).toBe("format = 'j''peg'");
  });

  it('compares numeric columns as numbers and refuses a value that is not one', () => {
    expect(conditionOf({ field: 'width', op: '>', value: 500 })).toBe('width > 500');
    expect(conditionOf({ field: 'size', op: 'range', value: [10, 20.5] })).toBe('size >= 10 AND size < 20.5');
    expect(() => conditionOf({ field: 'width', op: '>', value: '1; DROP TABLE x' })).toThrow('not a number');
    expect(() => conditionOf({ field: 'nope', op: '=', value: 'x' })).toThrow("unknown field 'nope'");
  });

  it('asks whether any label or tag of the sample matches, and != means none does', () => {
    expect(conditionOf({ field: 'prediction.category', op: '=', value: 'cat' })).toBe(
      "sample_id IN (SELECT sample_id FROM predictions WHERE category = 'cat')",
    );
    expect(conditionOf({ field: 'annotation.category', op: '!=', value: 'dog' })).toBe(
      "sample_id NOT IN (SELECT sample_id FROM annotations WHERE category = 'dog')",
    );
    expect(conditionOf({ field: 'tag', op: '=', value: "it's" })).toBe(
      "sample_id IN (SELECT sample_id FROM tag_members WHERE tag = 'it''s')",
    );
    expect(() => conditionOf({ field: 'tag', op: '<', value: 'x' })).toThrow('only = and !=');
  });

  it('matches a missing value with IS NULL', () => {
    expect(conditionOf({ field: 'format', op: '=', value: null })).toBe('format IS NULL');
    expect(conditionOf({ field: 'format', op: '!=', value: null })).toBe('format IS NOT NULL');
  });

  it('ANDs the chips and the SQL text, each in parentheses, and leaves a single part bare', () => {
    const chips: FilterChip[] = [
      { field: 'kind', op: '=', value: 'image' },
      { field: 'width', op: '>=', value: 100 },
    ];
    expect(combineConditions(chips, ' height < 300 OR height > 900 ')).toBe(
      "(kind = 'image') AND (width >= 100) AND (height < 300 OR height > 900)",
    );
    expect(combineConditions([], 'width > 500')).toBe('width > 500');
    expect(combineConditions([], '  ')).toBe('');
  });

  it('reads the add-filter row, checking numbers before any query', () => {
    expect(chipFromInput('width', '>', ' 640 ')).toEqual({ field: 'width', op: '>', value: 640 });
    expect(chipFromInput('format', '=', 'png')).toEqual({ field: 'format', op: '=', value: 'png' });
    expect(() => chipFromInput('width', '>', 'wide')).toThrow("'wide' is not a number");
    expect(() => chipFromInput('tag', '=', ' ')).toThrow('give a value');
    expect(opsFor('height')).toContain('<=');
    expect(opsFor('tag')).toEqual(['=', '!=']);
  });

  it('labels chips for people and carries them to the query bar as an event', () => {
    expect(chipText({ field: 'width', op: 'range', value: [10, 12.345678] })).toBe('width ∈ [10, 12.35)');
    expect(chipText({ field: 'format', op: '=', value: null })).toBe('format = none');
    const target = new EventTarget();
    const seen: FilterChip[] = [];
    target.addEventListener(FILTER_EVENT, (event) => seen.push((event as CustomEvent<FilterChip>).detail));
    requestFilter(target, { field: 'kind', op: '=', value: 'video' });
    expect(seen).toEqual([{ field: 'kind', op: '=', value: 'video' }]);
  });
});
