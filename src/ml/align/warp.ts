// Cuts many faces out of one photo in a single gather on the tfjs backend. Each face is sampled bilinearly from
// its own footprint of the photo, average-pooled 2x as often as needed so that it is shrunk by less than 2x
// (large faces do not alias). Only the footprints are copied to the backend, never the whole photo (slicing a
// 12 MP tensor on the WASM backend took about 1 s per face).
import * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from '../types';
import { affineScale, applyAffine, type Affine } from './transform';

/** The pyramid level whose pixels are at most 2x smaller than the crop's (0 = the photo itself). */
export function pyramidLevel(t: Affine, maxLevel: number): number {
  const scale = affineScale(t);
  return scale < 2 ? 0 : Math.min(maxLevel, Math.floor(Math.log2(scale)));
}

/** The part of the photo one crop reads, in photo pixels, aligned to its pooling grid (multiples of 2^level). */
interface Footprint {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

function footprint(t: Affine, size: number, level: number, photoWidth: number, photoHeight: number): Footprint {
  const f = 2 ** level;
  const corners = ([[0, 0], [size, 0], [0, size], [size, size]] as const).map(([u, v]) => applyAffine(t, [u, v]));
  const xs = corners.map((p) => p[0]);
  const ys = corners.map((p) => p[1]);
  // one pooled pixel of margin each side for the bilinear neighbours
  const clampX = (x: number) => Math.min(Math.max(x, 0), Math.floor(photoWidth / f) * f);
  const clampY = (y: number) => Math.min(Math.max(y, 0), Math.floor(photoHeight / f) * f);
  const x0 = clampX(Math.floor(Math.min(...xs) / f - 1) * f);
  const y0 = clampY(Math.floor(Math.min(...ys) / f - 1) * f);
  const x1 = clampX(Math.ceil(Math.max(...xs) / f + 1) * f);
  const y1 = clampY(Math.ceil(Math.max(...ys) / f + 1) * f);
  return { x0, y0, width: x1 - x0, height: y1 - y0 };
}

/**
 * Bilinear gather indices and weights (4 per crop pixel) for one face, into a pooled footprint of
 * `width` x `height` pixels that starts at `base` in the concatenated buffer.
 */
function samplingTable(t: Affine, size: number, level: number, area: Footprint, width: number, height: number, base: number, indices: Int32Array, weights: Float32Array, offset: number) {
  const f = 2 ** level;
  let k = offset;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const cu = u + 0.5;
      const cv = v + 0.5;
      // photo coordinates -> the pooled footprint's pixel-index space (centres at integers)
      const x = (t.a * cu + t.b * cv + t.tx - area.x0) / f - 0.5;
      const y = (t.c * cu + t.d * cv + t.ty - area.y0) / f - 0.5;
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
          indices[k] = inside ? base + yi * width + xi : 0;
          weights[k] = inside ? (dx ? wx : 1 - wx) * (dy ? wy : 1 - wy) : 0;
          k++;
        }
      }
    }
  }
}

/** The footprint's pixels as a float32 [height, width, 3] tensor. */
function regionTensor(image: RgbImage, area: Footprint): tf.Tensor3D {
  const values = new Float32Array(area.width * area.height * 3);
  for (let y = 0; y < area.height; y++) {
    const from = ((area.y0 + y) * image.width + area.x0) * 3;
    values.set(image.data.subarray(from, from + area.width * 3), y * area.width * 3);
  }
  return tf.tensor3d(values, [area.height, area.width, 3]);
}

/**
 * Warps `image` (RGB 0..255) into one `size` x `size` crop per transform (crop pixel -> photo pixel).
 * Returns [n, size, size, 3] float32; the caller disposes it.
 */
export function warpFaces(image: RgbImage, transforms: readonly Affine[], size: number): tf.Tensor4D {
  const { width, height } = image;
  if (transforms.length === 0) return tf.zeros([0, size, size, 3]);
  const maxLevel = Math.max(0, Math.floor(Math.log2(Math.min(width, height))) - 1);
  return tf.tidy(() => {
    const perFace = size * size * 4;
    const indices = new Int32Array(transforms.length * perFace);
    const weights = new Float32Array(transforms.length * perFace);
    const regions: tf.Tensor2D[] = [];
    let base = 0;
    transforms.forEach((t, n) => {
      const level = pyramidLevel(t, maxLevel);
      const area = footprint(t, size, level, width, height);
      let region: tf.Tensor3D;
      if (area.width === 0 || area.height === 0) {
        region = tf.zeros([1, 1, 3]); // the crop lies wholly outside the photo: every weight will be 0
      } else {
        region = regionTensor(image, area);
        for (let l = 0; l < level; l++) region = tf.avgPool(region, 2, 2, 'valid');
      }
      const [h, w] = region.shape;
      samplingTable(t, size, level, area, w, h, base, indices, weights, n * perFace);
      regions.push(tf.reshape(region, [h * w, 3]));
      base += h * w;
    });
    const pixels = regions.length === 1 ? regions[0] : tf.concat(regions, 0);
    const corners = tf.gather(pixels, tf.tensor1d(indices, 'int32'));
    const weighted = tf.mul(corners, tf.tensor2d(weights, [weights.length, 1]));
    const blended = tf.sum(tf.reshape(weighted, [transforms.length * size * size, 4, 3]), 1);
    return tf.reshape(blended, [transforms.length, size, size, 3]);
  });
}
