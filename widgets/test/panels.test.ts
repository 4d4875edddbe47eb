import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, type TestWindow } from './harness.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
const IMAGES = 12;

let harness: Harness;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  harness = await startHarness({ images: IMAGES, withProjection: true });
  page = harness.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

afterAll(async () => {
  await harness?.close();
});

function json<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return harness.datasetJson<T>(path, init);
}

/** How many samples meet a condition, asked of the server directly. */
async function countWhere(where: string): Promise<number> {
  return (await json<{ total: number }>(`/samples?limit=1&where=${encodeURIComponent(where)}`)).total;
}

async function queryBarCount(): Promise<number> {
  return Number(await page.locator('.winnow-query [data-role=count]').getAttribute('data-total'));
}

/** The grid's count once it has loaded ("12 samples"). */
async function gridCount(): Promise<number> {
  const count = page.locator('.winnow-grid [data-role=count]');
  await expect.poll(() => count.textContent()).toMatch(/^\d+ samples?\b/);
  return Number(/^(\d+)/.exec((await count.textContent())!)![1]);
}

async function applySql(sql: string): Promise<void> {
  await page.fill('.winnow-query [data-role=sql]', sql);
  await page.press('.winnow-query [data-role=sql]', 'Enter');
}

describe('the query bar and the facets narrow the grid', () => {
  beforeAll(async () => {
    await harness.mount({ view: 'grid' });
    await page.waitForSelector('.winnow-query [data-role=count][data-total]');
    await page.waitForSelector('.winnow-facet[data-field="prediction.category"] .point path');
  });

  it('applies an SQL condition, and shows a refused one without applying it', async () => {
    expect(await queryBarCount()).toBe(IMAGES);
    const wide = await countWhere('width > 500');
    expect(wide).toBeGreaterThan(0);
    expect(wide).toBeLessThan(IMAGES);

    await applySql('width > 500');
    await expect.poll(queryBarCount).toBe(wide);
    await expect.poll(gridCount).toBe(wide);
    // The host hears of the new query (the notebook syncs it to the widget's `where`).
    expect(await page.evaluate(() => (window as unknown as TestWindow).__where)).toBe('width > 500');

    await applySql('widht > 500');
    const error = page.locator('.winnow-query [data-role=error]');
    await expect.poll(() => error.textContent()).toContain('widht');
    expect(await queryBarCount()).toBe(wide);
    expect(await gridCount()).toBe(wide);
    await page.locator('.winnow-query').screenshot({ path: `${ARTIFACTS}query.png` });
    await applySql('width > 500');
    await expect.poll(() => error.textContent()).toBe('');
  });

  it('adds a chip from a click on a class bar and a histogram bin, and removing it widens again', async () => {
    const before = await queryBarCount();
    // The charts scroll in their column: the column, not the taller chart list, fits the screen.
    await page
      .locator('.winnow-facets')
      .locator('..')
      .screenshot({ path: `${ARTIFACTS}facets.png` });
    const facet = await json<{ values: { value: string; count: number }[] }>(
      `/facets?field=prediction.category&where=${encodeURIComponent('width > 500')}`,
    );
    // The least frequent class shown narrows the most; bars are drawn most frequent first.
    const index = Math.min(facet.values.length, 12) - 1;
    const category = facet.values[index]!.value;
    const narrowed = await countWhere(
      `width > 500 AND sample_id IN (SELECT sample_id FROM predictions WHERE category = '${category}')`,
    );
    expect(narrowed).toBeLessThan(before);

    await page
      .locator('.winnow-facet[data-field="prediction.category"] .point path')
      .nth(index)
      .click({ force: true });
    const chip = page.locator('.winnow-query [data-role=chip]');
    await expect.poll(() => chip.textContent()).toContain(`prediction.category = ${category}`);
    await expect.poll(queryBarCount).toBe(narrowed);
    await expect.poll(gridCount).toBe(narrowed);
    await page.waitForTimeout(600); // the facets follow the narrowed query after their debounce
    await page.screenshot({ path: `${ARTIFACTS}grid-query-facets.png` });

    await chip.locator('button').click();
    await expect.poll(queryBarCount).toBe(before);

    // The lowest height bin adds a range chip that narrows to exactly that bar's count.
    const heights = await json<{ counts: number[] }>(
      `/facets?field=height&where=${encodeURIComponent('width > 500')}`,
    );
    expect(heights.counts[0]).toBeLessThan(before);
    await page.waitForTimeout(600);
    await page.locator('.winnow-facet[data-field="height"] .point path').first().click({ force: true });
    await expect.poll(() => chip.textContent()).toMatch(/^height ∈ \[/);
    await expect.poll(queryBarCount).toBe(heights.counts[0]);
    await chip.locator('button').click();
    await expect.poll(queryBarCount).toBe(before);
  });

  it('adds a chip from the field, operator and value row', async () => {
    await page.selectOption('.winnow-query [data-role=field]', 'height');
    await page.selectOption('.winnow-query [data-role=op]', '<');
    await page.fill('.winnow-query [data-role=value]', '450');
    await page.click('.winnow-query [data-action=add-filter]');
    await expect.poll(queryBarCount).toBe(await countWhere('width > 500 AND height < 450'));
    await page.fill('.winnow-query [data-role=value]', 'tall');
    await page.click('.winnow-query [data-action=add-filter]');
    await expect
      .poll(() => page.locator('.winnow-query [data-role=error]').textContent())
      .toContain('not a number');
    expect(pageErrors).toEqual([]);
  });
});

describe('the selection panel runs a selection into a tag and selects it', () => {
  it('selects 5 diverse samples into the tag picked', async () => {
    await harness.mount({ view: 'scatter' });
    await page.click('.winnow-side > summary');
    const panel = page.locator('.winnow-selection');
    await expect.poll(() => panel.locator('[data-role=config]').inputValue()).toContain('DIVERSITY');
    await panel.locator('[data-role=n]').fill('5');
    await panel.locator('[data-role=n]').dispatchEvent('change');
    await panel.locator('[data-role=tag]').fill('picked');
    const config = JSON.parse(await panel.locator('[data-role=config]').inputValue());
    expect(config).toEqual({
      n_samples: 5,
      strategies: [{ input: { type: 'EMBEDDINGS' }, strategy: { type: 'DIVERSITY' } }],
    });

    await panel.locator('[data-action=run]').click();
    await page.waitForSelector('.winnow-selection [data-role=result][data-count]', { timeout: 60_000 });
    expect(await panel.locator('[data-role=result]').getAttribute('data-count')).toBe('5');
    expect(await panel.locator('[data-role=result]').textContent()).toContain('picked');
    const tags = await json<{ name: string; size: number }[]>('/tags');
    expect(tags).toContainEqual(expect.objectContaining({ name: 'picked', size: 5 }));
    const members = await json<{ rows: { sample_id: number }[] }>('/query', {
      method: 'POST',
      body: { sql: "SELECT sample_id FROM tag_members WHERE tag = 'picked' ORDER BY sample_id" },
    });
    const selected = await page.evaluate(() => (window as unknown as { __selection?: number[] }).__selection);
    expect(selected).toEqual(members.rows.map((row) => row.sample_id));
    await panel.screenshot({ path: `${ARTIFACTS}selection.png` });

    // The same tag again becomes its next version, selected like the first.
    await panel.locator('[data-action=run]').click();
    const version = async () =>
      (await json<{ name: string; version: number }[]>('/tags')).find((tag) => tag.name === 'picked')
        ?.version;
    await expect.poll(version, { timeout: 60_000 }).toBe(2);
    await expect.poll(() => panel.locator('[data-role=result]').textContent()).toContain('picked');
    expect(await panel.locator('[data-action=run]').isDisabled()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
