// Backend parity in Node, on the backends Node has: the CPU backend against WASM, with the same comparison and
// tolerances the browser specs apply to WebGPU and WebGL (e2e/webgpu-parity.spec.ts). Also the pieces of the
// backend choice that run without a browser: the adapter rule and the measured probe.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createEmbedder, type FaceEmbedder } from '../../src/ml/embedders';
import { createMtcnn } from '../../src/ml/mtcnn';
import { analyzePhoto } from '../../src/ml/pipeline';
import type { AnalyzedFace, EmbedderId } from '../../src/ml/types';
import { describeAdapter, measureBackends } from '../../src/worker/backend';
import { compareFaces, paritySubset, summariseParity, type ParityFace } from '../support/backend-parity';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';

interface RefImage {
  image: string;
  width: number;
  height: number;
  faces: unknown[];
}
const reference = JSON.parse(fs.readFileSync(sharedPath('fixtures/mtcnn-reference/reference.json'), 'utf8')) as { images: RefImage[] };
// the CPU backend is plain JS (20 photos took 200 s here under load): the first of the browser spec's portraits and
// group photos only
const subset = paritySubset(reference.images, 6, 2);

function asParity(face: AnalyzedFace): ParityFace {
  const k = face.detection.keypoints;
  return {
    box: face.detection.box,
    confidence: face.detection.confidence,
    keypoints: [k.left_eye, k.right_eye, k.nose, k.mouth_left, k.mouth_right],
    embedding: face.embedding,
    thumbnail: face.crop.rgba,
  };
}

async function analyseAll(backend: 'wasm' | 'cpu', embedderIds: EmbedderId[]): Promise<Map<string, ParityFace[]>[]> {
  await useBackend(backend);
  expect(tf.getBackend()).toBe(backend);
  const detector = await createMtcnn(readModelAsset);
  const out: Map<string, ParityFace[]>[] = [];
  try {
    for (const id of embedderIds) {
      const embedder: FaceEmbedder = await createEmbedder(id, readModelAsset);
      const byImage = new Map<string, ParityFace[]>();
      try {
        for (const ref of subset) byImage.set(ref.image, (await analyzePhoto(loadSharedImage(ref.image), detector, embedder)).map(asParity));
      } finally {
        embedder.dispose();
      }
      out.push(byImage);
    }
  } finally {
    detector.dispose();
  }
  return out;
}

describe('CPU backend vs WASM', () => {
  it('every net gives the same faces, keypoints, confidences and embeddings on 8 reference photos', async () => {
    const ids: EmbedderId[] = ['dlib-resnet29', 'vggface2-mobilenet'];
    const wasm = await analyseAll('wasm', ids);
    const cpu = await analyseAll('cpu', ids);
    ids.forEach((id, e) => {
      const results = subset.map((ref) => compareFaces(ref.image, wasm[e].get(ref.image)!, cpu[e].get(ref.image)!));
      console.log(`cpu vs wasm, ${id}: ${summariseParity(results)}`);
      expect(results.reduce((n, r) => n + r.referenceFaces, 0)).toBeGreaterThanOrEqual(10);
      for (const r of results) expect(r.failures, r.image).toEqual([]);
      // the warp runs in JS: its thumbnails do not depend on the backend at all
      for (const r of results) expect(r.maxThumbnailDiff, r.image).toBe(0);
    });
  }, 600_000);

  it('the comparison fails a face that moved, a lost face and a changed embedding', () => {
    const face: ParityFace = { box: [10, 10, 40, 50], confidence: 0.99, keypoints: [[20, 25], [35, 25], [28, 35], [22, 45], [34, 45]], embedding: [1, 0, 0] };
    expect(compareFaces('same', [face], [face]).failures).toEqual([]);
    expect(compareFaces('moved', [face], [{ ...face, box: [16, 10, 40, 50] }]).failures.join()).toMatch(/IoU/);
    expect(compareFaces('lost', [face], []).failures.join()).toMatch(/0 faces/);
    expect(compareFaces('keypoint', [face], [{ ...face, keypoints: [[22, 25], ...face.keypoints.slice(1)] }]).failures.join()).toMatch(/keypoint/);
    expect(compareFaces('embedding', [face], [{ ...face, embedding: [0.99, 0.1, 0] }]).failures.join()).toMatch(/cosine/);
  });
});

describe('backend choice', () => {
  it('software WebGPU adapters are recognised, by flag or by name', () => {
    // what Chromium 156 reports for SwiftShader
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true }).software).toBe(true);
    expect(describeAdapter({ vendor: 'google', architecture: 'swiftshader' }).software).toBe(true);
    expect(describeAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }).software).toBe(true);
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'ampere' }, true).software).toBe(true);
    expect(describeAdapter({ vendor: 'nvidia', architecture: 'ampere' }).software).toBe(false);
    expect(describeAdapter({ vendor: 'apple', architecture: 'metal-3' }).software).toBe(false);
  });

  it('the measured probe times the real MTCNN on each backend and leaves out one that cannot start', async () => {
    const ms = await measureBackends(['wasm', 'missing', 'cpu'] as const, () => createMtcnn(readModelAsset), 2, async (name) => {
      if (name === 'missing') return false;
      await useBackend(name);
      return tf.getBackend() === name;
    });
    expect(Object.keys(ms).sort()).toEqual(['cpu', 'wasm']);
    // plain-JS CPU is the slower of the two by far: the probe measures, it does not guess
    expect(ms.wasm!).toBeGreaterThan(0);
    expect(ms.cpu!).toBeGreaterThan(ms.wasm!);
  }, 300_000);
});
