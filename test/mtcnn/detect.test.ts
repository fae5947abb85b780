// End-to-end MTCNN detection on real photos against ipazc's reference outputs (WASM backend).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createHash } from 'node:crypto';
import { createMtcnn, detectionSize, type MtcnnDetector } from '../../src/ml/mtcnn';
import type { RgbImage } from '../../src/ml/types';
import { loadSharedImage, readModelAsset, useBackend } from '../support/node-ml';
import { expectReferenceFaces, pairWithReference, referenceImage } from './reference';

let detector: MtcnnDetector;
beforeAll(async () => {
  await useBackend('wasm');
  expect(tf.getBackend()).toBe('wasm');
  detector = await createMtcnn(readModelAsset);
});
afterAll(() => detector?.dispose());

// Stable reference images (float32 and float64 runs agree): ipazc's answer to the pixel (expectReferenceFaces).
const PHOTOS = [
  'datasets/faceapi-js-images/examples/images/bbt4.jpg', // 6 faces
  'datasets/group-photos/traversy-examples/groups/team2.jpg', // group photo, 11 faces
  'datasets/fddb/images/2002/07/26/big/img_576.jpg', // the one image where ipazc's flipud quirk changes the output
];

describe('MTCNN detect() vs ipazc mtcnn 0.0.9', () => {
  for (const path of PHOTOS) {
    it(`${path.split('/').pop()}: same faces, boxes and keypoints`, async () => {
      const ref = referenceImage(path);
      const image = loadSharedImage(path);
      expect(createHash('sha256').update(image.data).digest('hex')).toBe(ref.rgb_sha256);
      const faces = await detector.detect(image);
      expectReferenceFaces(faces, ref.faces);
      // ipazc returns faces by descending O-Net score (ties aside)
      for (let i = 1; i < faces.length; i++) expect(faces[i].confidence).toBeLessThanOrEqual(faces[i - 1].confidence + 1e-6);
    });
  }

  it('finds no face in a blank image', async () => {
    const image = loadSharedImage('datasets/faceapi-js-images/test/images/white.png');
    expect(referenceImage('datasets/faceapi-js-images/test/images/white.png').faces).toHaveLength(0);
    expect(await detector.detect(image)).toEqual([]);
  });

  it('returns [] for a 1x1 image', async () => {
    expect(await detector.detect({ width: 1, height: 1, data: new Uint8Array([200, 150, 120]) })).toEqual([]);
  });

  it('leaves no tensor behind', async () => {
    const image = loadSharedImage('datasets/faceapi-js-images/examples/images/bbt4.jpg');
    await detector.detect(image); // warm-up: backends may cache kernels
    const before = tf.memory().numTensors;
    const faces = await detector.detect(image);
    expect(faces.length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('warmUp() leaves no tensor behind and changes no result', async () => {
    const image = loadSharedImage('datasets/faceapi-js-images/examples/images/bbt4.jpg');
    const before = await detector.detect(image);
    const tensors = tf.memory().numTensors;
    await detector.warmUp();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await detector.detect(image)).toEqual(before);
  });

  it('detects a ~12 MP photo on a shrunk copy and maps boxes back to full size', async () => {
    const path = 'datasets/faceapi-js-images/examples/images/bbt4.jpg';
    const small = loadSharedImage(path);
    const factor = 6; // 710x473 -> 4260x2838 = 12.1 MP, nearest-neighbour
    const big: RgbImage = { width: small.width * factor, height: small.height * factor, data: new Uint8Array(small.width * factor * small.height * factor * 3) };
    for (let y = 0; y < big.height; y++) {
      const sy = Math.floor(y / factor);
      for (let x = 0; x < big.width; x++) {
        const s = (sy * small.width + Math.floor(x / factor)) * 3;
        big.data.set(small.data.subarray(s, s + 3), (y * big.width + x) * 3);
      }
    }
    const [dw, dh] = detectionSize(big.width, big.height, 4_000_000);
    expect(dw * dh).toBeLessThanOrEqual(4_000_000);
    expect(dw).toBeLessThan(big.width);
    const faces = await detector.detect(big);
    const ref = referenceImage(path).faces.map((f) => ({ ...f, box: f.box.map((v) => v * factor) as typeof f.box }));
    expect(faces).toHaveLength(ref.length);
    for (const { found, iou, ref: want } of pairWithReference(faces, ref)) {
      expect(iou).toBeGreaterThan(0.8);
      // keypoints land in full-size coordinates too (within a tenth of the face width)
      const tolerance = want.box[2] * 0.1;
      expect(Math.abs(found!.keypoints.nose[0] - want.keypoints.nose[0] * factor)).toBeLessThan(tolerance);
      expect(Math.abs(found!.keypoints.nose[1] - want.keypoints.nose[1] * factor)).toBeLessThan(tolerance);
    }
  });
});
