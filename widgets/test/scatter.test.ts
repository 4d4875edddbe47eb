import { mkdirSync, writeFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PALETTE, RAMP, rampColor } from '../src/scatter/colors.js';
import { binPoints, countInView, heatImage } from '../src/scatter/density.js';
import { indicesInPolygon, pointInPolygon, rectangle } from '../src/scatter/polygon.js';
import { SpatialIndex } from '../src/scatter/spatial-index.js';
import {
  boundsOf,
  fitBounds,
  panBy,
  toData,
  toScreen,
  type ViewTransform,
  zoomAround,
} from '../src/scatter/transform.js';
import { type Harness, pageSelection, startHarness, type TestWindow } from './harness.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url);

describe('scatter geometry (pure)', () => {
  const view: ViewTransform = { cx: 1, cy: 2, k: 50, width: 400, height: 300 };

  it('maps data to screen and back; y grows down on screen', () => {
    expect(toScreen(view, 1, 2)).toEqual([200, 150]);
    expect(toScreen(view, 2, 3)).toEqual([250, 100]);
    const [x, y] = toData(view, 37, 251);
    expect(toScreen(view, x, y)).toEqual([expect.closeTo(37, 9), expect.closeTo(251, 9)]);
  });

  it('zooms around the cursor (the point under it stays put) and pans with the drag', () => {
    const before = toData(view, 80, 60);
    const zoomed = zoomAround(view, 80, 60, 3);
    expect(zoomed.k).toBe(150);
    expect(toScreen(zoomed, ...before)).toEqual([expect.closeTo(80, 9), expect.closeTo(60, 9)]);
    const panned = panBy(view, 25, -10);
    expect(toScreen(panned, 1, 2)).toEqual([expect.closeTo(225, 9), expect.closeTo(140, 9)]);
  });

  it('fits the bounds with a margin, and survives a single point', () => {
    const xs = Float32Array.of(-2, 6, 0);
    const ys = Float32Array.of(1, 3, 2);
    const fitted = fitBounds(boundsOf(xs, ys), 400, 300, 0.1);
    expect(toScreen(fitted, -2, 2)[0]).toBeCloseTo(40);
    expect(toScreen(fitted, 6, 2)[0]).toBeCloseTo(360);
    const single = fitBounds(boundsOf(Float32Array.of(5), Float32Array.of(5)), 400, 300);
    expect(Number.isFinite(single.k)).toBe(true);
    expect(toScreen(single, 5, 5)).toEqual([200, 150]);
  });

  it('tests points against a polygon (even-odd), concave ones included', () => {
    const notch = [0, 0, 10, 0, 10, 10, 5, 5, 0, 10];
    expect(pointInPolygon(2, 2, notch)).toBe(true);
    expect(pointInPolygon(5, 8, notch)).toBe(false);
    expect(pointInPolygon(11, 1, notch)).toBe(false);
    const xs = Float32Array.of(2, 5, 11, 9, -1);
    const ys = Float32Array.of(2, 8, 1, 9, 5);
    expect(Array.from(indicesInPolygon(xs, ys, notch))).toEqual([0, 3]);
    expect(Array.from(indicesInPolygon(xs, ys, rectangle(0, 0, 10, 3)))).toEqual([0]);
    expect(indicesInPolygon(xs, ys, [0, 0, 1, 1])).toHaveLength(0);
  });

  it('finds the nearest point within a radius through the grid index, as a scan would', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const xs = Float32Array.from({ length: 5000 }, () => random() * 100);
    const ys = Float32Array.from({ length: 5000 }, () => random() * 50);
    const index = new SpatialIndex(xs, ys, boundsOf(xs, ys));
    for (let q = 0; q < 200; q++) {
      const [x, y, radius] = [random() * 110 - 5, random() * 60 - 5, random() * 3];
      let best = -1;
      let bestDistance = radius * radius;
      xs.forEach((px, i) => {
        const distance = (px - x) ** 2 + (ys[i]! - y) ** 2;
        if (distance <= bestDistance) [best, bestDistance] = [i, distance];
      });
      const found = index.nearest(x, y, radius);
      if (best < 0) expect(found).toBe(-1);
      else expect((xs[found]! - x) ** 2 + (ys[found]! - y) ** 2).toBeCloseTo(bestDistance, 9);
    }
  });

  it('ramps colours between the stops and bins points in view into a heat image', () => {
    expect(rampColor(0)).toEqual(RAMP[0]);
    expect(rampColor(1)).toEqual(RAMP.at(-1));
    expect(rampColor(-3)).toEqual(RAMP[0]);
    expect(rampColor(0.0625)).toEqual([70, 23, 103]);
    expect(PALETTE.length).toBe(20);
    const xs = Float32Array.of(0, 0.01, 3, 100);
    const ys = Float32Array.of(0, 0, 0, 0);
    const grid = binPoints(xs, ys, { cx: 0, cy: 0, k: 10, width: 100, height: 100 }, 10);
    expect([grid.columns, grid.rows]).toEqual([10, 10]);
    expect(grid.counts[5 * 10 + 5]).toBe(2);
    expect(grid.counts[5 * 10 + 8]).toBe(1);
    expect(grid.counts.reduce((a, b) => a + b, 0)).toBe(3);
    expect(countInView(xs, ys, { cx: 0, cy: 0, k: 10, width: 100, height: 100 })).toBe(3);
    const image = heatImage(grid);
    expect(image[(5 * 10 + 5) * 4 + 3]).toBe(255);
    expect(image[3]).toBe(0);
    expect(Array.from(image.subarray((5 * 10 + 5) * 4, (5 * 10 + 5) * 4 + 3))).toEqual([...RAMP.at(-1)!]);
  });
});

interface Points {
  ids: Int32Array;
  xs: Float32Array;
  ys: Float32Array;
}

describe('the scatter in a browser', () => {
  let harness: Harness;
  let points: Points;

  beforeAll(async () => {
    harness = await startHarness();
    const table = tableFromIPC(
      new Uint8Array(await (await harness.request('/api/datasets/coco/points')).arrayBuffer()),
    );
    points = {
      ids: table.getChild('sample_id')!.toArray() as Int32Array,
      xs: table.getChild('x')!.toArray() as Float32Array,
      ys: table.getChild('y')!.toArray() as Float32Array,
    };
  });
  afterAll(() => harness?.close());

  async function mountScatter(pointBudget?: number): Promise<void> {
    await harness.page.evaluate(() => performance.clearMarks());
    await harness.mount({ view: 'scatter', pointBudget });
    await harness.page.waitForSelector('.winnow-scatter[data-mode]');
  }

  /** The points' page coordinates under the scatter's current view. */
  async function screenPoints(): Promise<{ id: number; x: number; y: number }[]> {
    const { view, left, top } = await harness.page.$eval('.winnow-scatter', (element) => {
      const rect = element.querySelector('canvas')!.getBoundingClientRect();
      return { view: JSON.parse((element as HTMLElement).dataset.view!), left: rect.left, top: rect.top };
    });
    return Array.from(points.ids, (id, i) => {
      const [x, y] = toScreen(view, points.xs[i]!, points.ys[i]!);
      return { id, x: x + left, y: y + top };
    });
  }

  const selection = () => pageSelection(harness.page);

  async function drag(path: [number, number][], shift = false): Promise<void> {
    const { mouse, keyboard } = harness.page;
    if (shift) await keyboard.down('Shift');
    await mouse.move(...path[0]!);
    await mouse.down();
    for (const point of path.slice(1)) await mouse.move(...point, { steps: 4 });
    await mouse.up();
    if (shift) await keyboard.up('Shift');
  }

  it('draws every point once, fitted, with a mark for the benchmark', async () => {
    await mountScatter();
    const root = harness.page.locator('.winnow-scatter');
    await expect.poll(() => root.getAttribute('data-points-drawn')).toBe(String(points.ids.length));
    expect(await root.getAttribute('data-mode')).toBe('points');
    const marks = await harness.page.evaluate(
      () => performance.getEntriesByName('winnow:points-drawn').length,
    );
    expect(marks).toBe(1);
    const onScreen = await screenPoints();
    const box = (await harness.page.locator('.winnow-scatter canvas').boundingBox())!;
    for (const p of onScreen) {
      expect(p.x).toBeGreaterThan(box.x);
      expect(p.x).toBeLessThan(box.x + box.width);
      expect(p.y).toBeGreaterThan(box.y);
      expect(p.y).toBeLessThan(box.y + box.height);
    }
    const painted = await paintedPixels(
      await harness.page.locator('.winnow-scatter canvas').screenshot(),
      'scatter',
    );
    // Points of 6 px: roughly 28 pixels each, fewer where they overlap.
    expect(painted).toBeGreaterThan(points.ids.length * 10);
  });

  it('lassoes exactly the points inside the drawn shape, and the grid follows', async () => {
    await mountScatter();
    const onScreen = await screenPoints();
    const box = (await harness.page.locator('.winnow-scatter canvas').boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    // A concave arrowhead around the middle of the plot.
    const shape: [number, number][] = [
      [cx - 260, cy - 220],
      [cx + 40, cy - 250],
      [cx - 40, cy],
      [cx + 60, cy + 240],
      [cx - 300, cy + 200],
    ];
    const expected = onScreen.filter((p) => pointInPolygon(p.x, p.y, shape.flat())).map((p) => p.id);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(points.ids.length);
    await harness.page.click('[data-action="lasso"]');
    await drag(shape);
    await expect.poll(selection).toEqual(expect.arrayContaining(expected));
    expect((await selection()).sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    await harness.page.locator('.winnow-scatter canvas').screenshot({ path: artifact('scatter-lasso.png') });

    const grid = harness.page.locator('.winnow-grid');
    await expect
      .poll(() => grid.locator('[data-role="count"]').textContent())
      .toBe(`${expected.length} selected`);
    await expect.poll(() => grid.locator('.winnow-tile[data-sample-id]').count()).toBeGreaterThan(0);
    const shown = await grid
      .locator('.winnow-tile[data-sample-id]')
      .evaluateAll((tiles) => tiles.map((t) => Number((t as HTMLElement).dataset.sampleId)));
    expect(shown.every((id) => expected.includes(id))).toBe(true);
    // A click in a grid that shows the selection opens the sample; the selection stays.
    await grid.locator('.winnow-tile[data-sample-id]').first().click();
    await expect.poll(() => grid.locator('.winnow-tile-focused').count()).toBe(1);
    expect((await selection()).length).toBe(expected.length);
  });

  it('shows the query: points outside it faint, and a selection takes only points that meet it', async () => {
    await mountScatter();
    const answer = await harness.request(`/api/datasets/coco/ids?where=${encodeURIComponent('width > 500')}`);
    const wide = [
      ...tableFromIPC(new Uint8Array(await answer.arrayBuffer())).getChild('sample_id')!,
    ] as number[];
    expect(wide.length).toBeGreaterThan(0);
    expect(wide.length).toBeLessThan(points.ids.length);
    await harness.page.evaluate(() => (window as unknown as TestWindow).__mounted!.setWhere('width > 500'));
    await expect
      .poll(() => harness.page.locator('.winnow-scatter').getAttribute('data-in-query'))
      .toBe(String(wide.length));
    await harness.page.locator('.winnow-scatter').screenshot({ path: artifact('scatter-query.png') });
    const box = (await harness.page.locator('.winnow-scatter canvas').boundingBox())!;
    await harness.page.click('[data-action="box"]');
    await drag([
      [box.x + 2, box.y + 2],
      [box.x + box.width - 2, box.y + box.height - 2],
    ]);
    await expect.poll(async () => (await selection()).sort((a, b) => a - b)).toEqual(wide);
    await harness.page.evaluate(() => (window as unknown as TestWindow).__mounted!.setWhere(''));
    await expect.poll(() => harness.page.locator('.winnow-scatter').getAttribute('data-in-query')).toBeNull();
  });

  it('box-selects (and shift-drag lassos in pan mode); Escape clears', async () => {
    await mountScatter();
    const onScreen = await screenPoints();
    const box = (await harness.page.locator('.winnow-scatter canvas').boundingBox())!;
    const [x0, y0, x1, y1] = [box.x + 20, box.y + 20, box.x + box.width * 0.55, box.y + box.height * 0.6];
    const expected = onScreen
      .filter((p) => p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1)
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(0);
    await harness.page.click('[data-action="box"]');
    await drag([
      [x0, y0],
      [x1, y1],
    ]);
    await expect
      .poll(async () => (await selection()).sort((a, b) => a - b))
      .toEqual(expected.sort((a, b) => a - b));
    await expect
      .poll(() => harness.page.locator('.winnow-scatter').getAttribute('data-selected'))
      .toBe(String(expected.length));
    await harness.page.keyboard.press('Escape');
    await expect.poll(selection).toEqual([]);

    await harness.page.click('[data-action="pan"]');
    const triangle: [number, number][] = [
      [x0, y0],
      [x1, y0],
      [x0, y1],
    ];
    const inTriangle = onScreen.filter((p) => pointInPolygon(p.x, p.y, triangle.flat())).map((p) => p.id);
    await drag(triangle, true);
    await expect
      .poll(async () => (await selection()).sort((a, b) => a - b))
      .toEqual(inTriangle.sort((a, b) => a - b));
    await harness.page.click('[data-action="clear"]');
    await expect.poll(selection).toEqual([]);
  });

  it('colours by typicality (ramp, min–max legend) and by predicted class (palette, top classes)', async () => {
    await mountScatter();
    const colorBy = harness.page.locator('[data-control="color-by"]');
    const legend = harness.page.locator('.winnow-legend');
    await expect.poll(() => legend.isHidden()).toBe(true);
    await colorBy.selectOption('typicality');
    await expect.poll(() => legend.getAttribute('data-kind')).toBe('numeric');
    const values = await colorColumn('typicality');
    const finite = (values as number[]).filter(Number.isFinite);
    const min = Number(((await legend.locator('.winnow-legend-min').textContent()) ?? '').replace(/,/g, ''));
    const max = Number(((await legend.locator('.winnow-legend-max').textContent()) ?? '').replace(/,/g, ''));
    expect(min).toBeCloseTo(Math.min(...finite), 2);
    expect(max).toBeCloseTo(Math.max(...finite), 2);
    await harness.page
      .locator('.winnow-scatter canvas')
      .screenshot({ path: artifact('scatter-typicality.png') });

    await colorBy.selectOption('prediction.category');
    await expect.poll(() => legend.getAttribute('data-kind')).toBe('categorical');
    const categories = (await colorColumn('prediction.category')) as (string | null)[];
    const counts = new Map<string, number>();
    for (const c of categories) if (c !== null) counts.set(c, (counts.get(c) ?? 0) + 1);
    const top = Math.max(...counts.values());
    const first = await legend.locator('.winnow-legend-entry').first();
    expect(counts.get((await first.locator('.winnow-legend-label').textContent())!)).toBe(top);
    expect(Number(await first.locator('.winnow-legend-count').textContent())).toBe(top);
    await harness.page.locator('.winnow-scatter canvas').screenshot({ path: artifact('scatter-class.png') });
    await colorBy.selectOption('');
    await expect.poll(() => legend.isHidden()).toBe(true);
  });

  it('never hides a point under the legend: the plot is fitted again beside it', async () => {
    await mountScatter();
    const legend = harness.page.locator('.winnow-legend');
    // The tallest legend: the top classes, one row each.
    await harness.page.locator('[data-control="color-by"]').selectOption('prediction.category');
    await expect.poll(() => legend.getAttribute('data-kind')).toBe('categorical');
    const plotWidth = () => harness.page.$eval('.winnow-plot', (plot) => plot.clientWidth);
    const viewWidth = async () =>
      (
        JSON.parse(
          (await harness.page.locator('.winnow-scatter').getAttribute('data-view'))!,
        ) as ViewTransform
      ).width;
    // The legend's room is taken from the plot, and the view is fitted to what is left.
    await expect.poll(async () => (await viewWidth()) === (await plotWidth())).toBe(true);
    const legendBox = (await legend.boundingBox())!;
    const plotBox = (await harness.page.locator('.winnow-scatter canvas').boundingBox())!;
    expect(legendBox.width).toBeGreaterThan(0);
    expect(legendBox.x).toBeGreaterThanOrEqual(plotBox.x + plotBox.width);
    const under = (p: { x: number; y: number }) =>
      p.x >= legendBox.x &&
      p.x <= legendBox.x + legendBox.width &&
      p.y >= legendBox.y &&
      p.y <= legendBox.y + legendBox.height;
    const onScreen = await screenPoints();
    expect(onScreen.filter(under)).toEqual([]);
    for (const p of onScreen) {
      expect(p.x).toBeGreaterThan(plotBox.x);
      expect(p.x).toBeLessThan(plotBox.x + plotBox.width);
      expect(p.y).toBeGreaterThan(plotBox.y);
      expect(p.y).toBeLessThan(plotBox.y + plotBox.height);
    }
    await harness.page.locator('.winnow-scatter').screenshot({ path: artifact('scatter-legend.png') });
  });

  it('shows the hovered point’s thumbnail and filename', async () => {
    await mountScatter();
    const onScreen = await screenPoints();
    // The point farthest from its nearest neighbour: no doubt about which one is hovered.
    const loneliest = onScreen
      .map((p) => ({
        p,
        gap: Math.min(...onScreen.filter((q) => q !== p).map((q) => Math.hypot(q.x - p.x, q.y - p.y))),
      }))
      .sort((a, b) => b.gap - a.gap)[0]!.p;
    await harness.page.mouse.move(loneliest.x + 2, loneliest.y - 1);
    const tooltip = harness.page.locator('.winnow-tooltip');
    await expect.poll(() => tooltip.getAttribute('data-sample-id')).toBe(String(loneliest.id));
    const sample = await (
      await harness.request('/api/datasets/coco/samples/by-id', {
        method: 'POST',
        body: { ids: [loneliest.id] },
      })
    ).json();
    await expect
      .poll(() => tooltip.locator('.winnow-tooltip-caption').textContent())
      .toBe(sample.samples[0].filename);
    await expect
      .poll(() => tooltip.locator('img').evaluate((img) => (img as HTMLImageElement).naturalWidth))
      .toBeGreaterThan(0);
    await harness.page.screenshot({ path: artifact('scatter-hover.png') });
    await harness.page.mouse.move(5, 5);
    await expect.poll(() => tooltip.isHidden()).toBe(true);
  });

  it('draws density past the point budget and points again once zoomed in under it', async () => {
    const budget = 10;
    await mountScatter(budget);
    const root = harness.page.locator('.winnow-scatter');
    expect(await root.getAttribute('data-mode')).toBe('density');
    expect(await root.getAttribute('data-points-drawn')).toBeNull();
    const canvas = harness.page.locator('.winnow-scatter canvas');
    expect(await paintedPixels(await canvas.screenshot(), 'scatter-density')).toBeGreaterThan(0);
    const target = (await screenPoints())[0]!;
    await harness.page.mouse.move(target.x, target.y);
    for (let i = 0; i < 20 && (await root.getAttribute('data-mode')) === 'density'; i++) {
      await harness.page.mouse.wheel(0, -400);
      await harness.page.waitForTimeout(50);
    }
    await expect.poll(() => root.getAttribute('data-mode')).toBe('points');
    const drawn = Number(await root.getAttribute('data-points-drawn'));
    const box = (await canvas.boundingBox())!;
    const inView = (await screenPoints()).filter(
      (p) => p.x >= box.x && p.x <= box.x + box.width && p.y >= box.y && p.y <= box.y + box.height,
    ).length;
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThanOrEqual(budget);
    expect(drawn).toBe(inView);
  });

  /** A colour column as the server sends it, in point order. */
  async function colorColumn(field: string): Promise<unknown[]> {
    const response = await harness.request(`/api/datasets/coco/colors?by=${encodeURIComponent(field)}`);
    const table = tableFromIPC(new Uint8Array(await response.arrayBuffer()));
    const byId = new Map<number, unknown>();
    const ids = table.getChild('sample_id')!.toArray() as Int32Array;
    ids.forEach((id, row) => {
      byId.set(id, table.getChild('value')!.get(row));
    });
    return Array.from(points.ids, (id) => byId.get(id) ?? null);
  }
});

function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return new URL(name, ARTIFACTS).pathname;
}

/** Saves a screenshot and counts its pixels that differ from its most common colour (the background). */
async function paintedPixels(png: Buffer, name: string): Promise<number> {
  writeFileSync(artifact(`${name}.png`), png);
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const colors = new Map<number, number>();
  for (let i = 0; i < data.length; i += info.channels) {
    const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
    colors.set(key, (colors.get(key) ?? 0) + 1);
  }
  const background = Math.max(...colors.values());
  return data.length / info.channels - background;
}
