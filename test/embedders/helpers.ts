// Shared by the embedder tests: the 8 x 5 labelled face crops of face-api.js, embedded whole (tight box = image).
import * as tf from '@tensorflow/tfjs-core';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { cropFaces } from '../../src/ml/pipeline';
import { distanceMatrix } from '../../src/ml/similarity';
import type { FaceDetection, RgbImage } from '../../src/ml/types';
import { loadSharedImage } from '../support/node-ml';

export const PEOPLE = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];

export const labelledCrops = () =>
  PEOPLE.flatMap((name) => [1, 2, 3, 4, 5].map((i) => ({ name, image: loadSharedImage(`datasets/faceapi-js-images/examples/images/${name}/${name}${i}.png`) })));

export const wholeImage = (image: RgbImage): FaceDetection => ({
  box: [0, 0, image.width, image.height],
  confidence: 1,
  keypoints: { left_eye: [0, 0], right_eye: [0, 0], nose: [0, 0], mouth_left: [0, 0], mouth_right: [0, 0] },
});

/** Each image resized whole to the input size ('tight' on the full frame), embedded in one batch. */
export async function embedWhole(embedder: FaceEmbedder, images: RgbImage[]): Promise<Float32Array[]> {
  const crops = images.map((image) => cropFaces(image, [wholeImage(image)], embedder.info, { crop: 'tight' }));
  const batch = tf.concat(crops);
  try {
    return await embedder.embed(batch);
  } finally {
    tf.dispose([batch, ...crops]);
  }
}

/** Same-person vs different-person distances over all pairs, and the ROC AUC separating them. */
export function separation(vectors: Float32Array[], names: string[], metric: 'cosine' | 'euclidean') {
  const m = distanceMatrix(vectors, vectors, metric);
  const same: number[] = [];
  const different: number[] = [];
  for (let i = 0; i < vectors.length; i++) for (let j = i + 1; j < vectors.length; j++) (names[i] === names[j] ? same : different).push(m[i][j]);
  let wins = 0;
  for (const s of same) for (const d of different) wins += s < d ? 1 : s === d ? 0.5 : 0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { auc: wins / (same.length * different.length), sameMedian: median(same), differentMedian: median(different) };
}
