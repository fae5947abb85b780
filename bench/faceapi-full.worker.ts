// Bench worker for the library part's peer: @vladmandic/face-api 1.7.15's full recognition pipeline
// (SSD MobileNet v1 + 68-point landmarks + its ResNet face descriptor). Its no-bundle ESM build imports tfjs 4.22
// from node_modules, i.e. the app's own tfjs, so the WASM backend is started by the app's selectBackend('wasm'):
// the same SIMD binary, thread count and heap behaviour as the app's worker. Photos are decoded by the app's own
// decode (createImageBitmap + OffscreenCanvas -> RGB) and handed to face-api as a tensor.
import * as Comlink from 'comlink';
// the same tfjs-core module face-api's build imports (one engine); face-api's own `tf` typings are partial
import * as tf from '@tensorflow/tfjs-core';
import * as faceapi from '@vladmandic/face-api/dist/face-api.esm-nobundle.js';
import { selectBackend } from '../src/worker/backend';
import { decodeBitmap, decodeToRgb } from '../src/worker/decode';
import type { FullPipelinePhoto, InitReport } from './protocol';
import { initReport } from './timing';

class Unavailable {}

// face-api knows window and Node only; in a worker it gets OffscreenCanvas (not used for tensor inputs anyway).
faceapi.env.setEnv({
  Canvas: OffscreenCanvas as unknown as typeof HTMLCanvasElement,
  CanvasRenderingContext2D: OffscreenCanvasRenderingContext2D as unknown as typeof CanvasRenderingContext2D,
  Image: Unavailable as unknown as typeof HTMLImageElement,
  ImageData,
  Video: Unavailable as unknown as typeof HTMLVideoElement,
  createCanvasElement: () => new OffscreenCanvas(1, 1) as unknown as HTMLCanvasElement,
  createImageElement: () => {
    throw new Error('no <img> in a worker');
  },
  createVideoElement: () => {
    throw new Error('no <video> in a worker');
  },
  fetch: (input: RequestInfo, init?: RequestInit) => self.fetch(input, init),
  readFile: () => {
    throw new Error('no file system in a worker');
  },
});

/** face-api's defaults (minConfidence 0.5, maxResults 100), stated so a change upstream shows here. */
const SSD_OPTIONS = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5, maxResults: 100 });

async function fetchBytes(path: string): Promise<ArrayBuffer> {
  const response = await fetch(`/shared/${path}`);
  if (!response.ok) throw new Error(`/shared/${path}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** One photo: decode (timed) then detect + landmarks + descriptors (timed); the tensor is disposed after. */
async function runOne(path: string): Promise<FullPipelinePhoto> {
  const bytes = await fetchBytes(path);
  const t0 = performance.now();
  const rgb = await decodeToRgb(decodeBitmap({ kind: 'bytes', bytes }));
  const t1 = performance.now();
  const input = tf.tensor3d(rgb.data, [rgb.height, rgb.width, 3], 'int32');
  try {
    const found = await faceapi.detectAllFaces(input as unknown as faceapi.TNetInput, SSD_OPTIONS).withFaceLandmarks().withFaceDescriptors();
    const t2 = performance.now();
    // a descriptor that is not 128 finite floats means the pipeline did not really run
    for (const f of found) if (f.descriptor.length !== 128 || !Number.isFinite(f.descriptor[0])) throw new Error(`${path}: bad descriptor`);
    return { path, decodeMs: t1 - t0, pipelineMs: t2 - t1, faces: found.length };
  } finally {
    input.dispose();
  }
}

const api = {
  async init(): Promise<InitReport> {
    const t0 = performance.now();
    const report = await selectBackend('wasm');
    if (tf.getBackend() !== 'wasm') throw new Error(`asked for wasm, tfjs runs ${tf.getBackend()}`);
    return initReport(t0, tf.getBackend(), `@vladmandic/face-api ${faceapi.version} (no-bundle ESM) on the app's tfjs ${tf.version_core}; ${report.detail}`, tf.version_core);
  },

  /** The three nets from the npm package's model/ folder (served from .bench/models/vladmandic); returns ms. */
  async load(): Promise<number> {
    const t0 = performance.now();
    await faceapi.nets.ssdMobilenetv1.loadFromUri('/vladmandic-models');
    await faceapi.nets.faceLandmark68Net.loadFromUri('/vladmandic-models');
    await faceapi.nets.faceRecognitionNet.loadFromUri('/vladmandic-models');
    return performance.now() - t0;
  },

  /** Photos in order, one at a time (as the app's indexer analyses them). */
  async run(paths: string[]): Promise<FullPipelinePhoto[]> {
    const out: FullPipelinePhoto[] = [];
    for (const path of paths) out.push(await runOne(path));
    return out;
  },

  wasmHeapBytes(): number | null {
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array; wasmMemory?: WebAssembly.Memory } };
    return backend.wasm?.wasmMemory?.buffer.byteLength ?? backend.wasm?.HEAPU8?.buffer.byteLength ?? null;
  },

  memory() {
    return tf.memory();
  },
};

export type FaceapiFullApi = typeof api;
Comlink.expose(api);
