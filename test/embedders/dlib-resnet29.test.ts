import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { createDlibResnet29, DLIB_RESNET29_INFO } from '../../src/ml/embedders/dlib-resnet29';
import { euclideanDistance } from '../../src/ml/similarity';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';
import { embedWhole, labelledCrops, separation } from './helpers';

let embedder: FaceEmbedder;
const crops = labelledCrops();
let vectors: Float32Array[];

beforeAll(async () => {
  await useBackend();
  // Without flip averaging, to compare with face-api's single-pass reference descriptors.
  embedder = await createDlibResnet29(readModelAsset, { flip: false });
  vectors = await embedWhole(embedder, crops.map((c) => c.image));
});
afterAll(() => embedder?.dispose());

describe('dlib-resnet29', () => {
  it("reproduces face-api.js's reference descriptors for its 150x150 test faces", async () => {
    // face-api's upstream test data: descriptors of face1.png / face2.png from the same (uint8-quantized) weights.
    // Measured Euclidean distance 0.036 / 0.041 here (different people are ~0.8 apart); allowed: 0.08.
    for (const [image, reference] of [
      ['face1.png', 'faceDescriptor1.json'],
      ['face2.png', 'faceDescriptor2.json'],
    ]) {
      const rgb = loadSharedImage(`datasets/faceapi-js-images/test/images/${image}`);
      expect([rgb.width, rgb.height]).toEqual([150, 150]);
      const expected = Float32Array.from(JSON.parse(fs.readFileSync(sharedPath(`datasets/faceapi-js-images/test/data/${reference}`), 'utf8')) as number[]);
      const batch = tf.tensor4d(Float32Array.from(rgb.data), [1, rgb.height, rgb.width, 3]);
      const [descriptor] = await embedder.embed(batch);
      batch.dispose();
      expect(descriptor).toHaveLength(128);
      expect(euclideanDistance(descriptor, expected)).toBeLessThan(0.08);
    }
  });

  it('puts crops of the same person closer than crops of different people (golden: AUC >= 0.99 on 40 crops)', () => {
    // Measured 0.9993 on unaligned whole-crop inputs.
    expect(tf.getBackend()).toBe('wasm');
    expect(vectors.every((v) => v.length === 128 && v.every(Number.isFinite))).toBe(true);
    const s = separation(vectors, crops.map((c) => c.name), 'euclidean');
    expect(s.auc).toBeGreaterThanOrEqual(0.99);
    expect(s.sameMedian).toBeLessThan(DLIB_RESNET29_INFO.defaultThreshold);
    expect(s.differentMedian).toBeGreaterThan(DLIB_RESNET29_INFO.defaultThreshold);
  });

  it('averages each face with its mirror image when flip is on (the default)', async () => {
    const flipping = await createDlibResnet29(readModelAsset);
    try {
      const image = crops[3].image;
      const [both] = await embedWhole(flipping, [image]);
      const mirrored = { ...image, data: new Uint8Array(image.data.length) };
      for (let y = 0; y < image.height; y++)
        for (let x = 0; x < image.width; x++)
          for (let c = 0; c < 3; c++) mirrored.data[(y * image.width + x) * 3 + c] = image.data[(y * image.width + image.width - 1 - x) * 3 + c];
      const [plain, mirror] = await embedWhole(embedder, [image, mirrored]);
      const mean = plain.map((v, i) => (v + mirror[i]) / 2);
      expect(euclideanDistance(both, mean)).toBeLessThan(1e-4);
      // and the mirror really is a different input: its descriptor moves
      expect(euclideanDistance(plain, mirror)).toBeGreaterThan(0.01);
    } finally {
      flipping.dispose();
    }
  });

  it('gives the same descriptor in a batch as alone and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const [alone] = await embedWhole(embedder, [crops[12].image]);
    expect(tf.memory().numTensors).toBe(before);
    expect(euclideanDistance(alone, vectors[12])).toBeLessThan(1e-4);
  });
});
