// Bench worker for our ML core: the app's own backend choice, decode, MTCNN and embedders, timed from inside
// the worker (postMessage and page overhead excluded). One worker per backend configuration, because the
// WASM thread count is fixed when the backend starts.
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { selectBackend } from '../src/worker/backend';
import { decodeBitmap, decodeToRgb } from '../src/worker/decode';
import { loadWeightMap, readModelIndex, sha256Hex } from '../src/ml/assets';
import { createMtcnn, MTCNN_DEFAULTS, type MtcnnDetector } from '../src/ml/mtcnn';
import { stage1, stage2, stage3 } from '../src/ml/mtcnn/cascade';
import { scalePyramid } from '../src/ml/mtcnn/boxes';
import { resizeArea } from '../src/ml/image/resize-area';
import { BUILTIN_EMBEDDERS, createEmbedder, type FaceEmbedder } from '../src/ml/embedders';
import { analyzePhoto, cropFaces } from '../src/ml/pipeline';
import type { AssetReader, EmbedderId, RgbImage } from '../src/ml/types';
import { kernelMs, kernelShares, totalFlops, type ProfiledKernel } from './flops';
import type { BenchBackend, ConvProbe, DetectReport, EmbedReport, ImageReport, InitReport, MemoryReport, MtcnnProfile } from './protocol';
import { initReport, timeDetections } from './timing';

const readAsset: AssetReader = async (relativePath) => {
  const response = await fetch(`/models/${relativePath}`);
  if (!response.ok) throw new Error(`/models/${relativePath}: HTTP ${response.status}`);
  return response.arrayBuffer();
};

let detector: MtcnnDetector | null = null;
const cached = new Map<string, RgbImage>();

async function image(path: string): Promise<RgbImage> {
  const hit = cached.get(path);
  if (hit) return hit;
  throw new Error(`${path} was not loaded (call loadImage first)`);
}

function requireDetector(): MtcnnDetector {
  if (!detector) throw new Error('loadMtcnn() first');
  return detector;
}

/** Waits for the backend to finish queued work (WebGL runs asynchronously). */
async function sync(t: tf.Tensor): Promise<void> {
  await t.data();
}

function asKernels(info: { kernels: unknown[] }): ProfiledKernel[] {
  return info.kernels as ProfiledKernel[];
}

const api = {
  async init(which: BenchBackend): Promise<InitReport> {
    const t0 = performance.now();
    let detail: string;
    if (which === 'cpu') {
      await tf.setBackend('cpu');
      await tf.ready();
      detail = 'tfjs-backend-cpu (plain JS)';
    } else {
      // The app's own selection; forcing the flag off picks the non-threaded SIMD binary.
      if (which === 'wasm-1t' || which === 'wasm-plain') tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      if (which === 'wasm-plain') tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
      const report = await selectBackend(which === 'webgl' || which === 'webgpu' ? which : 'wasm');
      detail = report.detail;
    }
    const expected = which.startsWith('wasm') ? 'wasm' : which;
    if (tf.getBackend() !== expected) throw new Error(`asked for ${which}, tfjs runs ${tf.getBackend()}`);
    return initReport(t0, tf.getBackend(), detail, tf.version_core);
  },

  /** Fetch + sha256 check + decode of the MTCNN weights; returns ms. */
  async loadMtcnn(): Promise<number> {
    const t0 = performance.now();
    const next = await createMtcnn(readAsset);
    const ms = performance.now() - t0;
    detector?.dispose();
    detector = next;
    return ms;
  },

  async loadImage(path: string, withSha = false): Promise<ImageReport> {
    cached.clear();
    const response = await fetch(`/shared/${path}`);
    if (!response.ok) throw new Error(`/shared/${path}: HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    const t0 = performance.now();
    const rgb = await decodeToRgb(decodeBitmap({ kind: 'bytes', bytes }));
    const decodeMs = performance.now() - t0;
    cached.set(path, rgb);
    return { width: rgb.width, height: rgb.height, decodeMs, rgbSha256: withSha ? await sha256Hex(rgb.data) : undefined };
  },

  async detect(path: string, reps: number): Promise<DetectReport> {
    const d = requireDetector();
    const img = await image(path);
    return timeDetections(reps, () => d.detect(img), (f) => ({ box: f.box, score: f.confidence }));
  },

  /** Where one detection's time goes: backend kernels vs JS, and the cascade's parts. */
  async profileMtcnn(path: string): Promise<MtcnnProfile> {
    const d = requireDetector();
    const img = await image(path);
    const t0 = performance.now();
    const info = await tf.profile(() => d.detect(img) as unknown as tf.TensorContainer);
    const wallMs = performance.now() - t0;
    const kernels = asKernels(info);
    // The cascade's parts, timed one by one on the same image (the weights are loaded once more here).
    const weights = await loadWeightMap(readAsset, await readModelIndex(readAsset), 'mtcnn');
    const params = MTCNN_DEFAULTS;
    const stages: Record<string, number> = {};
    try {
      let t = performance.now();
      const scales = scalePyramid(img.width, img.height, params.minFaceSize, params.scaleFactor);
      for (const s of scales) resizeArea(img.data, img.width, img.height, Math.ceil(img.width * s), Math.ceil(img.height * s));
      stages.pyramidResizeJs = performance.now() - t;
      t = performance.now();
      const b1 = await stage1(weights, img, params);
      stages.stage1 = performance.now() - t;
      t = performance.now();
      const b2 = await stage2(weights, img, b1, params);
      stages.stage2 = performance.now() - t;
      t = performance.now();
      if (b2) await stage3(weights, img, b2, params);
      stages.stage3 = performance.now() - t;
      stages.stage1Boxes = b1.length;
      stages.stage2Boxes = b2?.length ?? 0;
    } finally {
      tf.dispose(Object.values(weights));
    }
    return { wallMs, kernelMs: kernelMs(kernels), kernels: kernelShares(kernels, 10), stages };
  },

  /** Load, warm-up, one face per call, then `batch` faces per call; FLOPs from a profiled call. */
  async embedders(reps: number, batch: number): Promise<EmbedReport[]> {
    const out: EmbedReport[] = [];
    for (const info of BUILTIN_EMBEDDERS) {
      const t0 = performance.now();
      const embedder: FaceEmbedder = await createEmbedder(info.id as EmbedderId, readAsset);
      const loadMs = performance.now() - t0;
      const s = info.inputSize;
      const one = tf.randomUniform([1, s, s, 3], 0, 255) as tf.Tensor4D;
      const many = tf.randomUniform([batch, s, s, 3], 0, 255) as tf.Tensor4D;
      try {
        let t = performance.now();
        await embedder.embed(one);
        const warmMs = performance.now() - t;
        await embedder.embed(many); // batch-shaped warm-up (WebGL compiles per shape)
        const singleMs: number[] = [];
        for (let r = 0; r < reps; r++) {
          t = performance.now();
          await embedder.embed(one);
          singleMs.push(performance.now() - t);
        }
        const batchedMsPerFace: number[] = [];
        for (let r = 0; r < Math.max(1, Math.ceil(reps / 2)); r++) {
          t = performance.now();
          await embedder.embed(many);
          batchedMsPerFace.push((performance.now() - t) / batch);
        }
        const profiled = await tf.profile(() => embedder.embed(one) as unknown as tf.TensorContainer);
        const kernels = asKernels(profiled);
        out.push({
          id: info.id,
          inputSize: s,
          loadMs,
          warmMs,
          singleMs,
          batch,
          batchedMsPerFace,
          gflopPerFace: totalFlops(kernels) / 1e9,
          kernels: kernelShares(kernels, 6),
        });
      } finally {
        tf.dispose([one, many]);
        embedder.dispose();
      }
    }
    return out;
  },

  /** Plain conv2d throughput on this backend: the ceiling the embedders are compared with. */
  async convProbe(reps: number): Promise<ConvProbe[]> {
    const cases: { label: string; x: [number, number, number, number]; f: [number, number, number, number] }[] = [
      { label: 'conv 3x3 64->64 @56x56', x: [1, 56, 56, 64], f: [3, 3, 64, 64] },
      { label: 'conv 1x1 256->256 @28x28', x: [1, 28, 28, 256], f: [1, 1, 256, 256] },
      { label: 'conv 3x3 128->128 @28x28 x8', x: [8, 28, 28, 128], f: [3, 3, 128, 128] },
      { label: 'conv 1x1 512->512 @14x14 x8', x: [8, 14, 14, 512], f: [1, 1, 512, 512] },
    ];
    const results: ConvProbe[] = [];
    for (const c of cases) {
      const x = tf.randomUniform(c.x) as tf.Tensor4D;
      const f = tf.randomUniform(c.f) as tf.Tensor4D;
      const [n, h, w] = c.x;
      const [kh, kw, ci, co] = c.f;
      const gflop = (2 * n * h * w * kh * kw * ci * co) / 1e9;
      try {
        const first = tf.conv2d(x, f, 1, 'same');
        await sync(first);
        first.dispose();
        const ms: number[] = [];
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          const y = tf.conv2d(x, f, 1, 'same');
          await sync(y);
          ms.push(performance.now() - t0);
          y.dispose();
        }
        results.push({ label: c.label, gflop, ms });
      } finally {
        tf.dispose([x, f]);
      }
    }
    return results;
  },

  /** The app's pipeline (detect + default embedder) on photos, under tf.profile for the peak tensor memory. */
  async pipelineMemory(paths: string[]): Promise<MemoryReport> {
    const d = requireDetector();
    const embedder = await createEmbedder(BUILTIN_EMBEDDERS[0].id as EmbedderId, readAsset);
    const images: { path: string; img: RgbImage }[] = [];
    for (const path of paths) {
      await api.loadImage(path);
      images.push({ path, img: await image(path) });
    }
    try {
      // warm once so the measured run is the steady state
      await analyzePhoto(images[0].img, d, embedder);
      const photos: MemoryReport['photos'] = [];
      const before = tf.memory().numTensors;
      const info = await tf.profile(async () => {
        for (const { path, img } of images) {
          const t0 = performance.now();
          const dets = await d.detect(img);
          const t1 = performance.now();
          const faces = await analyzePhoto(img, { detect: async () => dets }, embedder);
          photos.push({ path, faces: faces.length, detectMs: t1 - t0, embedMs: performance.now() - t1 });
        }
        return [] as tf.Tensor[];
      });
      const wasmHeap = tf.getBackend() === 'wasm' ? wasmHeapBytes() : undefined;
      const kernels = asKernels(info);
      // The embed half split by hand: photo -> tensor, crops, the embedder itself (the rest is thumbnails).
      // cropFaces reads each face's footprint from the photo's bytes (no whole-photo tensor any more)
      const embedSplit: Record<string, number> = { cropFaces: 0, embed: 0 };
      for (const { img } of images) {
        const dets = await d.detect(img);
        let t = performance.now();
        const faces = cropFaces(img, dets, embedder.info);
        await sync(faces);
        embedSplit.cropFaces += performance.now() - t;
        t = performance.now();
        await embedder.embed(faces);
        embedSplit.embed += performance.now() - t;
        faces.dispose();
      }
      return {
        peakBytes: info.peakBytes,
        newTensors: tf.memory().numTensors - before,
        wasmHeapBytes: wasmHeap,
        photos,
        kernelMs: kernelMs(kernels),
        kernels: kernelShares(kernels, 8),
        embedSplit,
      };
    } finally {
      embedder.dispose();
    }
  },

  /** One round of the threads A/B: conv throughput, one detection, default-embedder ms/face (best of 2-3 each). */
  async abRound(path: string): Promise<{ convGflops: number; detectMs: number; embedMsPerFace: number }> {
    const probe = (await api.convProbe(3)).find((c) => c.label.includes('x8') && c.label.includes('3x3'))!;
    const convGflops = probe.gflop / (Math.min(...probe.ms) / 1000);
    await api.loadImage(path);
    const detectMs = Math.min(...(await api.detect(path, 2)).times);
    const embedder = await createEmbedder(BUILTIN_EMBEDDERS[0].id as EmbedderId, readAsset);
    const s = embedder.info.inputSize;
    const faces = tf.randomUniform([8, s, s, 3], 0, 255) as tf.Tensor4D;
    try {
      await embedder.embed(faces);
      let best = Infinity;
      for (let r = 0; r < 2; r++) {
        const t0 = performance.now();
        await embedder.embed(faces);
        best = Math.min(best, (performance.now() - t0) / 8);
      }
      return { convGflops, detectMs, embedMsPerFace: best };
    } finally {
      faces.dispose();
      embedder.dispose();
    }
  },

  memory(): tf.MemoryInfo {
    return tf.memory();
  },
};

/** Size of the WASM backend's linear memory (its high-water mark: WASM memory never shrinks). */
function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer.byteLength;
}

export type OursApi = typeof api;
Comlink.expose(api);
