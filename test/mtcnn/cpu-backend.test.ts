// The cascade on tfjs's CPU backend, which keeps a tensor's values by reference instead of copying them: the net
// inputs are written into buffers reused from one net call to the next, so this is where a buffer reused too early
// (an input read after its call returned) would change the answer.
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createMtcnn, type MtcnnDetector } from '../../src/ml/mtcnn';
import { loadSharedImage, readModelAsset, useBackend } from '../support/node-ml';
import { expectReferenceFaces, referenceImage } from './reference';

let detector: MtcnnDetector;
beforeAll(async () => {
  await useBackend('cpu');
  expect(tf.getBackend()).toBe('cpu');
  detector = await createMtcnn(readModelAsset);
});
afterAll(() => detector?.dispose());

it('bbt4 on the CPU backend: the same faces, boxes and keypoints as ipazc', async () => {
  const path = 'datasets/faceapi-js-images/examples/images/bbt4.jpg';
  const ref = referenceImage(path);
  expectReferenceFaces(await detector.detect(loadSharedImage(path)), ref.faces);
}, 120_000);
