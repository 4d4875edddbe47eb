// Shared by the tests of the native core: seeded data and the table of invalid calls.
import { expect, it } from 'vitest';

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n × dim values uniform in [−1, 1), seeded. */
export function uniformRows(n: number, dim: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = next() * 2 - 1;
  return out;
}

/** A call that must reject with an InvalidArg error whose message matches. */
export type InvalidCall = [name: string, call: () => Promise<unknown>, message: RegExp];

/** One test per invalid call. */
export function itRejectsEach(cases: InvalidCall[]): void {
  for (const [name, call, message] of cases) {
    it(`rejects: ${name}`, async () => {
      await expect(call()).rejects.toMatchObject({
        code: 'InvalidArg',
        message: expect.stringMatching(message),
      });
    });
  }
}
