// Shared by the built-in embedders: run a [n, s, s, 3] -> [n, d] network, optionally with flip test-time
// augmentation (the mean of the descriptors of each face and its mirror image), and read the rows out.
import * as tf from '@tensorflow/tfjs-core';

export interface EmbedderOptions {
  /** also embed the mirror image of each face and average the two descriptors (about 2x the time) */
  flip?: boolean;
  /** subtract the embedder's stored mean descriptor, where it has one (VGGFace2 MobileNet) */
  centre?: boolean;
}

export async function runDescriptors(faces: tf.Tensor4D, dim: number, flip: boolean, network: (x: tf.Tensor4D) => tf.Tensor2D): Promise<Float32Array[]> {
  const n = faces.shape[0];
  if (n === 0) return [];
  const descriptors = tf.tidy(() => {
    if (!flip) return network(faces);
    const both = network(tf.concat([faces, tf.reverse(faces, 2)]));
    return tf.div(tf.add(tf.slice(both, [0, 0], [n, dim]), tf.slice(both, [n, 0], [n, dim])), 2) as tf.Tensor2D;
  });
  const values = (await descriptors.data()) as Float32Array;
  descriptors.dispose();
  return Array.from({ length: n }, (_, i) => values.slice(i * dim, (i + 1) * dim));
}

export function checkInput(faces: tf.Tensor4D, inputSize: number) {
  const [, h, w, c] = faces.shape;
  if (h !== inputSize || w !== inputSize || c !== 3) throw new Error(`expected [n, ${inputSize}, ${inputSize}, 3], got [${faces.shape}]`);
}
