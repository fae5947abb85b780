// Bench worker for the peer: face-api.js 0.22.2's MTCNN on its own bundled tfjs-core 1.7. It lives in its
// own worker because both tfjs versions keep their engine in the same global (`_tfengine`).
// face-api only knows window and Node environments; in a worker it is given OffscreenCanvas as its canvas.
import * as Comlink from 'comlink';
import * as faceapi from 'face-api.js';
import { setWasmPath } from 'faceapi-wasm-backend';
import type { BenchBackend, DetectReport, ImageReport, InitReport } from './protocol';
import { initReport, timeDetections } from './timing';

const tf = faceapi.tf;

class Unavailable {}

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
  fetch: (input: RequestInfo, init?: RequestInit) => self.fetch(input, init),
  readFile: () => {
    throw new Error('no file system in a worker');
  },
});

/** The same cascade parameters as ours (ipazc defaults); maxNumScales lifted so both scan the same pyramid. */
export const FACEAPI_MTCNN_OPTIONS = { minFaceSize: 20, scaleFactor: 0.709, scoreThresholds: [0.6, 0.7, 0.7], maxNumScales: 1000 };

const PEER_WASM_HEAP = 512 << 20;

let canvas: OffscreenCanvas | null = null;
let current = '';

const api = {
  async init(which: BenchBackend): Promise<InitReport> {
    const t0 = performance.now();
    // face-api.js bundles no WASM backend; tfjs-backend-wasm 1.7.0 (plain WASM: no SIMD, no threads) is its match.
    if (which === 'wasm-1t' || which === 'wasm-plain') throw new Error(`face-api's tfjs ${tf.version_core} has only one WASM flavour (use wasm)`);
    if (which === 'webgpu') throw new Error(`face-api's tfjs ${tf.version_core} has no WebGPU backend`);
    if (which === 'wasm') setWasmPath('/vendor/tfjs-backend-wasm-1.7.0/tfjs-backend-wasm.wasm');
    await tf.setBackend(which);
    await tf.ready();
    if (tf.getBackend() !== which) throw new Error(`asked for ${which}, tfjs ${tf.version_core} runs ${tf.getBackend()}`);
    if (which === 'wasm') {
      // tfjs-backend-wasm 1.7 keeps heap views across malloc, so a heap growth mid-detection throws
      // "detached ArrayBuffer" (photos over ~0.3 MP). Growing the heap once up front avoids it.
      tf.zeros([PEER_WASM_HEAP / 4]).dispose();
    }
    let detail = {
      cpu: 'tfjs-core 1.7 cpu (plain JS)',
      wasm: `tfjs-backend-wasm 1.7.0 (no SIMD, 1 thread; heap pre-grown to ${PEER_WASM_HEAP >> 20} MB)`,
      webgl: `tfjs-core 1.7 WebGL ${tf.env().getNumber('WEBGL_VERSION')}`,
    }[which];
    if (which === 'webgl') detail += tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') ? ', float32' : ', float16';
    return initReport(t0, tf.getBackend(), detail, tf.version_core);
  },

  /** face-api's own loader (manifest + shard over fetch); returns ms. */
  async loadMtcnn(): Promise<number> {
    const t0 = performance.now();
    faceapi.nets.mtcnn.dispose();
    await faceapi.nets.mtcnn.loadFromUri('/faceapi-models');
    return performance.now() - t0;
  },

  async loadImage(path: string): Promise<ImageReport> {
    const response = await fetch(`/shared/${path}`);
    if (!response.ok) throw new Error(`/shared/${path}: HTTP ${response.status}`);
    const blob = await response.blob();
    const t0 = performance.now();
    const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
    canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d', { willReadFrequently: true })!.drawImage(bitmap, 0, 0);
    bitmap.close();
    current = path;
    return { width: canvas.width, height: canvas.height, decodeMs: performance.now() - t0 };
  },

  async detect(path: string, reps: number): Promise<DetectReport> {
    if (!canvas || current !== path) throw new Error(`${path} was not loaded (call loadImage first)`);
    const input = canvas as unknown as HTMLCanvasElement;
    return timeDetections(
      reps,
      () => faceapi.nets.mtcnn.forward(input, FACEAPI_MTCNN_OPTIONS),
      (f) => {
        const b = f.detection.box;
        return { box: [b.x, b.y, b.width, b.height] as [number, number, number, number], score: f.detection.score };
      },
    );
  },

  memory() {
    return tf.memory();
  },
};

export type FaceapiApi = typeof api;
Comlink.expose(api);
