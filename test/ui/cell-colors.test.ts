// The distance matrix's digits stay readable (axe's WCAG AA colour-contrast rule) on every cell colour.
import { describe, expect, it } from 'vitest';
import { cellPaint, contrastRatio, hslToRgb } from '../../src/ui/cell-colors';

describe('cellPaint', () => {
  it('converts HSL and measures contrast as WCAG defines them', () => {
    expect(hslToRgb(0, 0, 100)).toEqual([255, 255, 255]);
    expect(hslToRgb(120, 100, 50)).toEqual([0, 255, 0]);
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 6);
    // #767676 on white is the classic 4.54:1
    expect(contrastRatio([118, 118, 118], [255, 255, 255])).toBeCloseTo(4.54, 2);
  });

  it('gives every cell digits with at least 4.5:1 contrast, under and above the threshold', () => {
    for (let i = 0; i <= 300; i++) {
      const d = i / 100;
      for (const under of [true, false]) {
        const paint = cellPaint(d, under, 2);
        expect(paint.contrast, `distance ${d} under ${under}`).toBeGreaterThanOrEqual(4.5);
        const rgb = (css: string) => css.match(/\d+/g)!.map(Number) as [number, number, number];
        expect(contrastRatio(rgb(paint.background), rgb(paint.color))).toBeCloseTo(paint.contrast, 9);
      }
    }
  });
});
