// The Library keeps, per face, a JPEG of its neighbourhood (sourceRegion) instead of the photo, and a change of model
// re-embeds from it. How far does that move a face's vector from the one the whole photo gives, for each built-in
// embedder? Real photos: FDDB (small faces, several per photo) and LFW (250 px portraits, ~110 px faces).
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mozjpegEncFactory from '@jsquash/jpeg/codec/enc/mozjpeg_enc.js';
import { createEmbedder } from '../../src/ml/embedders';
import type { FaceEmbedder } from '../../src/ml/embedders/embedder';
import { createMtcnn, type MtcnnDetector } from '../../src/ml/mtcnn';
import { analyzeDetections, analyzeFacesInImages } from '../../src/ml/pipeline';
import { distanceMatrix } from '../../src/ml/similarity';
import type { EmbedderId, FaceDetection, RgbImage } from '../../src/ml/types';
import { SOURCE_MAX_FACE_SIDE, detectionInThumbnail, sourceRegion } from '../../src/worker/face-regions';
import { decodeImageBytes, loadSharedImage, readModelAsset, repoRoot, sharedPath, useBackend } from '../support/node-ml';

/** The quality the worker stores sources at (SOURCE_QUALITY in facematch.worker.ts). */
const QUALITY = 95;

interface MozjpegEncoder {
  encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array;
}
const encWasm = new WebAssembly.Module(fs.readFileSync(`${repoRoot}/node_modules/@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm`));
const encoder = await (mozjpegEncFactory as unknown as (options: object) => Promise<MozjpegEncoder>)({
  noInitialRun: true,
  instantiateWasm(imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void) {
    const instance = new WebAssembly.Instance(encWasm, imports);
    ready(instance);
    return instance.exports;
  },
});

/** JPEG round trip as Chromium's canvas encoder does it: libjpeg's standard tables, 4:2:0, baseline, no trellis. */
function jpegRoundTrip(image: RgbImage, quality = QUALITY): { image: RgbImage; size: number } {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    rgba.set(image.data.subarray(i, i + 3), j);
    rgba[j + 3] = 255;
  }
  const bytes = encoder.encode(rgba, image.width, image.height, {
    quality, baseline: true, arithmetic: false, progressive: false, optimize_coding: true, smoothing: 0, color_space: 3,
    quant_table: 0, trellis_multipass: false, trellis_opt_zero: false, trellis_opt_table: false, trellis_loops: 1,
    auto_subsample: false, chroma_subsample: 2, separate_chroma_quality: false, chroma_quality: quality,
  });
  return { image: decodeImageBytes(bytes), size: bytes.length };
}

const fddb = (JSON.parse(fs.readFileSync(sharedPath('datasets/fddb/detection.json'), 'utf8')) as { images: { image: string }[] }).images
  .slice(0, 8)
  .map((i) => `datasets/fddb/${i.image}`);
const lfw = (JSON.parse(fs.readFileSync(sharedPath('datasets/lfw/verification.json'), 'utf8')) as { pairs: { a: string }[] }).pairs
  .filter((_, i) => i % 150 === 0)
  .slice(0, 8)
  .map((p) => `datasets/lfw/${p.a}`);

let detector: MtcnnDetector;
const photos: { image: RgbImage; detections: FaceDetection[] }[] = [];

beforeAll(async () => {
  await useBackend();
  detector = await createMtcnn(readModelAsset);
  for (const file of [...fddb, ...lfw]) {
    const image = loadSharedImage(file);
    photos.push({ image, detections: await detector.detect(image) });
  }
}, 120_000);

afterAll(() => detector?.dispose());

describe.each(['dlib-resnet29', 'vggface2-mobilenet'] as EmbedderId[])('re-embedding %s from stored face sources', (id) => {
  let embedder: FaceEmbedder;
  beforeAll(async () => {
    embedder = await createEmbedder(id, readModelAsset);
  });
  afterAll(() => embedder?.dispose());

  it('gives nearly the vector the whole photo gives: drift a small fraction of the match threshold', async () => {
    const { metric, defaultThreshold } = embedder.info;
    const distance = (a: Float32Array, b: Float32Array) => distanceMatrix([a], [b], metric)[0][0];
    const uncompressed: number[] = [];
    let bytes = 0;
    const stored: number[] = [];
    const between: number[] = [];
    let large = 0;
    for (const { image, detections } of photos) {
      if (detections.length === 0) continue;
      const whole = await analyzeDetections(image, detections, embedder);
      const regions = detections.map((d) => sourceRegion(image, d));
      const fromRegions = await analyzeFacesInImages(regions, embedder);
      const fromJpeg = await analyzeFacesInImages(
        regions.map((r) => {
          const { image: decoded, size } = jpegRoundTrip(r.image);
          bytes += size;
          return { image: decoded, detection: r.detection };
        }),
        embedder,
      );
      detections.forEach((d, i) => {
        if (Math.max(d.box[2], d.box[3]) > SOURCE_MAX_FACE_SIDE) large++;
        else uncompressed.push(distance(whole[i].embedding, fromRegions[i].embedding));
        stored.push(distance(whole[i].embedding, fromJpeg[i].embedding));
        if (i > 0) between.push(distance(whole[i].embedding, whole[0].embedding));
      });
    }
    const sorted = [...stored].sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const max = sorted[sorted.length - 1];
    console.log(
      `${id}: ${stored.length} faces (${large} shrunk to ${SOURCE_MAX_FACE_SIDE} px); from the JPEG source: median drift ${median.toFixed(4)}, ` +
        `max ${max.toFixed(4)} (threshold ${defaultThreshold}; the smallest faces drift most); ${(bytes / stored.length / 1024).toFixed(1)} KB a source; uncompressed region max ${Math.max(...uncompressed).toFixed(5)}; ` +
        `different faces of one photo: min ${Math.min(...between).toFixed(3)}`,
    );
    expect(stored.length).toBeGreaterThanOrEqual(20);
    // cutting the region alone changes nothing at native resolution (the same pixels, the same warp)
    expect(Math.max(...uncompressed)).toBeLessThan(1e-3);
    // the JPEG's loss: well inside the threshold, and far below the distance between two people (at quality 92 dlib's
    // 20 px faces drifted 0.11, 19% of its threshold; at 95, 0.09)
    expect(median).toBeLessThan(0.05 * defaultThreshold);
    expect(max).toBeLessThan(0.2 * defaultThreshold);
    expect(max).toBeLessThan(0.25 * Math.min(...between));
  }, 300_000);

  it('re-embeds a face stored before sources were kept from its 112 px crop: coarser, still inside the threshold', async () => {
    const { metric, defaultThreshold } = embedder.info;
    const drift: number[] = [];
    for (const { image, detections } of photos) {
      if (detections.length === 0) continue;
      const whole = await analyzeDetections(image, detections, embedder);
      const fromCrops = await analyzeFacesInImages(
        whole.map(({ crop }, i) => {
          const rgb = new Uint8Array(crop.width * crop.height * 3);
          for (let p = 0; p < crop.width * crop.height; p++) rgb.set(crop.rgba.subarray(p * 4, p * 4 + 3), p * 3);
          // the Library's crops are JPEGs of quality 0.85 (encodeCrop in facematch.worker.ts)
          return { image: jpegRoundTrip({ data: rgb, width: crop.width, height: crop.height }, 85).image, detection: detectionInThumbnail(detections[i], crop.width) };
        }),
        embedder,
      );
      whole.forEach((f, i) => drift.push(distanceMatrix([f.embedding], [fromCrops[i].embedding], metric)[0][0]));
    }
    const sorted = [...drift].sort((a, b) => a - b);
    console.log(`${id} from 112 px crops: median drift ${sorted[sorted.length >> 1].toFixed(4)}, max ${sorted[sorted.length - 1].toFixed(4)} (threshold ${defaultThreshold})`);
    expect(sorted[sorted.length >> 1]).toBeLessThan(0.15 * defaultThreshold);
    expect(sorted[sorted.length - 1]).toBeLessThan(0.35 * defaultThreshold);
  }, 300_000);
});

afterAll(() => tf.disposeVariables());
