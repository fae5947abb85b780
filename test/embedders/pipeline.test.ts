// End to end on real group photos: MTCNN -> the default embedder's crop -> embeddings -> matching at the default
// threshold, checked against who-is-who labels (bbt-labels.json, faces identified by their reference MTCNN box).
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../src/ml/embedders';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { DEFAULT_EMBEDDER_ID } from '../../src/ml/embedders/info';
import { createMtcnn, type MtcnnDetector } from '../../src/ml/mtcnn';
import { analyzePhoto } from '../../src/ml/pipeline';
import { distanceMatrix, matchPairs } from '../../src/ml/similarity';
import type { AnalyzedFace } from '../../src/ml/types';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';

interface Labelled {
  box: [number, number, number, number];
  name: string | null;
}
const labels = (JSON.parse(fs.readFileSync(sharedPath('datasets/faceapi-js-images/bbt-labels.json'), 'utf8')) as { photos: Record<string, Labelled[]> }).photos;

function iou(a: number[], b: number[]) {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

let detector: MtcnnDetector;
let embedder: FaceEmbedder;
const analyzed = new Map<string, { faces: AnalyzedFace[]; names: (string | null)[] }>();

beforeAll(async () => {
  await useBackend();
  detector = await createMtcnn(readModelAsset);
  embedder = await createEmbedder(DEFAULT_EMBEDDER_ID, readModelAsset);
  for (const k of [1, 2, 3, 4, 5]) {
    const photo = `examples/images/bbt${k}.jpg`;
    const faces = await analyzePhoto(loadSharedImage(`datasets/faceapi-js-images/${photo}`), detector, embedder);
    // Who each detected face is: the labelled face whose box it overlaps (undefined = not in the labels).
    const names = faces.map((f) => labels[photo].find((l) => iou(l.box, f.detection.box) > 0.5)?.name ?? null);
    analyzed.set(`bbt${k}`, { faces, names });
  }
});
afterAll(() => {
  detector?.dispose();
  embedder?.dispose();
});

describe('analyzePhoto', () => {
  it('returns every face of a group photo with an embedding and a 112 px RGBA crop', () => {
    expect(tf.getBackend()).toBe('wasm');
    const { faces, names } = analyzed.get('bbt4')!;
    expect(faces).toHaveLength(6);
    expect(new Set(names)).toEqual(new Set(['leonard', 'amy', 'raj', 'penny', 'sheldon', 'bernadette']));
    for (const face of faces) {
      expect(face.embedding).toHaveLength(embedder.info.dim);
      expect(face.crop.width).toBe(112);
      expect(face.crop.height).toBe(112);
      expect(face.crop.rgba).toHaveLength(112 * 112 * 4);
      const alpha = face.crop.rgba.filter((_, i) => i % 4 === 3);
      expect(alpha.every((a) => a === 255)).toBe(true);
      // a real face crop has contrast: the spread of its red channel is well above zero
      const red = face.crop.rgba.filter((_, i) => i % 4 === 0);
      expect(Math.max(...red) - Math.min(...red)).toBeGreaterThan(50);
    }
  });

  it('returns no faces for a blank image and leaks no tensors', async () => {
    const before = tf.memory().numTensors;
    expect(await analyzePhoto(loadSharedImage('datasets/faceapi-js-images/test/images/white.png'), detector, embedder)).toEqual([]);
    const image = loadSharedImage('datasets/faceapi-js-images/examples/images/bbt2.jpg');
    const small = await analyzePhoto(image, detector, embedder, { batchSize: 1, thumbnailSize: 48 });
    expect(tf.memory().numTensors).toBe(before);
    // batching does not change the embeddings
    const reference = analyzed.get('bbt2')!.faces;
    expect(small).toHaveLength(reference.length);
    small.forEach((face, i) => {
      expect(face.crop.width).toBe(48);
      const d = distanceMatrix([face.embedding], [reference[i].embedding], 'euclidean')[0][0];
      expect(d).toBeLessThan(1e-3);
    });
  });
});

describe('default embedder and threshold on the cast photos', () => {
  // All ten pairs of bbt1-5. bbt3 and bbt5 show the same five people; bbt1 shows four of the men in disguise.
  // bbt2's left-edge face is a bystander (label null): it is left out of the check, because it is a blurred
  // lookalike that the default model puts within the threshold of raj (0.54-0.59 measured; see the report).
  const photos = ['bbt1', 'bbt2', 'bbt3', 'bbt4', 'bbt5'];
  const photoPairs = photos.flatMap((a, i) => photos.slice(i + 1).map((b) => [a, b] as const));

  it('pairs no two different labelled people, and finds every shared person in at least two photo pairs', () => {
    const { defaultThreshold, metric } = embedder.info;
    let complete = 0;
    const report: string[] = [];
    for (const [a, b] of photoPairs) {
      const A = analyzed.get(a)!;
      const B = analyzed.get(b)!;
      const matrix = distanceMatrix(A.faces.map((f) => f.embedding), B.faces.map((f) => f.embedding), metric);
      const pairs = matchPairs(matrix, defaultThreshold, 'one-to-one').filter((p) => A.names[p.a] !== null && B.names[p.b] !== null);
      const wrong = pairs.filter((p) => A.names[p.a] !== B.names[p.b]);
      expect(wrong, `${a}-${b}: wrong pairs`).toEqual([]);
      const shared = A.names.filter((n) => n !== null && B.names.includes(n));
      const found = pairs.map((p) => A.names[p.a]);
      report.push(`${a}-${b}: ${found.length}/${shared.length}`);
      if (shared.length > 0 && shared.every((n) => found.includes(n))) complete++;
    }
    // required: at least 2; measured with dlib ResNet-29 at 0.595: all 10 pairs complete
    expect(complete, report.join(', ')).toBeGreaterThanOrEqual(8);
  });
});
