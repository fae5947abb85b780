// cv2.resize INTER_AREA emulation on hand-computed cases (values worked out from OpenCV's algorithm).
import { describe, expect, it } from 'vitest';
import { resizeArea, saturateU8 } from '../../src/ml/image/resize-area';
import { powCorrectlyRounded } from '../../src/ml/mtcnn/boxes';

describe('resizeArea', () => {
  it('rounds like cvRound (half to even) and saturates', () => {
    expect([0.5, 1.5, 2.5, 2.4999, -3, 300].map(saturateU8)).toEqual([0, 2, 2, 2, 0, 255]);
  });

  it('halves uint8 with the fast 2x2 block average, rounding (sum + 2) >> 2', () => {
    // one channel 4x2 -> 2x1: blocks [0,0,1,1] (sum 2 -> 1, where cvRound(0.5) would give 0) and [1,2,2,2] (7 -> 2)
    const src = Uint8Array.from([0, 1, 1, 2, 0, 1, 2, 2]);
    expect(Array.from(resizeArea(src, 4, 2, 2, 1, 1))).toEqual([1, 2]);
  });

  it('averages integer-ratio float64 blocks with OpenCV\'s float32 1/area', () => {
    const src = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]); // 3x3 -> 1x1
    expect(resizeArea(src, 3, 3, 1, 1, 1)[0]).toBe(45 * Math.fround(1 / 9));
  });

  it('shrinks by a non-integer ratio with fractional cell weights', () => {
    // 3 -> 2 columns: out0 = 2/3 a + 1/3 b, out1 = 1/3 b + 2/3 c (weights as float32)
    const [a, b, c] = [10, 20, 31];
    const out = resizeArea(Float64Array.from([a, b, c]), 3, 1, 2, 1, 1);
    const third = Math.fround(1 / 3);
    const twoThirds = Math.fround(1 / 1.5);
    expect(out[0]).toBeCloseTo(a * twoThirds + b * third, 12);
    expect(out[1]).toBeCloseTo(b * third + c * twoThirds, 12);
    expect(Array.from(resizeArea(Uint8Array.from([a, b, c]), 3, 1, 2, 1, 1))).toEqual([13, 27]);
  });

  it('enlarges like OpenCV INTER_AREA does: linear with cell-overlap weights', () => {
    // 2 -> 3 columns: [a, (a+b)/2, b]; 3 channels
    const out = resizeArea(Float64Array.from([10, 100, 0, 20, 200, 255]), 2, 1, 3, 1);
    expect(Array.from(out)).toEqual([10, 100, 0, 15, 150, 127.5, 20, 200, 255]);
  });

  it('keeps a constant image constant and copies when the size does not change', () => {
    const flat = new Uint8Array(7 * 5 * 3).fill(77);
    expect(resizeArea(flat, 7, 5, 3, 2).every((v) => v === 77)).toBe(true);
    // enlarging: OpenCV's float32 weight pairs (1 - f, f) do not sum to exactly 1, hence ~1e-6 off
    expect(resizeArea(new Float64Array(7 * 5 * 3).fill(77), 7, 5, 24, 24).every((v) => Math.abs(v - 77) < 1e-5)).toBe(true);
    const src = Uint8Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(resizeArea(src, 2, 2, 2, 2))).toEqual(Array.from(src));
  });
});

describe('powCorrectlyRounded', () => {
  it('rounds the exact power of the double to nearest', () => {
    expect(powCorrectlyRounded(0.5, 3)).toBe(0.125);
    expect(powCorrectlyRounded(2, 10)).toBe(1024);
    expect(powCorrectlyRounded(0.709, 2)).toBe(0.709 * 0.709); // one rounding either way
    expect(powCorrectlyRounded(0.709, 3)).toBe(0.3564008289999999); // glibc pow; V8's Math.pow gives ...9999994
  });
});
