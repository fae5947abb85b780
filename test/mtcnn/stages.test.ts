// Each cascade stage against the reference's stage internals (pnet_stage1_debug.json): P-Net pyramid
// sizes and per-level counts, the boxes R-Net receives, R-Net's output given the reference's own
// stage-1 boxes, and O-Net's final faces given the reference's stage-2 boxes. Feeding each stage the
// reference's input isolates it from earlier float noise.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightMap, readModelIndex } from '../../src/ml/assets';
import { type Box, type PnetLevelStats, stage1, stage2, stage3 } from '../../src/ml/mtcnn/cascade';
import { toDetection } from '../../src/ml/mtcnn';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';
import { maxPixelDifference, pairWithReference, referenceImage } from './reference';

interface DebugImage {
  image: string;
  per_scale: { scale: number; scaled_wh: [number, number]; pnet_map_wh: [number, number]; cells_ge_threshold: number; 'after_scale_nms_0.5': number }[];
  stage1_output: { rows: number[][] };
  stage2_output: { rows: number[][] };
}
const debug = (
  JSON.parse(fs.readFileSync(sharedPath('fixtures/mtcnn-reference/pnet_stage1_debug.json'), 'utf8')) as { images: DebugImage[] }
).images;
const params = { minFaceSize: 20, scaleFactor: 0.709, thresholds: [0.6, 0.7, 0.7] as [number, number, number] };
const toBox = (r: number[]): Box => ({ x1: r[0], y1: r[1], x2: r[2], y2: r[3], score: r[4] });
const rowKey = (b: Box) => `${b.x1},${b.y1},${b.x2},${b.y2}`;

let weights: tf.NamedTensorMap;
beforeAll(async () => {
  await useBackend('wasm');
  expect(tf.getBackend()).toBe('wasm');
  weights = await loadWeightMap(readModelAsset, await readModelIndex(readModelAsset), 'mtcnn');
});
afterAll(() => tf.dispose(Object.values(weights ?? {})));

// bbt1 (1366x768, 11 levels) and an FDDB photo (335x450); group-1 (1920x1440) is left to the eval for time.
for (const name of ['bbt1.jpg', 'img_135.jpg']) {
  describe(`stages on ${name}`, () => {
    const ref = debug.find((d) => d.image.endsWith(name))!;
    const image = loadSharedImage(ref.image);

    it('stage 1: same pyramid, per-level counts and boxes for R-Net', async () => {
      const stats: PnetLevelStats[] = [];
      const boxes = await stage1(weights, image, params, stats);
      expect(stats.map((s) => [s.scaledWidth, s.scaledHeight])).toEqual(ref.per_scale.map((s) => s.scaled_wh));
      expect(stats.map((s) => [s.mapWidth, s.mapHeight])).toEqual(ref.per_scale.map((s) => s.pnet_map_wh));
      expect(stats.map((s) => s.passing)).toEqual(ref.per_scale.map((s) => s.cells_ge_threshold));
      expect(stats.map((s) => s.keptByNms)).toEqual(ref.per_scale.map((s) => s['after_scale_nms_0.5']));
      // identical corners (integers after np.fix); scores to float32 noise
      expect(boxes).toHaveLength(ref.stage1_output.rows.length);
      const want = new Map(ref.stage1_output.rows.map((r) => [rowKey(toBox(r)), r[4]]));
      for (const b of boxes) {
        expect(want.has(rowKey(b))).toBe(true);
        expect(Math.abs(b.score - want.get(rowKey(b))!)).toBeLessThan(1e-5);
      }
    });

    it('stage 2 (R-Net) on the reference stage-1 boxes', async () => {
      const out = (await stage2(weights, image, ref.stage1_output.rows.map(toBox), params))!;
      const want = ref.stage2_output.rows.map(toBox);
      expect(out).toHaveLength(want.length);
      for (const w of want) {
        const nearest = out.reduce((best, b) => (Math.abs(b.x1 - w.x1) + Math.abs(b.y1 - w.y1) < Math.abs(best.x1 - w.x1) + Math.abs(best.y1 - w.y1) ? b : best));
        for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(Math.abs(nearest[k] - w[k])).toBeLessThan(1e-3);
        expect(Math.abs(nearest.score - w.score)).toBeLessThan(1e-5);
      }
    });

    it('stage 3 (O-Net) on the reference stage-2 boxes gives the reference faces', async () => {
      const faces = (await stage3(weights, image, ref.stage2_output.rows.map(toBox), params)).map((f) => toDetection(f));
      const want = referenceImage(ref.image).faces;
      expect(faces).toHaveLength(want.length);
      for (const { ref: w, found } of pairWithReference(faces, want)) {
        expect(maxPixelDifference(found!, w)).toBe(0);
        expect(Math.abs(found!.confidence - w.confidence)).toBeLessThan(1e-5);
      }
    });
  });
}
