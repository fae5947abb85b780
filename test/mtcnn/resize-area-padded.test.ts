// resizeAreaPadded must equal "copy the window into a zero-padded float64 buffer, then resizeArea" bit for bit:
// MTCNN's stage 2/3 patches go through it, and its thresholds and np.fix see every last bit.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resizeArea, resizeAreaPadded, type PaddedWindow } from '../../src/ml/image/resize-area';
import { decodeImageBytes, sharedPath } from '../support/node-ml';

const photo = decodeImageBytes(fs.readFileSync(sharedPath('datasets/faceapi-js-images/examples/images/bbt1.jpg')));

/** The padded buffer built the plain way (ipazc's tmp array). */
function paddedBuffer(win: PaddedWindow): Float64Array {
  const out = new Float64Array(win.width * win.height * 3);
  for (let r = 0; r < win.rows; r++) {
    for (let c = 0; c < win.cols; c++) {
      for (let ch = 0; ch < 3; ch++) {
        out[((win.top + r) * win.width + win.left + c) * 3 + ch] = photo.data[((win.y0 + r) * photo.width + win.x0 + c) * 3 + ch];
      }
    }
  }
  return out;
}

/** A box of side w x h at (x, y) in image coordinates, clipped to the photo the way ipazc's pad() does. */
function windowFor(x: number, y: number, w: number, h: number): PaddedWindow {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(photo.width, x + w);
  const y1 = Math.min(photo.height, y + h);
  return { width: w, height: h, x0, y0, cols: Math.max(0, x1 - x0), rows: Math.max(0, y1 - y0), left: x0 - x, top: y0 - y };
}

describe('resizeAreaPadded', () => {
  const cases: [string, number, number, number, number, number][] = [
    ['inside, shrink by a fraction', 400, 200, 173, 191, 24],
    ['inside, shrink O-Net size', 500, 150, 301, 287, 48],
    ['off the left and top edges', -37, -20, 140, 133, 24],
    ['off the right and bottom edges', 1300, 700, 97, 121, 48],
    ['larger than the photo on every side', -50, -40, 1466, 868, 24],
    ['integer ratio (fast path)', 100, 100, 48, 72, 24],
    ['enlarging (linear path)', 600, 300, 17, 19, 24],
    ['same size', 10, 10, 24, 24, 24],
    ['entirely outside', -300, -300, 100, 100, 24],
  ];
  for (const [name, x, y, w, h, size] of cases) {
    it(name, () => {
      const win = windowFor(x, y, w, h);
      const expected = resizeArea(paddedBuffer(win), w, h, size, size);
      const actual = resizeAreaPadded(photo.data, photo.width, win, size, size);
      expect(actual.length).toBe(expected.length);
      let mismatches = 0;
      for (let i = 0; i < expected.length; i++) if (!Object.is(actual[i], expected[i])) mismatches++;
      expect(mismatches).toBe(0);
      // and the patch is not trivially empty where it overlaps the photo
      if (win.cols > 0 && win.rows > 0) expect(Math.max(...actual)).toBeGreaterThan(0);
    });
  }
});
