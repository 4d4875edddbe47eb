import { describe, expect, it } from 'vitest';
import {
  chipFromInput,
  chipText,
  FILTER_EVENT,
  type FilterChip,
  opsFor,
  requestFilter,
} from '../src/query-conditions.js';

// The chips' SQL is the server's to write: core/test/server-views.test.ts checks it.
describe('filter chips in the query bar', () => {
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
