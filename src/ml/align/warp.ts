// Cuts many faces out of one photo in a single gather on the tfjs backend. Each face is sampled bilinearly from
// the level of a 2x average-pooled pyramid where it is shrunk by less than 2x, so large faces do not alias.
import * as tf from '@tensorflow/tfjs-core';
import { affineScale, type Affine } from './transform';

/** The pyramid level whose pixels are at most 2x smaller than the crop's (0 = the photo itself). */
export function pyramidLevel(t: Affine, maxLevel: number): number {
  const scale = affineScale(t);
  return scale < 2 ? 0 : Math.min(maxLevel, Math.floor(Math.log2(scale)));
}

/** Bilinear gather indices and weights (4 per crop pixel) for one face at one pyramid level. */
function samplingTable(t: Affine, size: number, level: number, width: number, height: number, indices: Int32Array, weights: Float32Array, offset: number) {
  const f = 2 ** level;
  let k = offset;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const cu = u + 0.5;
      const cv = v + 0.5;
      // photo coordinates -> this level's pixel-index space (centres at integers)
      const x = (t.a * cu + t.b * cv + t.tx) / f - 0.5;
      const y = (t.c * cu + t.d * cv + t.ty) / f - 0.5;
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const wx = x - x0;
      const wy = y - y0;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const xi = x0 + dx;
          const yi = y0 + dy;
          // Outside the photo: weight 0 (black), like cropAndResize's extrapolation value.
          const inside = xi >= 0 && yi >= 0 && xi < width && yi < height;
          indices[k] = inside ? yi * width + xi : 0;
          weights[k] = inside ? (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy) : 0;
          k++;
        }
      }
    }
  }
}

/**
 * Warps `image` ([H, W, 3], float32 or int32, 0..255) into one `size` x `size` crop per transform
 * (crop pixel -> photo pixel). Returns [n, size, size, 3] float32; the caller disposes it.
 */
export function warpFaces(image: tf.Tensor3D, transforms: readonly Affine[], size: number): tf.Tensor4D {
  const [height, width] = image.shape;
  if (transforms.length === 0) return tf.zeros([0, size, size, 3]);
  const maxLevel = Math.max(0, Math.floor(Math.log2(Math.min(width, height))) - 1);
  const levels = transforms.map((t) => pyramidLevel(t, maxLevel));
  return tf.tidy(() => {
    let current: tf.Tensor3D = tf.cast(image, 'float32');
    const pieces: tf.Tensor4D[] = [];
    const order: number[] = [];
    for (let level = 0; level <= Math.max(...levels); level++) {
      if (level > 0) current = tf.avgPool(current, 2, 2, 'valid');
      const faces = levels.flatMap((l, i) => (l === level ? [i] : []));
      if (faces.length === 0) continue;
      const [h, w] = current.shape;
      const perFace = size * size * 4;
      const indices = new Int32Array(faces.length * perFace);
      const weights = new Float32Array(faces.length * perFace);
      faces.forEach((i, n) => samplingTable(transforms[i], size, level, w, h, indices, weights, n * perFace));
      const corners = tf.gather(tf.reshape(current, [h * w, 3]), tf.tensor1d(indices, 'int32'));
      const weighted = tf.mul(corners, tf.tensor2d(weights, [weights.length, 1]));
      const blended = tf.sum(tf.reshape(weighted, [faces.length * size * size, 4, 3]), 1);
      pieces.push(tf.reshape(blended, [faces.length, size, size, 3]));
      order.push(...faces);
    }
    const stacked = pieces.length === 1 ? pieces[0] : tf.concat(pieces, 0);
    // Put the faces back in the caller's order when they came from different levels.
    const inverse = order.map((_, i) => order.indexOf(i));
    return inverse.every((j, i) => j === i) ? stacked : tf.gather(stacked, inverse);
  });
}
