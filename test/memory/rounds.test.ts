// Memory stays bounded over repeated work: 20 detect + embed rounds on a real photo (MTCNN, then the
// VGGFace2 MobileNet embedder, through analyzePhoto) on tfjs WASM, and after every round the engine holds
// exactly the tensors and bytes it held before the first (the models' weights), nothing more.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createEmbedder } from '../../src/ml/embedders';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { createMtcnn, type MtcnnDetector } from '../../src/ml/mtcnn';
import { analyzePhoto } from '../../src/ml/pipeline';
import { loadSharedImage, readModelAsset, useBackend } from '../support/node-ml';

const ROUNDS = 20;
let detector: MtcnnDetector;
let embedder: FaceEmbedder;

beforeAll(async () => {
  await useBackend('wasm');
  // detection on a 0.12 MP copy (MTCNN shrinks by itself) keeps 20 rounds well under a minute on two shared cores
  detector = await createMtcnn(readModelAsset, { maxDetectionPixels: 120_000 });
  embedder = await createEmbedder('vggface2-mobilenet', readModelAsset);
});
afterAll(() => {
  detector?.dispose();
  embedder?.dispose();
});

it(`${ROUNDS} detect + embed rounds return tf.memory() to its baseline every time`, async () => {
  expect(tf.getBackend()).toBe('wasm');
  // bbt3: a small (594x383) real cast photo with several faces
  const photo = loadSharedImage('datasets/faceapi-js-images/examples/images/bbt3.jpg');
  const baseline = tf.memory();
  expect(baseline.numTensors).toBeGreaterThan(0); // the weights are tensors: the counter is live
  const firstEmbeddings: Float32Array[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const faces = await analyzePhoto(photo, detector, embedder);
    expect(faces.length, `round ${round}`).toBeGreaterThan(0);
    if (round === 0) firstEmbeddings.push(...faces.map((f) => Float32Array.from(f.embedding)));
    else {
      // the same work each round (so the check covers real detect + embed, not a short cut)
      expect(faces).toHaveLength(firstEmbeddings.length);
      expect(Array.from(faces[0].embedding)).toEqual(Array.from(firstEmbeddings[0]));
    }
    const now = tf.memory();
    expect({ round, numTensors: now.numTensors, numBytes: now.numBytes }).toEqual({
      round,
      numTensors: baseline.numTensors,
      numBytes: baseline.numBytes,
    });
  }
}, 60_000);
