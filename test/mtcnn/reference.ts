// The ipazc reference outputs (../shared/fixtures/mtcnn-reference) and how tests compare against them.
import fs from 'node:fs';
import { expect } from 'vitest';
import type { FaceDetection } from '../../src/ml/types';
import { sharedPath } from '../support/node-ml';

export type XywhBox = [number, number, number, number];

export interface ReferenceImage {
  image: string;
  width: number;
  height: number;
  rgb_sha256: string;
  faces: FaceDetection[];
  stable_f32_vs_f64: boolean;
  alt_faces_float64?: FaceDetection[];
}

let cache: ReferenceImage[] | undefined;
export function referenceImage(path: string): ReferenceImage {
  cache ??= (
    JSON.parse(fs.readFileSync(sharedPath('fixtures/mtcnn-reference/reference.json'), 'utf8')) as {
      images: ReferenceImage[];
    }
  ).images;
  const found = cache.find((i) => i.image === path);
  if (!found) throw new Error(`${path} is not in reference.json`);
  return found;
}

export function iou(a: XywhBox, b: XywhBox): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

/** For each reference face, the detection with the highest IoU (order-free: ipazc's tie order is unstable). */
export function pairWithReference(found: FaceDetection[], reference: FaceDetection[]) {
  return reference.map((ref) => {
    let best: FaceDetection | undefined;
    let bestIou = 0;
    for (const f of found) {
      const v = iou(f.box, ref.box);
      if (v > bestIou) [best, bestIou] = [f, v];
    }
    return { ref, found: best, iou: bestIou };
  });
}

export const KEYPOINTS = ['left_eye', 'right_eye', 'nose', 'mouth_left', 'mouth_right'] as const;

/** Largest coordinate difference between two detections (box and keypoints), in pixels. */
export function maxPixelDifference(a: FaceDetection, b: FaceDetection): number {
  let worst = Math.max(...a.box.map((v, i) => Math.abs(v - b.box[i])));
  for (const k of KEYPOINTS) {
    worst = Math.max(worst, Math.abs(a.keypoints[k][0] - b.keypoints[k][0]), Math.abs(a.keypoints[k][1] - b.keypoints[k][1]));
  }
  return worst;
}

/**
 * ipazc's answer on a stable reference image (float32 and float64 runs agree): the same faces, boxes and keypoints
 * to the pixel, allowing 1 px where float32 summation order could flip a truncation, and 1e-4 on confidences.
 */
export function expectReferenceFaces(faces: FaceDetection[], reference: FaceDetection[]): void {
  expect(faces).toHaveLength(reference.length);
  for (const { ref: want, found, iou } of pairWithReference(faces, reference)) {
    expect(iou).toBeGreaterThan(0.95);
    expect(maxPixelDifference(found!, want)).toBeLessThanOrEqual(1);
    expect(Math.abs(found!.confidence - want.confidence)).toBeLessThan(1e-4);
  }
}
