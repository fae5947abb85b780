import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelIntegrityError } from '../../src/ml/assets';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { createVggface2Mobilenet, preprocessVggface2, VGGFACE2_MOBILENET_INFO } from '../../src/ml/embedders/vggface2-mobilenet';
import meanDescriptor from '../../src/ml/embedders/vggface2-mobilenet/mean-descriptor.json';
import { readModelAsset, useBackend } from '../support/node-ml';
import { embedWhole, labelledCrops, separation } from './helpers';

let embedder: FaceEmbedder;
let raw: FaceEmbedder;
const crops = labelledCrops();
let vectors: Float32Array[];
let rawVectors: Float32Array[];

beforeAll(async () => {
  await useBackend();
  embedder = await createVggface2Mobilenet(readModelAsset);
  raw = await createVggface2Mobilenet(readModelAsset, { centre: false });
  vectors = await embedWhole(embedder, crops.map((c) => c.image));
  rawVectors = await embedWhole(raw, crops.slice(0, 5).map((c) => c.image));
});
afterAll(() => {
  embedder?.dispose();
  raw?.dispose();
});

describe('vggface2-mobilenet', () => {
  it('preprocesses RGB 0..255 into mean-subtracted BGR', async () => {
    const rgb = tf.tensor4d([10, 20, 30, 255, 0, 128], [1, 1, 2, 3]);
    const out = preprocessVggface2(rgb);
    const values = Array.from(await out.data());
    const expected = [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68];
    values.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([rgb, out]);
  });

  it('returns one 1024-d descriptor per face; raw ones lie in 0..6 (mean of ReLU6 maps)', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(embedder.info).toEqual(VGGFACE2_MOBILENET_INFO);
    expect(vectors).toHaveLength(40);
    expect(vectors.every((v) => v.length === 1024 && v.every(Number.isFinite))).toBe(true);
    for (const v of rawVectors) {
      expect(v).toHaveLength(1024);
      expect(v.every((x) => x >= 0 && x <= 6)).toBe(true);
    }
  });

  it('centres by default: the descriptor is the raw one minus the stored FDDB mean', () => {
    expect(meanDescriptor.mean).toHaveLength(1024);
    const worst = Math.max(...rawVectors.flatMap((r, n) => Array.from(r, (x, i) => Math.abs(vectors[n][i] - (x - meanDescriptor.mean[i])))));
    expect(worst).toBeLessThan(1e-4);
  });

  it('puts crops of the same person closer than crops of different people (golden: AUC >= 0.99 on 40 crops)', () => {
    // Measured 0.9993 (780 pairs): a real model separates these easily, a broken one (wrong channel order, wrong
    // output node) falls well below.
    const s = separation(vectors, crops.map((c) => c.name), 'cosine');
    expect(s.auc).toBeGreaterThanOrEqual(0.99);
    expect(s.sameMedian).toBeLessThan(VGGFACE2_MOBILENET_INFO.defaultThreshold);
    expect(s.differentMedian).toBeGreaterThan(VGGFACE2_MOBILENET_INFO.defaultThreshold);
  });

  it('gives the same descriptor in a batch as alone (relative error < 1e-4) and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    const [alone] = await embedWhole(embedder, [crops[7].image]);
    expect(tf.memory().numTensors).toBe(before);
    const diff = Math.sqrt(alone.reduce((s, x, i) => s + (x - vectors[7][i]) ** 2, 0));
    const size = Math.sqrt(alone.reduce((s, x) => s + x * x, 0));
    expect(diff / size).toBeLessThan(1e-4);
  });

  it('accepts an empty batch and rejects a wrong input size', async () => {
    const empty = tf.zeros([0, 224, 224, 3]) as tf.Tensor4D;
    expect(await embedder.embed(empty)).toEqual([]);
    const wrong = tf.zeros([1, 150, 150, 3]) as tf.Tensor4D;
    await expect(embedder.embed(wrong)).rejects.toThrow(/224/);
    tf.dispose([empty, wrong]);
  });

  it('refuses weights that do not match the model index', async () => {
    const corrupt = async (p: string) => {
      const bytes = await readModelAsset(p);
      if (p.endsWith('faceres.bin')) new Uint8Array(bytes)[1000] ^= 1;
      return bytes;
    };
    await expect(createVggface2Mobilenet(corrupt)).rejects.toBeInstanceOf(ModelIntegrityError);
  });
});
