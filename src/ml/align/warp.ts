// Cuts faces out of one photo: each face is sampled bilinearly from its own footprint of the photo, average-pooled
// 2x as often as needed so that it is shrunk by less than 2x (large faces do not alias). Only the footprints are
// read, never the whole photo (a 12 MP photo tensor on the WASM backend took about 1 s per face to slice).
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

/** The footprint's pixels as float32 RGB, `width` x `height`. */
function regionValues(image: RgbImage, area: Footprint): Float32Array {
  const values = new Float32Array(area.width * area.height * 3);
  for (let y = 0; y < area.height; y++) {
    const from = ((area.y0 + y) * image.width + area.x0) * 3;
    values.set(image.data.subarray(from, from + area.width * 3), y * area.width * 3);
  }
  return values;
}

/** 2 x 2 average pooling ('valid': an odd last row or column is dropped), in float32. */
function halve(values: Float32Array, width: number, height: number): { values: Float32Array; width: number; height: number } {
  const w = Math.floor(width / 2);
  const h = Math.floor(height / 2);
  const out = new Float32Array(w * h * 3);
  const row = width * 3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (2 * y * width + 2 * x) * 3;
      const d = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[d + c] = (values[s + c] + values[s + 3 + c] + values[s + row + c] + values[s + row + 3 + c]) * 0.25;
    }
  }
  return { values: out, width: w, height: h };
}

/** Bilinear samples of one face into `out` at `offset`: crop pixel centres mapped into the pooled footprint. */
function sampleFace(t: Affine, size: number, level: number, area: Footprint, values: Float32Array, width: number, height: number, out: Float32Array, offset: number) {
  const f = 2 ** level;
  // Outside the photo a neighbour counts as black (weight kept, value 0), like cropAndResize's extrapolation.
  const at = (xi: number, yi: number, c: number) => (xi >= 0 && yi >= 0 && xi < width && yi < height ? values[(yi * width + xi) * 3 + c] : 0);
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
      const w00 = (1 - wx) * (1 - wy);
      const w10 = wx * (1 - wy);
      const w01 = (1 - wx) * wy;
      const w11 = wx * wy;
      for (let c = 0; c < 3; c++) {
        out[k++] = w00 * at(x0, y0, c) + w10 * at(x0 + 1, y0, c) + w01 * at(x0, y0 + 1, c) + w11 * at(x0 + 1, y0 + 1, c);
      }
    }
  }
}

/**
 * Warps `image` (RGB 0..255) into one `size` x `size` crop per transform (crop pixel -> photo pixel).
 * Returns [n, size, size, 3] float32; the caller disposes it. Sampling runs in JS on the footprint's bytes:
 * tfjs's GatherV2 for the same bilinear lookups took about 60 ms per batch of faces on WASM.
 */
export function warpFaces(image: RgbImage, transforms: readonly Affine[], size: number): tf.Tensor4D {
  const { width, height } = image;
  if (transforms.length === 0) return tf.zeros([0, size, size, 3]);
  const maxLevel = Math.max(0, Math.floor(Math.log2(Math.min(width, height))) - 1);
  const perFace = size * size * 3;
  const out = new Float32Array(transforms.length * perFace);
  transforms.forEach((t, n) => {
    const level = pyramidLevel(t, maxLevel);
    const area = footprint(t, size, level, width, height);
    // a crop wholly outside the photo stays black
    if (area.width === 0 || area.height === 0) return;
    let region = { values: regionValues(image, area), width: area.width, height: area.height };
    for (let l = 0; l < level; l++) region = halve(region.values, region.width, region.height);
    sampleFace(t, size, level, area, region.values, region.width, region.height, out, n * perFace);
  });
  return tf.tensor4d(out, [transforms.length, size, size, 3]);
}
