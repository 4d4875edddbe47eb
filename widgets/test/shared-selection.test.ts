import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSelection } from '../src/api.js';
import { type Harness, startHarness, type TestWindow } from './harness.js';

/** What the page holds for two views of one dataset: each view's selection as its host last heard it. */
interface TwoViews extends TestWindow {
  __views?: { dispose(): void }[];
  __heard: number[][];
  /** The long polls of the views mounted last that wait at the server now. */
  __polls: { waiting: number };
}

describe('the live selection across views in a browser', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness({ images: 12 });
  });
  afterAll(() => harness?.close());

  /**
   * Two views of `coco` (two grids by default) on the page, as two notebook cells show them, once both follow the
   * server's selection (a view follows the changes made after it opened).
   */
  async function mountTwo(views: ('scatter' | 'grid')[] = ['grid', 'grid']): Promise<void> {
    await harness.page.evaluate((views) => {
      const w = window as unknown as TwoViews;
      for (const mounted of w.__views ?? []) mounted.dispose();
      const root = document.body.firstChild as HTMLElement;
      root.replaceChildren();
      w.__heard = [[], []];
      const polls = { waiting: 0 };
      w.__polls = polls;
      const transport = {
        async request(request: Parameters<typeof w.__transport.request>[0]) {
          const polling = request.path.includes('/selection?after=');
          if (polling) polls.waiting++;
          try {
            return await w.__transport.request(request);
          } finally {
            if (polling) polls.waiting--;
          }
        },
      };
      w.__views = [0, 1].map((index) => {
        const element = document.createElement('div');
        element.dataset.view = String(index);
        element.style.height = '400px';
        root.append(element);
        return w.WinnowWidgets.mountView(
          element,
          { view: views[index]!, dataset: 'coco' },
          {
            transport,
            onSelection: (ids) => {
              w.__heard[index] = Array.from(ids);
            },
          },
        );
      });
    }, views);
    await expect
      .poll(() => harness.page.evaluate(() => (window as unknown as TwoViews).__polls.waiting))
      .toBe(2);
  }

  const heard = (index: number) =>
    harness.page.evaluate((i) => (window as unknown as TwoViews).__heard[i], index);
  const view = (index: number) => harness.page.locator(`[data-view="${index}"]`);
  const selectedTiles = (index: number) =>
    view(index)
      .locator('.winnow-tile-selected')
      .evaluateAll((tiles) => tiles.map((t) => Number((t as HTMLElement).dataset.sampleId)));

  it('shows a pick made in one view in the other, and in the server with its source', async () => {
    await mountTwo();
    const first = view(0).locator('.winnow-tile[data-index="3"]');
    await first.waitFor();
    const picked = Number(await first.getAttribute('data-sample-id'));
    await first.click();
    await expect.poll(() => heard(1)).toEqual([picked]);
    await expect.poll(() => selectedTiles(1)).toEqual([picked]);
    const live = await harness.datasetJson<LiveSelection>('/selection');
    expect(live).toMatchObject({ sample_ids: [picked], source: 'grid' });
  });

  it('shows a selection another client PUT (the command line, a notebook) in every open view', async () => {
    await mountTwo();
    const { samples } = await harness.datasetJson<{ samples: { sample_id: number }[] }>('/samples?limit=3');
    const ids = samples.map((sample) => sample.sample_id);
    await harness.datasetJson('/selection', { method: 'PUT', body: { sample_ids: ids, source: 'cli' } });
    await expect.poll(() => heard(0)).toEqual(ids);
    await expect.poll(() => heard(1)).toEqual(ids);
    await expect.poll(() => selectedTiles(0)).toEqual(ids);
  });

  it('shows a box drawn in a scatter in a grid of the same dataset', async () => {
    await mountTwo(['scatter', 'grid']);
    const scatter = view(0).locator('.winnow-scatter');
    await expect.poll(() => scatter.getAttribute('data-points-drawn')).toBe('12');
    const box = (await scatter.locator('canvas').boundingBox())!;
    await view(0).locator('[data-action="box"]').click();
    const { mouse } = harness.page;
    await mouse.move(box.x + 2, box.y + 2);
    await mouse.down();
    await mouse.move(box.x + box.width * 0.6, box.y + box.height - 2, { steps: 4 });
    await mouse.up();
    await expect.poll(async () => (await heard(0)).length).toBeGreaterThan(0);
    const boxed = (await heard(0)).sort((a, b) => a - b);
    await expect.poll(() => heard(1)).toEqual(boxed);
    await expect.poll(() => selectedTiles(1)).toEqual(boxed);
    expect(await harness.datasetJson<LiveSelection>('/selection')).toMatchObject({
      sample_ids: boxed,
      source: 'scatter',
    });
  });
});
