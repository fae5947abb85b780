import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyAffine, cropTransform, pyramidLevel, similarityTransform, VGGFACE2_TEMPLATE, warpFaces, type Affine } from '../../src/ml/align';
import type { FaceDetection, Point, RgbImage } from '../../src/ml/types';
import { useBackend } from '../support/node-ml';

beforeAll(async () => {
  await useBackend();
});

const rotationScale = (angle: number, scale: number, tx: number, ty: number): Affine => ({
  a: scale * Math.cos(angle),
  b: -scale * Math.sin(angle),
  c: scale * Math.sin(angle),
  d: scale * Math.cos(angle),
  tx,
  ty,
});

const detection = (box: FaceDetection['box'], points: Point[] = [[0, 0], [1, 0], [0, 1], [1, 1], [2, 2]]): FaceDetection => ({
  box,
  confidence: 1,
  keypoints: { left_eye: points[0], right_eye: points[1], nose: points[2], mouth_left: points[3], mouth_right: points[4] },
});

describe('similarityTransform (Umeyama)', () => {
  const template: Point[] = VGGFACE2_TEMPLATE.map(([u, v]) => [u * 224, v * 224]);

  it('recovers a known rotation, scale and translation exactly', () => {
    const truth = rotationScale(0.35, 1.7, 30, -12);
    const moved = template.map((p) => applyAffine(truth, p));
    const found = similarityTransform(template, moved);
    for (const key of ['a', 'b', 'c', 'd', 'tx', 'ty'] as const) expect(found[key]).toBeCloseTo(truth[key], 9);
  });

  it('gives the least-squares fit for noisy points (zero-mean residuals, no better nearby transform)', () => {
    const truth = rotationScale(-0.2, 0.6, 100, 80);
    const noise: Point[] = [[1.5, -0.5], [-1, 1], [0.5, 2], [-2, -1], [1, -1.5]];
    const moved = template.map((p, i): Point => {
      const [x, y] = applyAffine(truth, p);
      return [x + noise[i][0], y + noise[i][1]];
    });
    const found = similarityTransform(template, moved);
    const cost = (t: Affine) => template.reduce((s, p, i) => s + (applyAffine(t, p)[0] - moved[i][0]) ** 2 + (applyAffine(t, p)[1] - moved[i][1]) ** 2, 0);
    const best = cost(found);
    for (const [key, delta] of [['a', 1e-3], ['c', 1e-3], ['tx', 0.1], ['ty', 0.1]] as const) {
      const step = { ...found, [key]: found[key] + delta };
      // keep it a similarity: a = d, c = -b
      step.d = step.a;
      step.b = -step.c;
      expect(cost(step)).toBeGreaterThan(best);
    }
    expect(found.a).toBeCloseTo(truth.a, 1);
    expect(found.c).toBeCloseTo(truth.c, 1);
  });
});

describe('cropTransform', () => {
  it("'tight' maps the crop's corners onto the box corners (stretching a non-square box)", () => {
    const t = cropTransform(detection([10, 20, 100, 150]), 'tight', 224);
    expect(applyAffine(t, [0, 0])).toEqual([10, 20]);
    const [x, y] = applyAffine(t, [224, 224]);
    expect(x).toBeCloseTo(110, 9);
    expect(y).toBeCloseTo(170, 9);
  });

  it("'vggface2' is a square of 1.3 x short side x 224/256 centred on the box", () => {
    const t = cropTransform(detection([10, 20, 100, 150]), 'vggface2', 224);
    const [cx, cy] = applyAffine(t, [112, 112]);
    expect(cx).toBeCloseTo(60, 9);
    expect(cy).toBeCloseTo(95, 9);
    const side = (100 * 1.3 * 224) / 256;
    expect(applyAffine(t, [224, 0])[0] - applyAffine(t, [0, 0])[0]).toBeCloseTo(side, 9);
    expect(applyAffine(t, [0, 224])[1] - applyAffine(t, [0, 0])[1]).toBeCloseTo(side, 9);
  });

  it("'aligned' sends the template points onto the keypoints of a rotated, scaled face", () => {
    const truth = rotationScale(0.5, 0.8, 300, 200);
    const keypoints = VGGFACE2_TEMPLATE.map(([u, v]) => applyAffine(truth, [u * 150, v * 150]));
    const t = cropTransform(detection([0, 0, 1, 1], keypoints), 'aligned', 150);
    VGGFACE2_TEMPLATE.forEach(([u, v], i) => {
      const [x, y] = applyAffine(t, [u * 150, v * 150]);
      expect(x).toBeCloseTo(keypoints[i][0], 6);
      expect(y).toBeCloseTo(keypoints[i][1], 6);
    });
  });
});

describe('warpFaces', () => {
  // A linear ramp: bilinear sampling and 2x average pooling reproduce it exactly, so values are predictable.
  const width = 64;
  const height = 40;
  const ramp = (x: number, y: number, c: number) => x + 2 * y + 50 * c;
  const makeImage = (): RgbImage => {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = ramp(x, y, c);
    return { data, width, height };
  };

  it('copies pixels exactly under a translation, and fills outside the photo with 0', async () => {
    const image = makeImage();
    const crops = warpFaces(image, [{ a: 1, b: 0, c: 0, d: 1, tx: 10, ty: 5 }, { a: 1, b: 0, c: 0, d: 1, tx: -4, ty: 0 }], 8);
    expect(crops.shape).toEqual([2, 8, 8, 3]);
    const values = (await crops.array()) as number[][][][];
    expect(values[0][0][0]).toEqual([ramp(10, 5, 0), ramp(10, 5, 1), ramp(10, 5, 2)]);
    expect(values[0][7][3][1]).toBeCloseTo(ramp(13, 12, 1), 4);
    expect(values[1][0][0]).toEqual([0, 0, 0]);
    expect(values[1][2][4][2]).toBeCloseTo(ramp(0, 2, 2), 4);
    crops.dispose();
  });

  it('samples a rotated crop at the mapped positions (bilinear is exact on a ramp)', async () => {
    const image = makeImage();
    const t = rotationScale(Math.PI / 6, 1.2, 30, 10);
    const crops = warpFaces(image, [t], 16);
    const values = (await crops.array()) as number[][][][];
    for (const [u, v] of [[3, 4], [10, 2], [8, 8]]) {
      const [x, y] = applyAffine(t, [u + 0.5, v + 0.5]);
      expect(values[0][v][u][0]).toBeCloseTo(ramp(x - 0.5, y - 0.5, 0), 3);
    }
    crops.dispose();
  });

  it('shrinks large faces from a pyramid level (area average), keeping the caller order across levels', async () => {
    const image = makeImage();
    const shrink4: Affine = { a: 4, b: 0, c: 0, d: 4, tx: 0, ty: 0 };
    const identity: Affine = { a: 1, b: 0, c: 0, d: 1, tx: 0, ty: 0 };
    expect(pyramidLevel(shrink4, 10)).toBe(2);
    expect(pyramidLevel(identity, 10)).toBe(0);
    const crops = warpFaces(image, [shrink4, identity], 4);
    const values = (await crops.array()) as number[][][][];
    // crop pixel (1, 2) of the 4x shrink covers photo pixels x 4..7, y 8..11: their mean on the ramp
    expect(values[0][2][1][0]).toBeCloseTo(ramp(5.5, 9.5, 0), 3);
    expect(values[1][2][1][0]).toBeCloseTo(ramp(1, 2, 0), 4);
    crops.dispose();
  });

  it('gives black crops for faces wholly outside the photo', async () => {
    const image = makeImage();
    const crops = warpFaces(image, [{ a: 1, b: 0, c: 0, d: 1, tx: 500, ty: 5 }, { a: 8, b: 0, c: 0, d: 8, tx: -200, ty: -200 }], 8);
    expect(Math.max(...(await crops.data()))).toBe(0);
    crops.dispose();
  });

  it('leaks no tensors and accepts an empty batch', () => {
    const image = makeImage();
    const before = tf.memory().numTensors;
    tf.dispose(warpFaces(image, [{ a: 3, b: 0, c: 0, d: 3, tx: 0, ty: 0 }, { a: 1, b: 0, c: 0, d: 1, tx: 2, ty: 2 }], 8));
    const empty = warpFaces(image, [], 8);
    expect(empty.shape).toEqual([0, 8, 8, 3]);
    empty.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getBackend()).toBe('wasm');
  });
});
