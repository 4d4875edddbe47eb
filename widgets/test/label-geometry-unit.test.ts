import { describe, expect, it } from 'vitest';
import {
  type Box,
  boxFromCorners,
  fitSize,
  handleAt,
  isUsable,
  moveBox,
  resizeBox,
  roundBox,
  sameBox,
  smallestContaining,
  toImage,
} from '../src/label/geometry.js';

const image = { width: 640, height: 480 };

describe('fitting the image on screen', () => {
  it('keeps the aspect and fits the tighter side', () => {
    expect(fitSize({ width: 320, height: 480 }, image)).toEqual({ width: 320, height: 240 });
    expect(fitSize({ width: 1280, height: 480 }, image)).toEqual({ width: 640, height: 480 });
    expect(fitSize({ width: 100, height: 100 }, { width: 0, height: 0 })).toEqual({ width: 0, height: 0 });
  });

  it('turns a client position into image pixels through the fit', () => {
    expect(toImage({ x: 110, y: 70 }, { left: 10, top: 20, scale: 0.5 })).toEqual({ x: 200, y: 100 });
  });
});

describe('drawing, moving and resizing boxes in image pixels', () => {
  it('spans a box between two corners dragged in any direction, clamped to the image', () => {
    expect(boxFromCorners({ x: 300, y: 200 }, { x: 100, y: 50 }, image)).toEqual([100, 50, 200, 150]);
    expect(boxFromCorners({ x: -20, y: 400 }, { x: 700, y: 900 }, image)).toEqual([0, 400, 640, 80]);
  });

  it('moves a box and stops it at the edges without shrinking it', () => {
    const box: Box = [100, 100, 50, 40];
    expect(moveBox(box, 30, -20, image)).toEqual([130, 80, 50, 40]);
    expect(moveBox(box, 1000, 1000, image)).toEqual([590, 440, 50, 40]);
    expect(moveBox(box, -1000, -1000, image)).toEqual([0, 0, 50, 40]);
  });

  it('resizes from a corner while the opposite corner stays, flipping when dragged past it', () => {
    const box: Box = [100, 100, 50, 40];
    expect(resizeBox(box, 'se', { x: 200, y: 300 }, image)).toEqual([100, 100, 100, 200]);
    expect(resizeBox(box, 'nw', { x: 90, y: 80 }, image)).toEqual([90, 80, 60, 60]);
    expect(resizeBox(box, 'ne', { x: 50, y: 150 }, image)).toEqual([50, 140, 50, 10]);
    expect(resizeBox(box, 'sw', { x: 120, y: 2000 }, image)).toEqual([120, 100, 30, 380]);
  });

  it('hits the nearest corner handle within the tolerance, and nothing farther', () => {
    const box: Box = [100, 100, 50, 40];
    expect(handleAt(box, { x: 103, y: 98 }, 5)).toBe('nw');
    expect(handleAt(box, { x: 151, y: 141 }, 5)).toBe('se');
    expect(handleAt(box, { x: 149, y: 102 }, 5)).toBe('ne');
    expect(handleAt(box, { x: 125, y: 120 }, 5)).toBeNull();
    // A tiny box: every corner is in reach, the nearest wins.
    expect(handleAt([10, 10, 2, 2], { x: 12, y: 12 }, 5)).toBe('se');
  });

  it('picks the innermost of nested boxes under the pointer', () => {
    const boxes = [
      { id: 1, box: [0, 0, 300, 300] as Box },
      { id: 2, box: [50, 50, 20, 20] as Box },
    ];
    expect(smallestContaining(boxes, { x: 60, y: 60 })?.id).toBe(2);
    expect(smallestContaining(boxes, { x: 200, y: 200 })?.id).toBe(1);
    expect(smallestContaining(boxes, { x: 400, y: 400 })).toBeUndefined();
  });

  it('drops a click without a drag, rounds to hundredths and compares boxes', () => {
    expect(isUsable([10, 10, 2, 30], 4)).toBe(false);
    expect(isUsable([10, 10, 4, 4], 4)).toBe(true);
    expect(roundBox([1.23456, 2.5, 3.999, 4])).toEqual([1.23, 2.5, 4, 4]);
    expect(sameBox([1, 2, 3, 4], [1, 2, 3, 4.0000001])).toBe(true);
    expect(sameBox([1, 2, 3, 4], [1, 2, 3, 5])).toBe(false);
    expect(sameBox(null, null)).toBe(true);
    expect(sameBox(null, [1, 2, 3, 4])).toBe(false);
  });
});
