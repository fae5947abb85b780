// ipazc's box helpers on hand-made cases, and numpy's argsort tie order.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argsortNumpy } from '../../src/ml/mtcnn/argsort';
import { bbreg, fix, generateCandidates, nms, padBox, rerec, scalePyramid } from '../../src/ml/mtcnn/boxes';
import { sharedPath } from '../support/node-ml';

const box = (x1: number, y1: number, x2: number, y2: number, score: number) => ({ x1, y1, x2, y2, score });

describe('argsortNumpy', () => {
  it('sorts distinct values ascending', () => {
    let seed = 7;
    const values = Array.from({ length: 1000 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const order = Array.from(argsortNumpy(values));
    expect(order.map((i) => values[i])).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(order).size).toBe(1000);
  });

  it('keeps ties in place for short arrays (insertion sort)', () => {
    expect(Array.from(argsortNumpy([1, 0, 1, 0, 1]))).toEqual([1, 3, 0, 2, 4]);
  });

  it('breaks ties like numpy 1.x quicksort past 16 elements', () => {
    // np.argsort(np.zeros(20)) in numpy 1.24, traced by hand through its median-of-3 partition
    expect(Array.from(argsortNumpy(new Array(20).fill(0)))).toEqual([0, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 18, 19]);
  });
});

describe('nms (ipazc __nms)', () => {
  it('uses +1 areas and suppresses only overlaps strictly above the threshold', () => {
    // 10x10 boxes (with +1: 11x11) shifted so that the +1 IoU is exactly 0.5 -> kept at t=0.5
    // inter = (11 - d) * 11, union = 242 - inter; IoU 0.5 <=> inter = 80.67: not integral, so use Min:
    // Min overlap = inter / 121; d = 0 -> 1, d = 11 -> 0.
    const a = box(0, 0, 10, 10, 0.9);
    const b = box(5.5, 0, 15.5, 10, 0.8); // inter (10 - 5.5 + 1) * 11 = 60.5 -> Min overlap 0.5
    expect(nms([a, b], 0.5, 'Min')).toEqual([0, 1]);
    expect(nms([a, b], 0.49, 'Min')).toEqual([0]);
    // Union: 60.5 / (121 + 121 - 60.5) = 0.3333
    expect(nms([a, b], 0.34, 'Union')).toEqual([0, 1]);
    expect(nms([a, b], 0.33, 'Union')).toEqual([0]);
  });

  it('returns picks by descending score and keeps non-overlapping boxes', () => {
    const boxes = [box(0, 0, 10, 10, 0.5), box(100, 100, 110, 110, 0.9), box(1, 1, 11, 11, 0.7), box(200, 0, 210, 10, 0.6)];
    expect(nms(boxes, 0.5, 'Union')).toEqual([1, 2, 3]);
    expect(nms([], 0.5, 'Union')).toEqual([]);
  });
});

describe('box helpers', () => {
  it('rerec squares on the longer side around the same centre', () => {
    expect(rerec(box(10, 20, 30, 60, 1))).toMatchObject({ x1: 0, y1: 20, x2: 40, y2: 60 });
  });

  it('bbreg offsets by fractions of the +1 width and height', () => {
    expect(bbreg(box(10, 20, 19, 39, 1), [0.1, -0.1, 0.2, 0.5])).toMatchObject({ x1: 11, y1: 18, x2: 21, y2: 49 });
  });

  it('fix truncates toward zero', () => {
    expect([fix(2.7), fix(-2.7), fix(-0.2)]).toEqual([2, -2, 0]);
  });

  it('padBox turns ipazc pad() into buffer/source windows, clipping at all four edges', () => {
    // box sticking out left/top by 5 and right/bottom by 3 on a 100x80 image
    const w = padBox({ x1: -5, y1: -5, x2: 102, y2: 82 }, 100, 80);
    expect(w).toMatchObject({ tmpw: 108, tmph: 88, sx0: 0, sx1: 100, sy0: 0, sy1: 80, dx0: 6, dx1: 106, dy0: 6, dy1: 86 });
    expect(w.sx1 - w.sx0).toBe(w.dx1 - w.dx0);
    const inside = padBox({ x1: 10, y1: 20, x2: 29, y2: 39 }, 100, 80);
    expect(inside).toMatchObject({ tmpw: 20, tmph: 20, sx0: 9, sx1: 29, dx0: 0, dx1: 20, sy0: 19, sy1: 39 });
  });
});

describe('generateCandidates', () => {
  // maps laid out [mapW][mapH] (image column-major, as P-Net sees the transposed image)
  const mapW = 3;
  const mapH = 2;
  const reg = Float32Array.from({ length: mapW * mapH * 4 }, (_, i) => i / 100);

  it('maps cells to q1 = fix((2c+1)/scale), q2 = fix((2c+12)/scale) with their own regression', () => {
    const prob = [0.1, 0.7, 0.9, 0.2, 0.6, 0.0]; // cells (a=0,b=1), (1,0), (2,0) pass
    const c = generateCandidates(prob, reg, mapW, mapH, 0.5, 0.6);
    expect(c.map((b) => [b.x1, b.y1, b.x2, b.y2])).toEqual([[2, 6, 24, 28], [6, 2, 28, 24], [10, 2, 32, 24]]);
    expect(c[1].reg).toEqual(Array.from(reg.subarray(8, 12)));
    expect(c[1].score).toBe(0.9);
  });

  it('reads the regression from the mirrored column when exactly one cell passes (np.flipud quirk)', () => {
    const prob = [0, 0, 0, 0.95, 0, 0]; // only (a=1, b=1)
    const [only] = generateCandidates(prob, reg, mapW, mapH, 1, 0.6);
    expect([only.x1, only.y1]).toEqual([3, 3]);
    expect(only.reg).toEqual(Array.from(reg.subarray(12, 16))); // a = 3-1-1 = 1: the middle column mirrors to itself
    const [edge] = generateCandidates([0, 0.95, 0, 0, 0, 0], reg, mapW, mapH, 1, 0.6); // (a=0, b=1) reads a=2
    expect(edge.reg).toEqual(Array.from(reg.subarray(4 * (2 * mapH + 1), 4 * (2 * mapH + 1) + 4)));
  });
});

describe('scalePyramid', () => {
  it('reproduces the reference scales bit for bit', () => {
    const debug = JSON.parse(fs.readFileSync(sharedPath('fixtures/mtcnn-reference/pnet_stage1_debug.json'), 'utf8')) as {
      images: { width: number; height: number; scales: number[] }[];
    };
    for (const im of debug.images) expect(scalePyramid(im.width, im.height, 20, 0.709)).toEqual(im.scales);
    expect(scalePyramid(1, 1, 20, 0.709)).toEqual([]);
  });
});
