// Geometry of face crops, pure math (no tfjs): every crop rule is an affine map from crop pixels to photo pixels.
import type { CropRule, FaceDetection, FaceKeypoints, Point } from '../types';

/**
 * Maps a point (u, v) of the crop to the photo: x = a*u + b*v + tx, y = c*u + d*v + ty.
 * Both use continuous pixel coordinates (pixel i spans [i, i+1), its centre is i + 0.5).
 */
export interface Affine {
  a: number;
  b: number;
  c: number;
  d: number;
  tx: number;
  ty: number;
}

export function applyAffine(t: Affine, [u, v]: Point): Point {
  return [t.a * u + t.b * v + t.tx, t.c * u + t.d * v + t.ty];
}

/** Photo pixels per crop pixel (geometric mean over both axes), used to pick a pyramid level. */
export function affineScale(t: Affine): number {
  return Math.sqrt(Math.abs(t.a * t.d - t.b * t.c));
}

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection) taking `from` onto
 * `to`: Umeyama (1991) in 2D, where the optimal rotation-scale has the closed form [[p, -q], [q, p]].
 */
export function similarityTransform(from: readonly Point[], to: readonly Point[]): Affine {
  if (from.length !== to.length || from.length < 2) throw new Error('need at least two point pairs');
  const n = from.length;
  const mean = (pts: readonly Point[]): Point => [pts.reduce((s, p) => s + p[0], 0) / n, pts.reduce((s, p) => s + p[1], 0) / n];
  const [fx, fy] = mean(from);
  const [tx, ty] = mean(to);
  let dot = 0;
  let cross = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const x = from[i][0] - fx;
    const y = from[i][1] - fy;
    const X = to[i][0] - tx;
    const Y = to[i][1] - ty;
    dot += x * X + y * Y;
    cross += x * Y - y * X;
    variance += x * x + y * y;
  }
  if (variance === 0) throw new Error('source points coincide');
  const p = dot / variance;
  const q = cross / variance;
  return { a: p, b: -q, c: q, d: p, tx: tx - (p * fx - q * fy), ty: ty - (q * fx + p * fy) };
}

export const KEYPOINT_ORDER = ['left_eye', 'right_eye', 'nose', 'mouth_left', 'mouth_right'] as const satisfies readonly (keyof FaceKeypoints)[];

export function keypointList(k: FaceKeypoints): Point[] {
  return KEYPOINT_ORDER.map((name) => k[name]);
}

/** Five canonical points (MTCNN order) in crop coordinates scaled to 0..1. */
export type AlignmentTemplate = readonly Point[];

/**
 * dlib's 150x150 face chip (get_face_chip_details, padding 0.25) expressed at MTCNN's five points: eye centres,
 * nose tip and mouth corners of dlib's mean face shape, placed in the padded chip. Used for dlib-resnet29.
 */
export const DLIB_CHIP_TEMPLATE: AlignmentTemplate = [
  [0.3170, 0.3107],
  [0.6699, 0.3107],
  [0.4934, 0.5104],
  [0.3361, 0.6868],
  [0.6508, 0.6868],
];

/**
 * Where the five MTCNN points sit, on average, in the 'vggface2' crop (means over 7,700 LFW faces from
 * scripts/eval/eval-lfw.ts --template-stats, made left-right symmetric): aligning to it keeps the VGGFace2
 * framing and removes roll and scale.
 */
export const VGGFACE2_TEMPLATE: AlignmentTemplate = [
  [0.3008, 0.3666],
  [0.6992, 0.3666],
  [0.5, 0.5999],
  [0.3234, 0.8022],
  [0.6766, 0.8022],
];

/** Enlargement of the MTCNN box for the VGGFace2 convention: 1.3x width and height about the box centre. */
export const VGGFACE2_BOX_SCALE = 1.3;

/** Crop pixels -> photo pixels for one face under a crop rule, for a square crop of `size` pixels. */
export function cropTransform(
  detection: FaceDetection,
  rule: CropRule,
  size: number,
  template: AlignmentTemplate = VGGFACE2_TEMPLATE,
  boxScale = VGGFACE2_BOX_SCALE,
): Affine {
  const [x, y, w, h] = detection.box;
  switch (rule) {
    case 'tight':
      // The recipe resizes the box itself to the input size, stretching it if it is not square.
      return { a: w / size, b: 0, c: 0, d: h / size, tx: x, ty: y };
    case 'vggface2': {
      // Enlarge, resize so the short side is 256, keep the central 224x224: a square of short*224/256.
      const side = (Math.min(w, h) * boxScale * 224) / 256;
      const s = side / size;
      return { a: s, b: 0, c: 0, d: s, tx: x + w / 2 - side / 2, ty: y + h / 2 - side / 2 };
    }
    case 'aligned': {
      const canonical = template.map(([u, v]): Point => [u * size, v * size]);
      return similarityTransform(canonical, keypointList(detection.keypoints));
    }
  }
}

/** A square around the face, a little looser than the box, for the UI's thumbnails. */
export function thumbnailTransform(detection: FaceDetection, size: number): Affine {
  const [x, y, w, h] = detection.box;
  const side = Math.max(w, h) * 1.2;
  const s = side / size;
  return { a: s, b: 0, c: 0, d: s, tx: x + w / 2 - side / 2, ty: y + h / 2 - side / 2 };
}
