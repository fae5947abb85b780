// MTCNN face detector: a faithful port of ipazc mtcnn 0.0.9 (same boxes, scores and keypoints up to
// float32 noise) on tfjs. Weights come from public/models/mtcnn through an AssetReader.
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightMap, readModelIndex } from '../assets';
import type { AssetReader, FaceDetection, RgbImage } from '../types';
import { resizeArea } from '../image/resize-area';
import { type RawFace, patchWindows, runCascade, runOnPatches } from './cascade';
import { runOnet, runRnet } from './nets';

export interface MtcnnOptions {
  /** smallest face searched for, in detection pixels (ipazc default 20) */
  minFaceSize?: number;
  /** pyramid step (ipazc default 0.709) */
  scaleFactor?: number;
  /** P-Net, R-Net, O-Net score thresholds (ipazc default [0.6, 0.7, 0.7]) */
  thresholds?: [number, number, number];
  /**
   * Images with more pixels are shrunk (INTER_AREA) to this many before detecting, and the boxes mapped
   * back to full size: bounds time and memory on camera photos. 4 MP keeps every reference image at full size.
   */
  maxDetectionPixels?: number;
}

export interface MtcnnDetector {
  detect(image: RgbImage, options?: MtcnnOptions): Promise<FaceDetection[]>;
  /**
   * Runs each net and each resampling path once on a synthetic image: XNNPACK packs a net's weights on its first
   * call and V8 optimises the JS only after use, costs the first real photo would otherwise pay.
   */
  warmUp(): Promise<void>;
  dispose(): void;
}

export const MTCNN_DEFAULTS: Required<MtcnnOptions> = {
  minFaceSize: 20,
  scaleFactor: 0.709,
  thresholds: [0.6, 0.7, 0.7],
  maxDetectionPixels: 4_000_000,
};

/** Python int(): truncation toward zero (no -0 in the output). */
const int = (v: number) => Math.trunc(v) + 0;

/** ipazc's output dict, with coordinates scaled by (sx, sy) first when detection ran on a shrunk copy. */
export function toDetection(face: RawFace, sx = 1, sy = 1): FaceDetection {
  const x1 = face.x1 * sx;
  const y1 = face.y1 * sy;
  const x2 = face.x2 * sx;
  const y2 = face.y2 * sy;
  const p = face.points;
  const point = (i: number): [number, number] => [int(p[i] * sx), int(p[i + 5] * sy)];
  return {
    box: [int(x1), int(y1), int(x2 - x1), int(y2 - y1)],
    confidence: face.score,
    keypoints: { left_eye: point(0), right_eye: point(1), nose: point(2), mouth_left: point(3), mouth_right: point(4) },
  };
}

/** The size detection runs at: the image's own, or shrunk to at most maxPixels keeping the aspect ratio. */
export function detectionSize(width: number, height: number, maxPixels: number): [number, number] {
  if (width * height <= maxPixels) return [width, height];
  const s = Math.sqrt(maxPixels / (width * height));
  return [Math.max(1, Math.floor(width * s)), Math.max(1, Math.floor(height * s))];
}

export async function createMtcnn(readAsset: AssetReader, options: MtcnnOptions = {}): Promise<MtcnnDetector> {
  const weights = await loadWeightMap(readAsset, await readModelIndex(readAsset), 'mtcnn');
  const defaults = { ...MTCNN_DEFAULTS, ...options };
  let disposed = false;
  return {
    async detect(image, perCall = {}) {
      if (disposed) throw new Error('MTCNN detector was disposed');
      const { width, height, data } = image;
      if (data.length !== width * height * 3) throw new Error(`RgbImage: ${data.length} bytes for ${width}x${height}x3`);
      const o = { ...defaults, ...perCall };
      if (width === 0 || height === 0) return [];
      const [dw, dh] = detectionSize(width, height, o.maxDetectionPixels);
      const input = dw === width && dh === height ? image : { width: dw, height: dh, data: resizeArea(data, width, height, dw, dh) };
      const faces = await runCascade(weights, input, o);
      return faces.map((f) => toDetection(f, width / dw, height / dh));
    },
    async warmUp() {
      const width = 160;
      const height = 120;
      const data = new Uint8Array(width * height * 3);
      for (let i = 0; i < data.length; i++) data[i] = (i * 37 + Math.floor(i / 480) * 11) & 255;
      const image: RgbImage = { width, height, data };
      await runCascade(weights, image, defaults);
      // R-/O-Net run only for candidates that pass; give them one shrunk and one padded, enlarged patch each
      const boxes = [
        { x1: 10, y1: 10, x2: 80, y2: 80, score: 0 },
        { x1: -5, y1: -5, x2: 12, y2: 12, score: 0 },
      ];
      const windows = patchWindows(image, boxes);
      for (const [size, net] of [[24, runRnet], [48, runOnet]] as const) {
        if (windows) tf.tidy(() => void runOnPatches(image, windows, size, boxes.length, (batch) => net(weights, batch)));
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      tf.dispose(Object.values(weights));
    },
  };
}
