// P-, R- and O-Net on the tfjs WASM backend against an independent float64 plain-JS forward pass of
// ipazc's layer definitions (TF-style VALID convs, SAME/VALID max-pools, NHWC flatten, PReLU, softmax).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightMap, readModelIndex } from '../../src/ml/assets';
import { runOnet, runPnet, runRnet } from '../../src/ml/mtcnn/nets';
import { readModelAsset, useBackend } from '../support/node-ml';

/** One sample, NHWC without N: dims [a, b, c]. */
interface Map3 {
  a: number;
  b: number;
  c: number;
  data: Float64Array;
}

let weights: tf.NamedTensorMap;
const w = (name: string) => weights[name].dataSync() as Float32Array;
beforeAll(async () => {
  await useBackend('wasm');
  expect(tf.getBackend()).toBe('wasm');
  weights = await loadWeightMap(readModelAsset, await readModelIndex(readModelAsset), 'mtcnn');
});
afterAll(() => tf.dispose(Object.values(weights ?? {})));

function conv(x: Map3, name: string): Map3 {
  const [kh, kw, cin, cout] = weights[`${name}/weights`].shape;
  const kernel = w(`${name}/weights`);
  const bias = w(`${name}/bias`);
  const out: Map3 = { a: x.a - kh + 1, b: x.b - kw + 1, c: cout, data: new Float64Array((x.a - kh + 1) * (x.b - kw + 1) * cout) };
  for (let i = 0; i < out.a; i++)
    for (let j = 0; j < out.b; j++)
      for (let o = 0; o < cout; o++) {
        let s = bias[o];
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++)
            for (let c = 0; c < cin; c++) s += x.data[((i + u) * x.b + j + v) * cin + c] * kernel[((u * kw + v) * cin + c) * cout + o];
        out.data[(i * out.b + j) * cout + o] = s;
      }
  return out;
}

/** ipazc writes PReLU as relu(x) + alpha * -relu(-x). */
function prelu(x: Map3, name: string): Map3 {
  const alpha = w(name);
  return { ...x, data: x.data.map((v, i) => Math.max(v, 0) + alpha[i % x.c] * -Math.max(-v, 0)) };
}

/** TF max-pool: SAME pads at the end first (pad_before = floor(total / 2)), VALID drops the remainder. */
function maxPool(x: Map3, k: number, s: number, pad: 'same' | 'valid'): Map3 {
  const size = (n: number) => (pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);
  const before = (n: number) => (pad === 'same' ? Math.floor(Math.max((size(n) - 1) * s + k - n, 0) / 2) : 0);
  const out: Map3 = { a: size(x.a), b: size(x.b), c: x.c, data: new Float64Array(size(x.a) * size(x.b) * x.c) };
  for (let i = 0; i < out.a; i++)
    for (let j = 0; j < out.b; j++)
      for (let c = 0; c < x.c; c++) {
        let m = -Infinity;
        for (let u = 0; u < k; u++)
          for (let v = 0; v < k; v++) {
            const p = i * s + u - before(x.a);
            const q = j * s + v - before(x.b);
            if (p >= 0 && p < x.a && q >= 0 && q < x.b) m = Math.max(m, x.data[(p * x.b + q) * x.c + c]);
          }
        out.data[(i * out.b + j) * x.c + c] = m;
      }
  return out;
}

function dense(x: Float64Array, name: string): Float64Array {
  const [inputs, outputs] = weights[`${name}/weights`].shape;
  const kernel = w(`${name}/weights`);
  const bias = w(`${name}/bias`);
  return Float64Array.from({ length: outputs }, (_, o) => {
    let s = bias[o];
    for (let i = 0; i < inputs; i++) s += x[i] * kernel[i * outputs + o];
    return s;
  });
}

const softmax = (x: ArrayLike<number>) => {
  const m = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp(v - m));
  const total = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / total);
};

function randomInput(seed: number, length: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  return Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
};

// float32 (XNNPACK) vs float64 summation: 1e-5 absolute on outputs of order 1.
const TOLERANCE = 1e-5;

describe('MTCNN nets vs a plain-JS forward pass', () => {
  it('P-Net on a 15x13 input (odd sizes: SAME pooling pads at the end)', () => {
    const input = randomInput(1, 15 * 13 * 3);
    let x: Map3 = { a: 15, b: 13, c: 3, data: Float64Array.from(input) };
    x = maxPool(prelu(conv(x, 'pnet/conv1'), 'pnet/prelu1/alpha'), 2, 2, 'same');
    x = prelu(conv(x, 'pnet/conv2'), 'pnet/prelu2/alpha');
    x = prelu(conv(x, 'pnet/conv3'), 'pnet/prelu3/alpha');
    const logits = conv(x, 'pnet/conv4-1');
    const reg = conv(x, 'pnet/conv4-2');
    const prob = new Float64Array(logits.data.length);
    for (let i = 0; i < logits.data.length; i += 2) prob.set(softmax(logits.data.subarray(i, i + 2)), i);

    const inputTensor = tf.tensor4d(input, [1, 15, 13, 3]);
    const out = runPnet(weights, inputTensor);
    inputTensor.dispose();
    expect(out.prob.shape).toEqual([1, logits.a, logits.b, 2]);
    expect(out.reg.shape).toEqual([1, reg.a, reg.b, 4]);
    expect(maxAbsDiff(out.prob.dataSync(), prob)).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(out.reg.dataSync(), reg.data)).toBeLessThan(TOLERANCE);
    tf.dispose([out.prob, out.reg]);
  });

  it('R-Net on a batch of two 24x24 patches', () => {
    const input = randomInput(2, 2 * 24 * 24 * 3);
    const expected = [0, 1].map((n) => {
      let x: Map3 = { a: 24, b: 24, c: 3, data: Float64Array.from(input.subarray(n * 1728, (n + 1) * 1728)) };
      x = maxPool(prelu(conv(x, 'rnet/conv1'), 'rnet/prelu1/alpha'), 3, 2, 'same');
      x = maxPool(prelu(conv(x, 'rnet/conv2'), 'rnet/prelu2/alpha'), 3, 2, 'valid');
      x = prelu(conv(x, 'rnet/conv3'), 'rnet/prelu3/alpha');
      const f: Map3 = prelu({ a: 1, b: 1, c: 128, data: dense(x.data, 'rnet/conv4') }, 'rnet/prelu4/alpha');
      return { prob: softmax(dense(f.data, 'rnet/conv5-1')), reg: Array.from(dense(f.data, 'rnet/conv5-2')) };
    });
    const inputTensor = tf.tensor4d(input, [2, 24, 24, 3]);
    const out = runRnet(weights, inputTensor);
    inputTensor.dispose();
    expect(maxAbsDiff(out.prob.dataSync(), expected.flatMap((e) => e.prob))).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(out.reg.dataSync(), expected.flatMap((e) => e.reg))).toBeLessThan(TOLERANCE);
    tf.dispose([out.prob, out.reg]);
  });

  it('O-Net on a batch of two 48x48 patches', () => {
    const input = randomInput(3, 2 * 48 * 48 * 3);
    const expected = [0, 1].map((n) => {
      let x: Map3 = { a: 48, b: 48, c: 3, data: Float64Array.from(input.subarray(n * 6912, (n + 1) * 6912)) };
      x = maxPool(prelu(conv(x, 'onet/conv1'), 'onet/prelu1/alpha'), 3, 2, 'same');
      x = maxPool(prelu(conv(x, 'onet/conv2'), 'onet/prelu2/alpha'), 3, 2, 'valid');
      x = maxPool(prelu(conv(x, 'onet/conv3'), 'onet/prelu3/alpha'), 2, 2, 'same');
      x = prelu(conv(x, 'onet/conv4'), 'onet/prelu4/alpha');
      const f: Map3 = prelu({ a: 1, b: 1, c: 256, data: dense(x.data, 'onet/conv5') }, 'onet/prelu5/alpha');
      return {
        prob: softmax(dense(f.data, 'onet/conv6-1')),
        reg: Array.from(dense(f.data, 'onet/conv6-2')),
        landmarks: Array.from(dense(f.data, 'onet/conv6-3')),
      };
    });
    const inputTensor = tf.tensor4d(input, [2, 48, 48, 3]);
    const out = runOnet(weights, inputTensor);
    inputTensor.dispose();
    expect(maxAbsDiff(out.prob.dataSync(), expected.flatMap((e) => e.prob))).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(out.reg.dataSync(), expected.flatMap((e) => e.reg))).toBeLessThan(TOLERANCE);
    expect(maxAbsDiff(out.landmarks.dataSync(), expected.flatMap((e) => e.landmarks))).toBeLessThan(TOLERANCE);
    tf.dispose([out.prob, out.reg, out.landmarks]);
  });
});
