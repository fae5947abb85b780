// keras_vggface VGGFace2 ResNet50 from a user's .h5: reader, storable weights and network, on synthetic Keras files
// (real layer names, weight names and shapes; seeded random values) against an independent float64 reference.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  RESNET50_INFO,
  RESNET50_PARAMETER_COUNT,
  createVggface2Resnet50,
  deserializeResnet50Weights,
  preprocessVggface2Resnet50,
  readVggface2Resnet50H5,
  serializeResnet50Weights,
  type Resnet50Weights,
} from '../../src/ml/embedders/resnet50';
import { useBackend } from '../support/node-ml';
import { referenceEmbedding, referenceFeatureMap, referencePreprocess, type WeightLookup } from './reference-resnet50';
import { writeSyntheticResnet50H5, type SyntheticFile } from './synthetic-keras-h5';

const SEED = 20250611;
let backend: string;
let notop: SyntheticFile;
let weights: Resnet50Weights;
let fromFixture: WeightLookup;

/** A deterministic 0..255 RGB image with structure (gradients) and noise, so every channel matters. */
function testImage(size: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(size * size * 3);
  let state = seed;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        const smooth = (x * (c + 1) * 3 + y * (3 - c) * 2) % 256;
        rgb[(y * size + x) * 3 + c] = (smooth * 3 + (state >>> 24)) >>> 2;
      }
    }
  }
  return rgb;
}

/** max |a - b| relative to max |reference| */
function maxRelativeError(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return worst / scale;
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

const bytesOf = (data: Float32Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

function expectSameWeights(actual: Resnet50Weights, expected: Resnet50Weights) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [key, { shape, data }] of expected) {
    const found = actual.get(key)!;
    expect(found.shape, key).toEqual(shape);
    expect(bytesOf(found.data).equals(bytesOf(data)), key).toBe(true);
  }
}

beforeAll(async () => {
  backend = await useBackend();
  notop = await writeSyntheticResnet50H5({ seed: SEED });
  weights = await readVggface2Resnet50H5(notop.bytes.buffer as ArrayBuffer);
  fromFixture = (layer, vector) => notop.weight(layer, vector);
});

describe('reading a keras_vggface ResNet50 .h5', () => {
  it('maps every array of the file to its own place, each exactly once', () => {
    // every fixture array is distinct random data, so content identifies it
    const signature = (data: Float32Array) => `${data.length}:${bytesOf(data.subarray(0, 16)).toString('hex')}`;
    const fileArrays = new Map<string, string>();
    for (const layer of notop.layers) {
      for (const w of layer.weights) fileArrays.set(signature(w.data), `${layer.name}/${w.name.split('/').pop()!.replace(':0', '')}`);
    }
    expect(fileArrays.size).toBe(265);
    expect(weights.size).toBe(265);
    const used = new Set<string>();
    for (const [key, { data }] of weights) {
      const source = fileArrays.get(signature(data));
      expect(source, `${key} holds no array of the file`).toBe(key);
      used.add(source!);
      const [layer, vector] = [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
      expect(bytesOf(data).equals(bytesOf(notop.weight(layer, vector).data)), key).toBe(true);
    }
    expect(used.size).toBe(265);
  });

  it('has the 23,561,152 parameters of the notop model, in the file and after loading', () => {
    const inFile = notop.layers.flatMap((l) => l.weights).reduce((sum, w) => sum + w.data.length, 0);
    const loaded = [...weights.values()].reduce((sum, w) => sum + w.data.length, 0);
    expect(inFile).toBe(23_561_152);
    expect(loaded).toBe(23_561_152);
    expect(RESNET50_PARAMETER_COUNT).toBe(23_561_152);
    expect(weights.get('conv1/7x7_s2/kernel')!.shape).toEqual([7, 7, 3, 64]);
    expect(weights.get('conv5_3_1x1_increase/bn/moving_variance')!.shape).toEqual([2048]);
  });

  it('ignores the with-top file classifier and reads the same backbone', async () => {
    const withTop = await writeSyntheticResnet50H5({ seed: SEED, withTop: true });
    expect(withTop.layers.find((l) => l.name === 'classifier')!.weights.map((w) => w.shape)).toEqual([[2048, 8631], [8631]]);
    expectSameWeights(await readVggface2Resnet50H5(withTop.bytes), weights);
  });

  it('maps by name, not order, and reads full-model files (layers under model_weights)', async () => {
    const reordered = await writeSyntheticResnet50H5({ seed: SEED, shuffleOrder: true, underModelWeights: true });
    expectSameWeights(await readVggface2Resnet50H5(reordered.bytes), weights);
  });

  it('refuses a file that is not HDF5, saying so', async () => {
    await expect(readVggface2Resnet50H5(new TextEncoder().encode('<html>not a weights file</html>'))).rejects.toThrow(
      /not an HDF5 file/,
    );
    await expect(readVggface2Resnet50H5(new ArrayBuffer(0))).rejects.toThrow(/not an HDF5 file/);
  });

  it('refuses a truncated file and an HDF5 file that is not a Keras weights file', async () => {
    await expect(readVggface2Resnet50H5(notop.bytes.slice(0, 1_000_000))).rejects.toThrow(/truncated file/);
    await h5wasm.ready;
    const otherPath = path.join(os.tmpdir(), `not-keras-${process.pid}.h5`);
    const other = new h5wasm.File(otherPath, 'w');
    other.create_dataset({ name: 'data', data: new Float32Array([1, 2, 3]) });
    other.close();
    const bytes = fs.readFileSync(otherPath);
    fs.rmSync(otherPath);
    await expect(readVggface2Resnet50H5(bytes)).rejects.toThrow(/no "layer_names" attribute/);
  });

  it('names every missing layer, wrong shape and foreign layer of a file that is not this model', async () => {
    const broken = await writeSyntheticResnet50H5({
      zeros: true,
      omitLayers: ['conv4_3_3x3/bn', 'conv5_2_1x1_increase'],
      reshape: { layer: 'conv3_1_1x1_proj', weight: 'kernel', shape: [1, 1, 256, 256] },
      // SENet50 has ResNet50's layer names and shapes plus squeeze-excitation convs like this one
      extraLayers: [
        { name: 'conv2_1_1x1_down', weights: [{ name: 'conv2_1_1x1_down/kernel:0', shape: [1, 1, 256, 16], data: new Float32Array(4096) }] },
      ],
    });
    const error = await readVggface2Resnet50H5(broken.bytes).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.name).toBe('Resnet50WeightsError');
    expect(error?.message).toContain('missing layer conv4_3_3x3/bn, layer conv5_2_1x1_increase');
    expect(error?.message).toContain('conv3_1_1x1_proj kernel is [1, 1, 256, 256], expected [1, 1, 256, 512]');
    expect(error?.message).toContain('conv2_1_1x1_down');
  });
});

describe('storing the mapped weights', () => {
  it('round-trips through one ArrayBuffer bit for bit', () => {
    const stored = serializeResnet50Weights(weights);
    expect(stored).toBeInstanceOf(ArrayBuffer);
    // the values dominate: header and spec take a few kB
    expect(stored.byteLength - RESNET50_PARAMETER_COUNT * 4).toBeGreaterThan(0);
    expect(stored.byteLength - RESNET50_PARAMETER_COUNT * 4).toBeLessThan(32_000);
    // what IndexedDB hands back is a structured clone
    expectSameWeights(deserializeResnet50Weights(structuredClone(stored)), weights);
  });

  it('refuses a stored buffer that is damaged or cut short', () => {
    const stored = serializeResnet50Weights(weights);
    expect(() => deserializeResnet50Weights(stored.slice(0, stored.byteLength - 4))).toThrow(/bytes of values, the spec needs/);
    expect(() => deserializeResnet50Weights(new ArrayBuffer(64))).toThrow(/no FMRN50W1 header/);
    const damaged = stored.slice(0);
    new Uint8Array(damaged)[14] ^= 0xff; // inside the JSON spec
    expect(() => deserializeResnet50Weights(damaged)).toThrow(/stored VGGFace2 ResNet50 weights are unusable/);
  });
});

describe('the VGGFace2 ResNet50 network', () => {
  it('runs on the selected tfjs backend', () => {
    expect(tf.getBackend()).toBe(backend);
    expect(backend).toBe(process.env.TFJS_BACKEND ?? 'wasm');
  });

  it('describes itself as the recipe does', () => {
    expect(RESNET50_INFO).toEqual({
      id: 'vggface2-resnet50',
      label: 'VGGFace2 ResNet50 (your weights file)',
      inputSize: 224,
      dim: 2048,
      crop: 'tight',
      metric: 'cosine',
      defaultThreshold: 0.4,
    });
  });

  it('preprocesses like keras_vggface preprocess_input(version=2): RGB->BGR minus the BGR means', async () => {
    const pixels = tf.tensor4d([10, 20, 30, 255, 0, 128], [1, 1, 2, 3]);
    const out = preprocessVggface2Resnet50(pixels);
    const values = await out.data();
    tf.dispose([pixels, out]);
    const expected = [30 - 91.4953, 20 - 103.8827, 10 - 131.0912, 128 - 91.4953, 0 - 103.8827, 255 - 131.0912];
    expected.forEach((v, i) => expect(values[i]).toBeCloseTo(v, 4));
  });

  it('computes the same last feature map as the float64 reference on a 64x64 input', async () => {
    const size = 64;
    const rgb = testImage(size, 5);
    const embedder = createVggface2Resnet50(weights);
    const input = tf.tensor4d(Float32Array.from(rgb), [1, size, size, 3]);
    const preprocessed = preprocessVggface2Resnet50(input);
    const map = embedder.featureMap(preprocessed);
    // 64 -> conv1 32 -> max pool 15 -> 15 -> 8 -> 4 -> 2: odd sizes exercise 'valid' strides and TF 'same' padding
    expect(map.shape).toEqual([1, 2, 2, 2048]);
    const actual = await map.data();
    tf.dispose([input, preprocessed, map]);
    embedder.dispose();
    const reference = referenceFeatureMap(referencePreprocess(rgb, size, size), fromFixture);
    console.log(`64x64 feature map vs float64 reference: max rel ${maxRelativeError(actual, reference.data).toExponential(2)}`);
    expect([reference.height, reference.width, reference.channels]).toEqual([2, 2, 2048]);
    // float32 through 53 layers vs float64: measured ~1e-6
    expect(maxRelativeError(actual, reference.data)).toBeLessThan(1e-4);
  });

  it('embeds 224x224 faces like the float64 reference, per face and in any batching', async () => {
    const faceA = testImage(224, 1);
    const faceB = testImage(224, 2);
    const batch = tf.tensor4d(Float32Array.from([...faceA, ...faceB]), [2, 224, 224, 3]);
    const swapped = tf.tensor4d(Float32Array.from([...faceB, ...faceA]), [2, 224, 224, 3]);

    const embedder = createVggface2Resnet50(weights);
    const [a, b] = await embedder.embed(batch);
    embedder.dispose();
    // the worker's path: stored weights, and here one face per pass
    const fromStorage = createVggface2Resnet50(deserializeResnet50Weights(serializeResnet50Weights(weights)), { facesPerPass: 1 });
    const [b2, a2] = await fromStorage.embed(swapped);
    fromStorage.dispose();
    tf.dispose([batch, swapped]);

    const reference = referenceEmbedding(referencePreprocess(faceA, 224, 224), fromFixture);
    console.log(
      `224 vs float64 reference: max rel ${maxRelativeError(a, reference).toExponential(2)}, 1-cos ${(1 - cosine(a, reference)).toExponential(2)};` +
        ` batching: ${maxRelativeError(a2, a).toExponential(2)}, ${maxRelativeError(b2, b).toExponential(2)}; a vs b ${maxRelativeError(a, b).toExponential(2)}`,
    );
    expect(a).toHaveLength(2048);
    // float32 (folded BN) vs float64 (unfolded BN): measured ~1e-6; the bound leaves room for other backends
    expect(maxRelativeError(a, reference)).toBeLessThan(1e-4);
    expect(cosine(a, reference)).toBeGreaterThan(1 - 1e-6);
    expect(maxRelativeError(a2, a)).toBeLessThan(1e-5);
    expect(maxRelativeError(b2, b)).toBeLessThan(1e-5);
    // the two faces' embeddings differ far beyond the batching tolerance (the batch is not mixed up)
    expect(maxRelativeError(a, b)).toBeGreaterThan(1e-3);
  });

  it('refuses faces of the wrong size and use after dispose', async () => {
    const embedder = createVggface2Resnet50(weights);
    const small = tf.zeros([1, 112, 112, 3]) as tf.Tensor4D;
    await expect(embedder.embed(small)).rejects.toThrow(/expects faces \[n, 224, 224, 3\]/);
    small.dispose();
    embedder.dispose();
    const face = tf.zeros([1, 224, 224, 3]) as tf.Tensor4D;
    await expect(embedder.embed(face)).rejects.toThrow(/disposed/);
    face.dispose();
  });

  it('leaks no tensors: embedding keeps the count, dispose() returns to it', async () => {
    const before = tf.memory().numTensors;
    const embedder = createVggface2Resnet50(weights);
    const loaded = tf.memory().numTensors;
    expect(loaded - before).toBe(2 * 53); // one folded filter and one bias per convolution
    const faces = tf.tensor4d(Float32Array.from(testImage(224, 3)), [1, 224, 224, 3]);
    expect(await embedder.embed(faces)).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(loaded + 1);
    faces.dispose();
    embedder.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
