// A job's progress event as the notification shows it.
import { describe, expect, it } from 'vitest';
import { progressText } from '../src/jobs/progress-text.js';

describe("a job's progress line", () => {
  it('gives the count out of the total and the percentage, never past 100%', () => {
    expect(progressText({ phase: 'embedding', done: 3200, total: 10000 })).toBe(
      'embedding 3,200 / 10,000 (32%)',
    );
    expect(progressText({ phase: 'indexing', done: 12, total: 10 })).toBe('indexing 12 / 10 (100%)');
  });

  it('gives the phase alone, or with its count, when the total is unknown', () => {
    expect(progressText({ phase: 'listing', done: 0 })).toBe('listing');
    expect(progressText({ phase: 'listing', done: 1500 })).toBe('listing 1,500');
  });
});
