import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;

interface StoredAnnotation {
  annotation_id: number;
  task: string;
  category: string;
  box: number[] | null;
}

let harness: Harness;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  harness = await startHarness({ images: 8, withProjection: false });
  page = harness.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await harness.mount({ view: 'label' });
  await page.waitForSelector('.winnow-label[data-sample-id] .winnow-label-overlay[viewBox]');
  await page.waitForFunction(() =>
    document.querySelector('[data-role=title]')?.textContent?.startsWith('1 of'),
  );
});

afterAll(async () => {
  await harness?.close();
});

function json<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  return harness.datasetJson<T>(path, init);
}

async function shownSample(): Promise<number> {
  return Number(await page.locator('.winnow-label').getAttribute('data-sample-id'));
}

function annotationsOf(sampleId: number): Promise<StoredAnnotation[]> {
  return json(`/samples/${sampleId}/annotations`);
}

/** The overlay's place on screen and screen pixels per image pixel. */
async function imageFit(sampleId: number) {
  const { sample } = await json<{ sample: { width: number; height: number } }>(`/samples/${sampleId}`);
  const box = (await page.locator('.winnow-label-overlay').boundingBox())!;
  return { left: box.x, top: box.y, scale: box.width / sample.width };
}

async function drag(from: [number, number], to: [number, number]): Promise<void> {
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.mouse.move((from[0] + to[0]) / 2, (from[1] + to[1]) / 2, { steps: 4 });
  await page.mouse.move(...to, { steps: 4 });
  await page.mouse.up();
}

function expectBoxNear(actual: number[] | null, expected: number[]): void {
  expect(actual).not.toBeNull();
  for (const [i, value] of actual!.entries()) {
    expect(Math.abs(value - expected[i]!), `box[${i}]`).toBeLessThan(1.5);
  }
}

async function pressOnPanel(key: string): Promise<void> {
  await page.locator('[data-role=help]').click();
  await page.keyboard.press(key);
}

describe('the label panel stores every change on the server at once', () => {
  it('draws a box by dragging, moves and resizes it, changes its class, deletes it, and undo restores it', async () => {
    const sampleId = await shownSample();
    expect(await annotationsOf(sampleId)).toEqual([]);
    const fit = await imageFit(sampleId);
    const at = (x: number, y: number): [number, number] => [
      fit.left + x * fit.scale,
      fit.top + y * fit.scale,
    ];

    await page.click('[data-action=draw]');
    await drag(at(40, 50), at(240, 200));
    await page.waitForSelector('[data-annotation-id]');
    const [drawn] = await annotationsOf(sampleId);
    expect(drawn).toMatchObject({ task: 'detection' });
    expectBoxNear(drawn!.box, [40, 50, 200, 150]);

    await drag(at(140, 125), at(170, 105));
    await expect.poll(async () => (await annotationsOf(sampleId))[0]?.box?.[0]).toBeGreaterThan(65);
    expectBoxNear((await annotationsOf(sampleId))[0]!.box, [70, 30, 200, 150]);

    await drag(at(270, 180), at(300, 200));
    await expect.poll(async () => (await annotationsOf(sampleId))[0]?.box?.[2]).toBeGreaterThan(220);
    expectBoxNear((await annotationsOf(sampleId))[0]!.box, [70, 30, 230, 170]);

    await page.fill('[data-role=class]', 'giraffe calf');
    await page.press('[data-role=class]', 'Enter');
    await page.waitForSelector('[data-annotation-id][data-category="giraffe calf"]');
    const [renamed] = await annotationsOf(sampleId);
    expect(renamed).toMatchObject({ annotation_id: drawn!.annotation_id, category: 'giraffe calf' });
    await page.locator('.winnow-label').screenshot({ path: `${ARTIFACTS}label.png` });

    await pressOnPanel('Delete');
    await page.waitForSelector('[data-annotation-id]', { state: 'detached' });
    expect(await annotationsOf(sampleId)).toEqual([]);

    await page.keyboard.press('Control+z');
    await page.waitForSelector('[data-annotation-id][data-category="giraffe calf"]');
    const [restored] = await annotationsOf(sampleId);
    expect(restored!.category).toBe('giraffe calf');
    expectBoxNear(restored!.box, [70, 30, 230, 170]);
    // Undo of a delete is one more change: the label comes back as a new annotation.
    expect(restored!.annotation_id).not.toBe(drawn!.annotation_id);
    expect(await page.locator(`[data-annotation-id="${restored!.annotation_id}"]`).count()).toBe(1);

    // Further undos reach back past the delete: the class change, then the resize.
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await annotationsOf(sampleId))[0]?.category).not.toBe('giraffe calf');
    await page.keyboard.press('Control+z');
    await expect.poll(async () => (await annotationsOf(sampleId))[0]?.box?.[2]).toBeLessThan(210);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(async () => (await annotationsOf(sampleId))[0]?.box?.[2]).toBeGreaterThan(220);
  });

  it('adds and removes a tag on the sample through its chips', async () => {
    const sampleId = await shownSample();
    await page.fill('[data-role=tag-input]', "needs 'review'");
    await page.press('[data-role=tag-input]', 'Enter');
    await page.waitForSelector(`[data-tag="needs 'review'"]`);
    expect((await json<{ tags: string[] }>(`/samples/${sampleId}`)).tags).toEqual(["needs 'review'"]);

    await page.locator(`[data-tag="needs 'review'"] button`).click();
    await page.waitForSelector('[data-tag]', { state: 'detached' });
    expect((await json<{ tags: string[] }>(`/samples/${sampleId}`)).tags).toEqual([]);
  });

  it('chooses a class by its number and labels the whole image with it', async () => {
    const sampleId = await shownSample();
    const keys = await page.locator('[data-role=class-keys]').textContent();
    const second = /2 ([^·]+)/.exec(keys ?? '')![1]!.trim();
    await pressOnPanel('2');
    expect(await page.locator('[data-role=class]').inputValue()).toBe(second);
    await page.click('[data-action=classify]');
    await page.waitForSelector('[data-role=image-classes] [data-annotation-id]');
    const labels = await annotationsOf(sampleId);
    expect(labels.filter((a) => a.box === null)).toMatchObject([
      { task: 'classification', category: second },
    ]);
  });

  it('walks through the samples meeting the query with the arrow keys', async () => {
    const ids = (await json<{ samples: { sample_id: number }[] }>('/samples?limit=3')).samples.map(
      (s) => s.sample_id,
    );
    expect(await shownSample()).toBe(ids[0]);
    await pressOnPanel('ArrowRight');
    await page.waitForSelector(`.winnow-label[data-sample-id="${ids[1]}"]`);
    await page.waitForFunction(() =>
      document.querySelector('[data-role=title]')?.textContent?.startsWith('2 of 8'),
    );
    await page.click('[data-action=next]');
    await page.waitForSelector(`.winnow-label[data-sample-id="${ids[2]}"]`);
    await pressOnPanel('ArrowLeft');
    await page.waitForSelector(`.winnow-label[data-sample-id="${ids[1]}"]`);
    expect(await page.locator('[data-action=prev]').isDisabled()).toBe(false);
  });

  it('shows a refused change as one line in the panel, and nothing escapes', async () => {
    const sampleId = await shownSample();
    const fit = await imageFit(sampleId);
    await page.click('[data-action=draw]');
    await drag([fit.left + 20, fit.top + 20], [fit.left + 80, fit.top + 80]);
    await page.waitForSelector('[data-annotation-id]');
    const [annotation] = await annotationsOf(sampleId);
    // Someone else removes it; the panel still shows it selected.
    await json(`/annotations/${annotation!.annotation_id}`, { method: 'DELETE' });
    await pressOnPanel('Delete');
    const error = page.locator('.winnow-label [data-role=error]');
    await expect.poll(() => error.textContent()).toContain(`no annotation ${annotation!.annotation_id}`);
    expect(await error.evaluate((element) => element.textContent!.includes('\n'))).toBe(false);
    expect(pageErrors).toEqual([]);
  });

  it('saves the caption on leaving the field and on Ctrl+Enter, undoes it, and keeps its keys from the shortcuts', async () => {
    const sampleId = await shownSample();
    const caption = page.locator('[data-role=caption]');
    const stored = async () =>
      (
        await json<{ rows: { caption: string; version: number }[] }>('/query', {
          method: 'POST',
          body: { sql: `SELECT caption, version FROM captions WHERE sample_id = ${sampleId}` },
        })
      ).rows;

    await caption.fill('a giraffe');
    // Clicking in the field to go on typing must not save the half-typed caption.
    await caption.click();
    await page.keyboard.press('End');
    await page.keyboard.type(' eating');
    await caption.blur();
    await expect.poll(stored).toEqual([{ caption: 'a giraffe eating', version: 1 }]);

    // In the field, `b` and `1` are text: no draw mode, no class chosen.
    const classBefore = await page.locator('[data-role=class]').inputValue();
    await caption.press('b');
    await caption.press('1');
    expect(await caption.inputValue()).toMatch(/b1|1b/);
    expect(await page.locator('[data-action=draw]').getAttribute('aria-pressed')).toBe('false');
    expect(await page.locator('[data-role=class]').inputValue()).toBe(classBefore);

    await caption.fill('two giraffes');
    await caption.press('Control+Enter');
    await expect.poll(stored).toEqual([{ caption: 'two giraffes', version: 2 }]);
    expect(await caption.inputValue()).toBe('two giraffes');

    await page.click('[data-action=undo]');
    await expect.poll(stored).toEqual([{ caption: 'a giraffe eating', version: 3 }]);
    await expect.poll(() => caption.inputValue()).toBe('a giraffe eating');
    expect(pageErrors).toEqual([]);
  });
});
