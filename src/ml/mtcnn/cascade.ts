// The three-stage MTCNN cascade of ipazc mtcnn 0.0.9 (see ../shared/fixtures/mtcnn-reference/README.md).
// Image resampling and box arithmetic run in JS float64 exactly as numpy/OpenCV do; only the nets run
// on the tfjs backend. Each P-Net level is read back once (probability + regression), and so is each of
// R-/O-Net's outputs over all their batches of patches.
import * as tf from '@tensorflow/tfjs-core';
import type { RgbImage } from '../types';
import { resizeArea, resizeAreaPadded } from '../image/resize-area';
import { f32s, scratchArray } from '../scratch';
import { bbreg, type Candidate, fix, generateCandidates, nms, padBox, type PatchWindow, rerec, scalePyramid } from './boxes';
import { runOnet, runPnet, runRnet, type WeightMap } from './nets';

export interface CascadeParams {
  minFaceSize: number;
  scaleFactor: number;
  thresholds: [number, number, number];
}

/** A detection before ipazc's final int() conversion. */
export interface RawFace {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** 5 x then 5 y, already rounded to float32 as ipazc stores them */
  points: Float64Array;
}

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** What stage 1 did at one pyramid level (the fields of the reference's pnet_stage1_debug.json). */
export interface PnetLevelStats {
  scale: number;
  scaledWidth: number;
  scaledHeight: number;
  mapWidth: number;
  mapHeight: number;
  passing: number;
  keptByNms: number;
}

const normalize = (v: number) => (v - 127.5) * 0.0078125;

// Net inputs are written into scratch buffers (../scratch.ts): a 1 MP photo's P-Net levels and R-/O-Net patches were
// ~20 MB of fresh typed arrays per photo. A buffer is free again once the net call given its tensor has returned:
// tfjs-wasm copies the values when the tensor is made, WebGL uploads them at their first use inside that call, and
// the CPU backend reads them only there. Larger inputs (a small minFaceSize on a big photo) get a fresh array.
const INPUT_POOL_MAX_LENGTH = 8 << 20;
const inputBuffer = (slot: string, length: number) => scratchArray(`mtcnn.${slot}`, f32s, length, INPUT_POOL_MAX_LENGTH);

/** The image as P-Net wants it: normalised and transposed to [W, H, 3], in the pooled P-Net input buffer. */
function transposedInput(pixels: Uint8Array, width: number, height: number): Float32Array {
  const out = inputBuffer('pnet', width * height * 3);
  // In 32 x 32 tiles, writing each output column in order: a plain row-by-row transpose misses the cache on
  // every write of the larger pyramid levels.
  const TILE = 32;
  const step = width * 3;
  for (let y0 = 0; y0 < height; y0 += TILE) {
    const y1 = Math.min(height, y0 + TILE);
    for (let x0 = 0; x0 < width; x0 += TILE) {
      const x1 = Math.min(width, x0 + TILE);
      for (let x = x0; x < x1; x++) {
        for (let y = y0, s = (y0 * width + x) * 3, d = (x * height + y0) * 3; y < y1; y++, s += step, d += 3) {
          out[d] = normalize(pixels[s]);
          out[d + 1] = normalize(pixels[s + 1]);
          out[d + 2] = normalize(pixels[s + 2]);
        }
      }
    }
  }
  return out;
}

/** P-Net over the pyramid, NMS, regression, rerec and fix: the boxes R-Net receives. */
export async function stage1(
  weights: WeightMap,
  image: RgbImage,
  params: CascadeParams,
  stats?: PnetLevelStats[],
): Promise<Box[]> {
  const { width, height } = image;
  const scales = scalePyramid(width, height, params.minFaceSize, params.scaleFactor);
  if (scales.length === 0) return [];
  // Every level runs on the backend first; their maps (face probability plane, then the regression as
  // 4 values per cell) are packed into one tensor and read back once.
  // Resizing the next level on the CPU overlaps with an asynchronous (WebGL) backend running this one.
  const levels = scales.map((scale) => ({ scale, sw: Math.ceil(width * scale), sh: Math.ceil(height * scale) }));
  const mapSizes: [number, number][] = [];
  const packed = tf.tidy(() =>
    tf.concat(
      levels.map(({ sw, sh }) => {
        const scaled = resizeArea(image.data, width, height, sw, sh);
        const { prob, reg } = runPnet(weights, tf.tensor4d(transposedInput(scaled, sw, sh), [1, sw, sh, 3]));
        const [mapW, mapH] = [prob.shape[1], prob.shape[2]];
        mapSizes.push([mapW, mapH]);
        const face = tf.slice(prob, [0, 0, 0, 1], [1, mapW, mapH, 1]);
        return tf.concat([tf.reshape(face, [-1]), tf.reshape(reg, [-1])]);
      }),
    ),
  );
  let maps: Float32Array;
  try {
    maps = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }
  let all: Candidate[] = [];
  let offset = 0;
  levels.forEach((level, i) => {
    const [mapW, mapH] = mapSizes[i];
    const cells = mapW * mapH;
    const face = maps.subarray(offset, offset + cells);
    const reg = maps.subarray(offset + cells, offset + 5 * cells);
    offset += 5 * cells;
    const boxes = generateCandidates(face, reg, mapW, mapH, level.scale, params.thresholds[0]);
    const picked = nms(boxes, 0.5, 'Union');
    for (const k of picked) all.push(boxes[k]);
    stats?.push({
      scale: level.scale,
      scaledWidth: level.sw,
      scaledHeight: level.sh,
      mapWidth: mapW,
      mapHeight: mapH,
      passing: boxes.length,
      keptByNms: picked.length,
    });
  });
  if (all.length === 0) return [];
  all = nms(all, 0.7, 'Union').map((k) => all[k]);
  return all.map((c) => {
    const regw = c.x2 - c.x1;
    const regh = c.y2 - c.y1;
    const box = rerec({
      x1: c.x1 + c.reg[0] * regw,
      y1: c.y1 + c.reg[1] * regh,
      x2: c.x2 + c.reg[2] * regw,
      y2: c.y2 + c.reg[3] * regh,
      score: c.score,
    });
    box.x1 = fix(box.x1);
    box.y1 = fix(box.y1);
    box.x2 = fix(box.x2);
    box.y2 = fix(box.y2);
    return box;
  });
}

/**
 * Cuts each box out of the image 1-based into a zero buffer (ipazc pad()), resizes it with INTER_AREA
 * in float64 and writes the normalised, transposed batch [N, size(x), size(y), 3] into `out`.
 */
function writePatches(image: RgbImage, windows: readonly PatchWindow[], size: number, out: Float32Array): void {
  const { width, data } = image;
  for (let k = 0; k < windows.length; k++) {
    const win = windows[k];
    const resized = resizeAreaPadded(data, width, {
      width: win.tmpw,
      height: win.tmph,
      x0: win.sx0,
      y0: win.sy0,
      cols: Math.max(0, Math.min(win.sx1 - win.sx0, win.dx1 - win.dx0)),
      rows: Math.max(0, Math.min(win.sy1 - win.sy0, win.dy1 - win.dy0)),
      left: win.dx0,
      top: win.dy0,
    }, size, size);
    const base = k * size * size * 3;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const s = (y * size + x) * 3;
        const d = base + (x * size + y) * 3;
        out[d] = normalize(resized[s]);
        out[d + 1] = normalize(resized[s + 1]);
        out[d + 2] = normalize(resized[s + 2]);
      }
    }
  }
}

/** Each box's window in the image (ipazc pad()); null where ipazc gives up on the whole stage (a patch with one empty side). */
export function patchWindows(image: RgbImage, boxes: readonly Box[]): PatchWindow[] | null {
  const windows = boxes.map((b) => padBox(b, image.width, image.height));
  return windows.some((w) => w.tmpw <= 0 || w.tmph <= 0) ? null : windows;
}

/**
 * Runs `net` on the windows' patches, `batch` at a time (bounds activation memory on photos with thousands of
 * candidates; results do not depend on it), each batch written into the pooled input buffer just before its call.
 * Call inside tf.tidy.
 */
export function runOnPatches<T>(
  image: RgbImage,
  windows: readonly PatchWindow[],
  size: number,
  batch: number,
  net: (input: tf.Tensor4D) => T,
): T[] {
  const results: T[] = [];
  for (let start = 0; start < windows.length; start += batch) {
    const part = windows.slice(start, start + batch);
    const input = inputBuffer(`patches${size}`, part.length * size * size * 3);
    writePatches(image, part, size, input);
    results.push(net(tf.tensor4d(input, [part.length, size, size, 3])));
  }
  return results;
}

// Patches per R-/O-Net call (R-Net's first layer is 54 KB a patch, O-Net's 270 KB).
const RNET_BATCH = 512;
const ONET_BATCH = 128;

/** R-Net on stage-1 boxes: score filter, NMS, bbreg, rerec; null where ipazc abandons the image. */
export async function stage2(
  weights: WeightMap,
  image: RgbImage,
  boxes: readonly Box[],
  params: CascadeParams,
): Promise<Box[] | null> {
  if (boxes.length === 0) return [];
  const windows = patchWindows(image, boxes);
  if (!windows) return null;
  const out = tf.tidy(() => {
    const parts = runOnPatches(image, windows, 24, RNET_BATCH, (batch) => runRnet(weights, batch));
    return { prob: tf.concat(parts.map((p) => p.prob)), reg: tf.concat(parts.map((p) => p.reg)) };
  });
  let prob: Float32Array;
  let reg: Float32Array;
  try {
    [prob, reg] = (await Promise.all([out.prob.data(), out.reg.data()])) as [Float32Array, Float32Array];
  } finally {
    tf.dispose([out.prob, out.reg]);
  }
  const kept: Candidate[] = [];
  boxes.forEach((b, k) => {
    const score = prob[2 * k + 1];
    if (score > params.thresholds[1]) {
      kept.push({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2, score, reg: [reg[4 * k], reg[4 * k + 1], reg[4 * k + 2], reg[4 * k + 3]] });
    }
  });
  return nms(kept, 0.7, 'Union').map((k) => {
    const c = kept[k];
    return rerec(bbreg({ x1: c.x1, y1: c.y1, x2: c.x2, y2: c.y2, score: c.score }, c.reg));
  });
}

/** O-Net on stage-2 boxes: score filter, landmarks, bbreg, NMS (Min). */
export async function stage3(
  weights: WeightMap,
  image: RgbImage,
  boxes: readonly Box[],
  params: CascadeParams,
): Promise<RawFace[]> {
  if (boxes.length === 0) return [];
  // ipazc: np.fix(total_boxes).astype(np.int32)
  const fixed = boxes.map((b) => ({ x1: Math.trunc(b.x1) | 0, y1: Math.trunc(b.y1) | 0, x2: Math.trunc(b.x2) | 0, y2: Math.trunc(b.y2) | 0, score: 0 }));
  const windows = patchWindows(image, fixed);
  if (!windows) return [];
  const out = tf.tidy(() => {
    const parts = runOnPatches(image, windows, 48, ONET_BATCH, (batch) => runOnet(weights, batch));
    return {
      prob: tf.concat(parts.map((p) => p.prob)),
      reg: tf.concat(parts.map((p) => p.reg)),
      landmarks: tf.concat(parts.map((p) => p.landmarks)),
    };
  });
  let prob: Float32Array;
  let reg: Float32Array;
  let landmarks: Float32Array;
  try {
    [prob, reg, landmarks] = (await Promise.all([out.prob.data(), out.reg.data(), out.landmarks.data()])) as Float32Array[];
  } finally {
    tf.dispose([out.prob, out.reg, out.landmarks]);
  }
  const kept: RawFace[] = [];
  fixed.forEach((b, k) => {
    const score = prob[2 * k + 1];
    if (!(score > params.thresholds[2])) return;
    const w = b.x2 - b.x1 + 1;
    const h = b.y2 - b.y1 + 1;
    const points = new Float64Array(10);
    // ipazc writes these float64 results back into the float32 output array.
    for (let i = 0; i < 5; i++) {
      points[i] = Math.fround(w * landmarks[10 * k + i] + b.x1 - 1);
      points[5 + i] = Math.fround(h * landmarks[10 * k + 5 + i] + b.y1 - 1);
    }
    const box = bbreg({ x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2 }, reg.subarray(4 * k, 4 * k + 4));
    kept.push({ ...box, score, points });
  });
  return nms(kept, 0.7, 'Min').map((k) => kept[k]);
}

/** Runs P-Net, R-Net and O-Net; faces in ipazc's output order, coordinates still float. */
export async function runCascade(weights: WeightMap, image: RgbImage, params: CascadeParams): Promise<RawFace[]> {
  const candidates = await stage1(weights, image, params);
  const refined = await stage2(weights, image, candidates, params);
  if (!refined) return [];
  return stage3(weights, image, refined, params);
}
