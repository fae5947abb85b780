// Parity of src/ml/mtcnn with ipazc mtcnn 0.0.9 on the 230 reference images, plus FDDB recall, in Node on
// the tfjs WASM backend. Prints a summary (and writes it with --json FILE). Usage: USAGE below, or --help.
import fs from 'node:fs';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { createMtcnn } from '../../src/ml/mtcnn';
import type { FaceDetection } from '../../src/ml/types';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../../test/support/node-ml';
import { readOptions } from '../cli';

type Box = [number, number, number, number];
interface RefFace {
  box: Box;
  confidence: number;
  keypoints: Record<string, [number, number]>;
}
interface RefImage {
  image: string;
  set: string;
  width: number;
  height: number;
  rgb_sha256: string;
  faces: RefFace[];
  stable_f32_vs_f64: boolean;
  alt_faces_float64?: RefFace[];
}

const USAGE = 'npm run eval:mtcnn [-- --json FILE] [--only SUBSTRING] [--limit N] [--verbose]';

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy one-to-one matching, `detections` in the given order, each to the unused truth with the best IoU >= min. */
function greedyMatch(detections: Box[], truths: Box[], minIou: number): (number | -1)[] {
  const used = new Set<number>();
  return detections.map((d) => {
    let best = -1;
    let bestIou = minIou;
    truths.forEach((t, j) => {
      if (used.has(j)) return;
      const v = iou(d, t);
      if (v >= bestIou) {
        best = j;
        bestIou = v;
      }
    });
    if (best >= 0) used.add(best);
    return best;
  });
}

const median = (values: number[]) => {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const args = readOptions(USAGE, {
  json: { type: 'string' },
  only: { type: 'string' },
  limit: { type: 'string' },
  verbose: { type: 'boolean' },
});
const backend = await useBackend('wasm');
const reference = JSON.parse(
  fs.readFileSync(sharedPath('fixtures/mtcnn-reference/reference.json'), 'utf8'),
) as { images: RefImage[] };
const fddb = JSON.parse(fs.readFileSync(sharedPath('datasets/fddb/detection.json'), 'utf8')) as {
  images: { image: string; boxes: Box[] }[];
};
const fddbTruth = new Map(fddb.images.map((i) => [`datasets/fddb/${i.image}`, i.boxes]));

let images = reference.images;
if (typeof args.only === 'string') images = images.filter((i) => i.image.includes(args.only as string));
if (args.limit) images = images.slice(0, Number(args.limit));

const detector = await createMtcnn(readModelAsset);
const tensorsBefore = tf.memory().numTensors;
let referenceFaces = 0;
let matched = 0;
let exact = 0;
let detections = 0;
let extra = 0;
let decodeIdentical = 0;
const keypointErrors: number[] = [];
const confidenceErrors: number[] = [];
const times: number[] = [];
const fddbScore = { images: 0, gt_faces: 0, true_positives: 0, detections: 0 };

for (const ref of images) {
  const image = loadSharedImage(ref.image);
  const sha = createHash('sha256').update(image.data).digest('hex');
  if (sha === ref.rgb_sha256) decodeIdentical++;
  const start = performance.now();
  const faces: FaceDetection[] = await detector.detect(image);
  times.push(performance.now() - start);

  // Unstable images: score against whichever variant (float32 or float64 reference) fits better.
  const variants = [ref.faces, ...(ref.alt_faces_float64 ? [ref.alt_faces_float64] : [])];
  const scored = variants.map((truth) => {
    const match = greedyMatch(faces.map((f) => f.box), truth.map((t) => t.box), 0.85);
    const exactBoxes = match.filter((j, i) => j >= 0 && faces[i].box.every((v, k) => v === truth[j].box[k])).length;
    return { truth, match, hits: match.filter((m) => m >= 0).length, exactBoxes };
  });
  const best = scored.reduce((a, b) => (b.hits > a.hits || (b.hits === a.hits && b.exactBoxes > a.exactBoxes) ? b : a));
  referenceFaces += ref.faces.length;
  detections += faces.length;
  matched += best.hits;
  extra += faces.length - best.hits;
  best.match.forEach((j, i) => {
    if (j < 0) return;
    const f = faces[i];
    const t = best.truth[j];
    if (f.box.every((v, k) => v === t.box[k])) exact++;
    else console.log(`inexact ${ref.image}: box [${f.box}] vs reference [${t.box}]`);
    confidenceErrors.push(Math.abs(f.confidence - t.confidence));
    for (const [name, [x, y]] of Object.entries(t.keypoints)) {
      const [px, py] = f.keypoints[name as keyof FaceDetection['keypoints']];
      keypointErrors.push(Math.hypot(px - x, py - y));
    }
  });
  const differs = best.hits !== ref.faces.length || best.hits !== faces.length;
  if (args.verbose || differs) {
    console.log(
      `${differs ? 'DIFF' : 'ok  '} ${ref.image}: ${faces.length} found, ${ref.faces.length} reference, ${best.hits} matched` +
        (sha === ref.rgb_sha256 ? '' : ' (decode differs)'),
    );
  }

  const truth = fddbTruth.get(ref.image);
  if (ref.set === 'fddb' && truth) {
    const byConfidence = [...faces].sort((a, b) => b.confidence - a.confidence).map((f) => f.box);
    const hits = greedyMatch(byConfidence, truth, 0.3).filter((m) => m >= 0).length;
    fddbScore.images++;
    fddbScore.gt_faces += truth.length;
    fddbScore.true_positives += hits;
    fddbScore.detections += faces.length;
  }
}
const tensorsLeaked = tf.memory().numTensors - tensorsBefore;
detector.dispose();

const round = (v: number, d = 4) => Math.round(v * 10 ** d) / 10 ** d;
const summary = {
  images: images.length,
  reference_faces: referenceFaces,
  detections,
  matched_fraction: round(matched / referenceFaces),
  extra_fraction: round(extra / Math.max(1, detections)),
  exact_box_fraction: round(exact / Math.max(1, matched)),
  keypoint_median_px: round(median(keypointErrors), 3),
  keypoint_max_px: round(Math.max(0, ...keypointErrors), 3),
  confidence_max_abs_diff: Number(Math.max(0, ...confidenceErrors).toExponential(2)),
  decode_identical_images: decodeIdentical,
  backend,
  ms_median_per_image: round(median(times), 1),
  ms_total: Math.round(times.reduce((a, b) => a + b, 0)),
  tensors_leaked: tensorsLeaked,
  fddb: {
    images: fddbScore.images,
    gt_faces: fddbScore.gt_faces,
    recall: round(fddbScore.true_positives / Math.max(1, fddbScore.gt_faces)),
    false_positives: fddbScore.detections - fddbScore.true_positives,
  },
};
console.log(JSON.stringify(summary, null, 2));
if (typeof args.json === 'string') fs.writeFileSync(args.json, JSON.stringify(summary, null, 2) + '\n');
