import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../src/api.js';
import { contentOffset, MAX_SPACER_HEIGHT, scrollTopFor, virtualWindow } from '../src/grid.js';
import { type Harness, pageSelection, startHarness, type TestWindow } from './harness.js';

describe('the virtual window (pure)', () => {
  const base = { columns: 4, rowHeight: 100, viewportHeight: 300, overscan: 2 };

  it('renders the visible rows and a few more, placed where they scroll', () => {
    expect(virtualWindow({ ...base, total: 100, scrollTop: 0 })).toEqual({
      spacerHeight: 2500,
      firstRow: 0,
      rows: 5,
      firstIndex: 0,
      endIndex: 20,
      top: 0,
    });
    expect(virtualWindow({ ...base, total: 100, scrollTop: 1050 })).toMatchObject({
      firstRow: 8,
      rows: 8,
      firstIndex: 32,
      endIndex: 64,
      top: 800,
    });
    // The last row is partly filled; nothing past the total.
    expect(virtualWindow({ ...base, total: 101, scrollTop: 2300 })).toMatchObject({ endIndex: 101 });
    expect(virtualWindow({ ...base, total: 0, scrollTop: 0 })).toMatchObject({ rows: 0, endIndex: 0 });
  });

  it('scales the scroll past the tallest element a browser lays out, reaching every row', () => {
    const huge = { ...base, total: 10_000_000, columns: 5, rowHeight: 158, viewportHeight: 600 };
    const top = virtualWindow({ ...huge, scrollTop: 0 });
    expect(top.spacerHeight).toBe(MAX_SPACER_HEIGHT);
    expect(top.firstIndex).toBe(0);
    const bottomScroll = MAX_SPACER_HEIGHT - huge.viewportHeight;
    const bottom = virtualWindow({ ...huge, scrollTop: bottomScroll });
    expect(bottom.endIndex).toBe(10_000_000);
    expect(bottom.rows).toBeLessThanOrEqual(Math.ceil(600 / 158) + 5);
    // The last row ends where the spacer ends, so it scrolls fully into view.
    expect(bottom.top + bottom.rows * huge.rowHeight).toBeCloseTo(MAX_SPACER_HEIGHT, 6);
    const middle = virtualWindow({ ...huge, scrollTop: bottomScroll / 2 });
    expect(Math.abs(middle.firstIndex - 5_000_000)).toBeLessThan(100);
    for (const offset of [0, 12_345, 157_999_000]) {
      const input = { ...huge, scrollTop: 0 };
      expect(contentOffset(input, scrollTopFor(input, offset))).toBeCloseTo(offset, 3);
    }
  });
});

describe('the grid in a browser', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness?.close());

  const grid = () => harness.page.locator('.winnow-grid');
  const tileIds = () =>
    grid()
      .locator('.winnow-tile[data-sample-id]')
      .evaluateAll((tiles) => tiles.map((t) => Number((t as HTMLElement).dataset.sampleId)));
  const selection = () => pageSelection(harness.page);

  async function query(sql: string): Promise<Record<string, number>[]> {
    const response = await harness.request('/api/datasets/coco/query', { method: 'POST', body: { sql } });
    return (await response.json()).rows;
  }

  it('shows the samples meeting the query with a count, and sorts', async () => {
    await harness.mount({ view: 'grid', where: 'width < 600' });
    const [{ n }] = (await query('SELECT count(*)::INTEGER AS n FROM samples WHERE width < 600')) as [
      { n: number },
    ];
    expect(n).toBeGreaterThan(0);
    await expect.poll(() => grid().locator('[data-role="count"]').textContent()).toBe(`${n} samples`);
    await expect.poll(async () => (await tileIds()).length).toBe(n);
    const ids = await tileIds();
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    await expect
      .poll(() =>
        grid()
          .locator('.winnow-tile img')
          .first()
          .evaluate((img) => (img as HTMLImageElement).naturalWidth),
      )
      .toBeGreaterThan(0);

    // The host changes the query (as the kernel's `%winnow` magics do).
    await harness.page.evaluate(() => (window as unknown as TestWindow).__mounted!.setWhere(''));
    await expect.poll(() => grid().locator('[data-role="count"]').textContent()).toBe('24 samples');
    await grid().locator('[data-control="sort"]').selectOption('size desc');
    const bySize = (await query('SELECT sample_id FROM samples ORDER BY size DESC, sample_id')).map(
      (r) => r.sample_id,
    );
    await expect.poll(async () => (await tileIds()).slice(0, 5)).toEqual(bySize.slice(0, 5));
    await harness.page.screenshot({ path: new URL('./artifacts/grid.png', import.meta.url).pathname });
  });

  it('selects with click, ctrl-click and shift-click; opens a sample with double-click', async () => {
    await harness.mount({ view: 'grid' });
    await expect.poll(async () => (await tileIds()).length).toBe(24);
    const tile = (index: number) => grid().locator(`.winnow-tile[data-index="${index}"]`);
    const idAt = async (index: number) => Number(await tile(index).getAttribute('data-sample-id'));
    await tile(2).click();
    await expect.poll(selection).toEqual([await idAt(2)]);
    await tile(5).click({ modifiers: ['ControlOrMeta'] });
    await expect.poll(selection).toEqual([await idAt(2), await idAt(5)]);
    await tile(2).click({ modifiers: ['ControlOrMeta'] });
    await expect.poll(selection).toEqual([await idAt(5)]);
    // The range runs from the last clicked tile (the anchor), as in file managers.
    await tile(9).click({ modifiers: ['Shift'] });
    const range = await Promise.all([2, 3, 4, 5, 6, 7, 8, 9].map(idAt));
    await expect.poll(selection).toEqual(range);
    await expect.poll(() => grid().locator('.winnow-tile-selected').count()).toBe(8);
    await expect
      .poll(() => grid().locator('[data-role="count"]').textContent())
      .toBe('24 samples · 8 selected');

    const detail = harness.page.locator('.winnow-slot-detail');
    expect(await detail.isHidden()).toBe(true);
    await tile(3).dblclick();
    await expect.poll(() => detail.isVisible()).toBe(true);
    const [{ filename }] = (await query(
      `SELECT filename FROM samples WHERE sample_id = ${await idAt(3)}`,
    )) as unknown as [{ filename: string }];
    await expect.poll(() => detail.locator('[data-role="title"]').textContent()).toContain(filename);
    await harness.page.screenshot({ path: new URL('./artifacts/grid-detail.png', import.meta.url).pathname });
    await detail.locator('[data-action="close-detail"]').click();
    await expect.poll(() => detail.isHidden()).toBe(true);
  });

  it('re-renders in place when a click selects, so the tiles keep the clicks the browser counts', async () => {
    await harness.mount({ view: 'grid' });
    await expect.poll(async () => (await tileIds()).length).toBe(24);
    // Taking a tile out and putting it back (even where it was) loses the first click of a double-click.
    await grid()
      .locator('.winnow-grid-tiles')
      .evaluate((tiles) => {
        const counter = window as unknown as { tileMoves: number };
        counter.tileMoves = 0;
        new MutationObserver((records) => {
          counter.tileMoves += records.length;
        }).observe(tiles, { childList: true });
      });
    await grid().locator('.winnow-tile[data-index="4"]').click();
    await expect.poll(() => grid().locator('.winnow-tile-selected').count()).toBe(1);
    expect(await harness.page.evaluate(() => (window as unknown as { tileMoves: number }).tileMoves)).toBe(0);
  });

  it('moves a cursor with the arrow keys and opens it with Enter', async () => {
    await harness.mount({ view: 'grid' });
    await expect.poll(async () => (await tileIds()).length).toBe(24);
    const columns = await grid()
      .locator('.winnow-grid-tiles')
      .evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(' ').length);
    await grid().locator('.winnow-tile[data-index="0"]').click();
    await harness.page.keyboard.press('ArrowRight');
    await harness.page.keyboard.press('ArrowDown');
    const cursor = grid().locator('.winnow-tile-cursor');
    await expect.poll(() => cursor.getAttribute('data-index')).toBe(String(1 + columns));
    await harness.page.keyboard.press('Enter');
    const detail = harness.page.locator('.winnow-slot-detail');
    await expect.poll(() => detail.isVisible()).toBe(true);
    const focused = grid().locator('.winnow-tile-focused');
    await expect.poll(() => focused.getAttribute('data-index')).toBe(String(1 + columns));
    // With the sample open, the arrows move it along.
    await harness.page.locator('.winnow-grid-scroller').focus();
    await harness.page.keyboard.press('ArrowLeft');
    await expect.poll(() => focused.getAttribute('data-index')).toBe(String(columns));
    await harness.page.keyboard.press('Escape');
    await expect.poll(() => detail.isHidden()).toBe(true);
  });

  it('the label view opens the first sample meeting the query', async () => {
    await harness.mount({ view: 'label', where: 'width < 600' });
    const [{ filename }] = (await query(
      'SELECT filename FROM samples WHERE width < 600 ORDER BY sample_id LIMIT 1',
    )) as unknown as [{ filename: string }];
    await expect
      .poll(() => harness.page.locator('.winnow-label [data-role="title"]').textContent())
      .toContain(filename);
  });

  it('keeps only the visible rows of two million samples in the DOM', async () => {
    // A synthetic dataset: nothing real holds two million samples here, so a page-side transport
    // answers the sample pages (and records which it was asked for); everything else is a 404.
    const total = 2_000_000;
    await harness.page.evaluate((total) => {
      const w = window as unknown as TestWindow & { __pages: number[] };
      w.__mounted?.dispose();
      w.__pages = [];
      const json = (status: number, value: unknown) => ({
        status,
        contentType: 'application/json',
        body: new TextEncoder().encode(JSON.stringify(value)).buffer,
      });
      const transport = {
        async request({ path }: { path: string }) {
          const url = new URL(path, 'http://x');
          if (!url.pathname.endsWith('/samples'))
            return json(404, { error: { code: 'not_found', message: 'no' } });
          const offset = Number(url.searchParams.get('offset') ?? 0);
          const limit = Number(url.searchParams.get('limit') ?? 100);
          w.__pages.push(offset);
          const samples: Sample[] = [];
          for (let i = offset; i < Math.min(total, offset + limit); i++) {
            const filename = `synthetic/${i}.jpg`;
            samples.push({
              sample_id: i + 1,
              kind: 'image',
              filename,
              format: 'jpeg',
              width: 640,
              height: 480,
              status: 'ok',
              reason: null,
            });
          }
          return json(200, { total, offset, limit, samples });
        },
      };
      const element = document.body.firstChild as HTMLElement;
      element.replaceChildren();
      w.__mounted = w.WinnowWidgets.mountView(element, { view: 'grid', dataset: 'synthetic' }, { transport });
    }, total);
    await expect.poll(() => grid().locator('[data-role="count"]').textContent()).toBe('2,000,000 samples');
    const scroller = harness.page.locator('.winnow-grid-scroller');
    const layout = () =>
      scroller.evaluate((el) => ({
        spacer: (el.firstElementChild as HTMLElement).offsetHeight,
        tiles: el.querySelectorAll('.winnow-tile').length,
        viewport: el.clientHeight,
        indices: Array.from(el.querySelectorAll<HTMLElement>('.winnow-tile'), (t) => Number(t.dataset.index)),
      }));
    const first = await layout();
    expect(first.spacer).toBe(MAX_SPACER_HEIGHT);
    expect(first.tiles).toBeGreaterThan(0);
    expect(first.tiles).toBeLessThan(100);

    await scroller.evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await expect.poll(async () => Math.max(...(await layout()).indices)).toBe(total - 1);
    await expect
      .poll(() =>
        grid()
          .locator(`.winnow-tile[data-index="${total - 1}"]`)
          .getAttribute('data-sample-id'),
      )
      .toBe(String(total));
    const last = grid().locator(`.winnow-tile[data-index="${total - 1}"]`);
    await expect.poll(() => last.locator('.winnow-tile-caption').textContent()).toBe(`${total - 1}.jpg`);
    expect((await layout()).tiles).toBeLessThan(100);

    await scroller.evaluate((el) => {
      el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
    });
    await expect
      .poll(async () => Math.abs(Math.min(...(await layout()).indices) - total / 2))
      .toBeLessThan(200);
    const pages = await harness.page.evaluate(() => (window as unknown as { __pages: number[] }).__pages);
    // Only the pages shown were asked for: the first (and the query bar's count), the last, the middle.
    expect(pages.length).toBeLessThan(12);
    expect(pages).toContain(Math.floor((total - 1) / 200) * 200);
  });
});
