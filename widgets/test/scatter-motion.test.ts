import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_BUDGET_MS, motionSample, SETTLE_MS } from '../src/scatter/motion.js';
import { type Harness, startHarness } from './harness.js';

const POINTS = 400_000;

describe('the motion sample (pure)', () => {
  it('is every point while a frame fits the budget, else every k-th so that it does', () => {
    expect(motionSample(1000, FRAME_BUDGET_MS)).toBeNull();
    const sample = motionSample(1000, 3.5 * FRAME_BUDGET_MS)!;
    expect(sample.length).toBe(250);
    expect([...sample.slice(0, 3)]).toEqual([0, 4, 8]);
    expect(sample.at(-1)).toBe(996);
  });
});

describe('panning a scatter of many points', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ images: 2, withProjection: false, syntheticPoints: POINTS });
    await harness.mount({ view: 'scatter', dataset: 'synthetic' });
    await harness.page.waitForSelector(`.winnow-scatter[data-points-drawn="${POINTS}"]`, { timeout: 60_000 });
  }, 180_000);

  afterAll(async () => {
    await harness?.close();
  });

  it('draws a sample while the view moves when a full frame is slow, and every point once it settles', async () => {
    const { page } = harness;
    const frameMs = Number(await page.getAttribute('.winnow-scatter', 'data-frame-ms'));
    const expectedWhileMoving = motionSample(POINTS, frameMs)?.length ?? POINTS;
    // Every count drawn during the drag, as the attribute changes.
    await page.evaluate(() => {
      const scatter = document.querySelector<HTMLElement>('.winnow-scatter')!;
      const seen: string[] = [];
      (window as unknown as { __drawn: string[] }).__drawn = seen;
      new MutationObserver(() => seen.push(scatter.dataset.pointsDrawn ?? '')).observe(scatter, {
        attributeFilter: ['data-points-drawn'],
      });
    });
    const plot = (await page.locator('.winnow-plot').boundingBox())!;
    await page.mouse.move(plot.x + plot.width / 2, plot.y + plot.height / 2);
    await page.mouse.down();
    for (let step = 1; step <= 6; step++) {
      await page.mouse.move(plot.x + plot.width / 2 + 15 * step, plot.y + plot.height / 2);
    }
    await page.mouse.up();
    await page.waitForTimeout(SETTLE_MS + 500);
    await page.waitForSelector(`.winnow-scatter[data-points-drawn="${POINTS}"]`, { timeout: 30_000 });
    const drawn = (await page.evaluate(() => (window as unknown as { __drawn: string[] }).__drawn)).map(
      Number,
    );
    expect(drawn.length).toBeGreaterThan(0);
    // A fast renderer draws everything throughout; a slow one (software WebGL) draws the sample.
    expect(drawn).toContain(expectedWhileMoving);
    expect(drawn.at(-1)).toBe(POINTS);
  }, 120_000);
});
