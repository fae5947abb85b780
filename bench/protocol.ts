// What the bench page's workers return. Plain data only: it crosses postMessage and page.evaluate.

/**
 * ours: the app's backends ('wasm' as the app runs it: SIMD, one thread per core when isolated); 'wasm-1t' = WASM SIMD
 * with threads forced off, 'wasm-plain' = no SIMD, no threads (like face-api's); 'webgl' and 'webgpu' forced, on
 * whatever adapter the browser has (SwiftShader on the bench machine). face-api: its tfjs 1.7 backends,
 * 'wasm' being tfjs-backend-wasm 1.7.0.
 */
export type BenchBackend = 'wasm' | 'wasm-1t' | 'wasm-plain' | 'webgl' | 'webgpu' | 'cpu';

export interface InitReport {
  backend: string;
  detail: string;
  crossOriginIsolated: boolean;
  initMs: number;
  tfVersion: string;
}

export interface ImageReport {
  width: number;
  height: number;
  decodeMs: number;
  /** sha256 of the decoded H x W x 3 buffer (ours only): compare with the reference's rgb_sha256 */
  rgbSha256?: string;
}

export interface BenchFace {
  /** [x, y, w, h] in image pixels */
  box: [number, number, number, number];
  score: number;
}

export interface DetectReport {
  times: number[];
  faces: BenchFace[];
}

export interface KernelShare {
  name: string;
  ms: number;
  calls: number;
}

export interface MtcnnProfile {
  wallMs: number;
  kernelMs: number;
  kernels: KernelShare[];
  /** time per cascade part, from a separately instrumented run */
  stages?: Record<string, number>;
}

export interface EmbedReport {
  id: string;
  inputSize: number;
  loadMs: number;
  warmMs: number;
  /** one face per call */
  singleMs: number[];
  batch: number;
  /** ms per face at `batch` faces per call */
  batchedMsPerFace: number[];
  gflopPerFace: number;
  kernels: KernelShare[];
}

export interface ConvProbe {
  label: string;
  gflop: number;
  ms: number[];
}

export interface MemoryReport {
  peakBytes: number;
  /** tensors still alive after the run (leak check) */
  newTensors: number;
  wasmHeapBytes?: number;
  photos: { path: string; faces: number; detectMs: number; embedMs: number }[];
  /** backend kernel time within the profiled run, and its heaviest kernels */
  kernelMs: number;
  kernels: KernelShare[];
  /** a second pass over the same photos, the embed half timed part by part (thumbnails not included) */
  embedSplit: Record<string, number>;
}

/** One photo through face-api's full recognition pipeline (library part's peer); ms measured in its worker. */
export interface FullPipelinePhoto {
  path: string;
  decodeMs: number;
  /** detectAllFaces().withFaceLandmarks().withFaceDescriptors() on the decoded tensor */
  pipelineMs: number;
  faces: number;
}
