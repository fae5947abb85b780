// Picks the tfjs backend inside the worker: WebGL on a real GPU, WASM SIMD (threaded when the page is
// cross-origin isolated) when WebGL2 is missing or software-rendered. Always checks what actually took,
// because tfjs silently falls back when a backend fails to initialise.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendPreference, BackendReport, WebglProbe } from './protocol';

/** Renderer strings of CPU rasterisers: "GPU" paths that are slower than WASM SIMD. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|software|basic render|mesa offscreen/i;

/** Reads the WebGL2 renderer string from an OffscreenCanvas (tfjs-webgl in a worker needs WebGL2). */
export function probeWebgl2(): WebglProbe | null {
  if (typeof OffscreenCanvas === 'undefined') return null;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
  if (!gl) return null;
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return { renderer, software: SOFTWARE_RENDERER.test(renderer) };
}

/**
 * Makes a lost WebGL context (GPU reset, driver crash, too many contexts) fatal for this worker: an uncaught
 * error, which the UI sees as a crash and answers by restarting on WASM. Returns a probe for checkpoints.
 */
function watchWebglContext(): () => boolean {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  const canvas = gl?.canvas;
  if (!gl || !canvas) return () => false;
  canvas.addEventListener('webglcontextlost', () => {
    setTimeout(() => {
      throw new Error('WebGL context lost');
    });
  });
  return () => gl.isContextLost();
}

let webglLost: () => boolean = () => false;

/** True once the WebGL context tfjs computes on is gone: results from then on are garbage. */
export function webglContextLost(): boolean {
  return webglLost();
}

/** Test hook only (e2e/settings.spec.ts): loses tfjs's WebGL context as a GPU reset would. */
export function debugLoseWebglContext(): boolean {
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
  const ext = gl?.getExtension('WEBGL_lose_context');
  ext?.loseContext();
  return Boolean(ext);
}

/** One WASM thread per core, up to 4 (XNNPACK gains little beyond that on these small nets). */
export function wasmThreads(): number {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 1 : 1;
  return Math.max(1, Math.min(4, cores));
}

/**
 * tfjs-backend-wasm 4.22 sizes its XNNPACK pool from navigator.hardwareConcurrency / 2 when the module
 * starts, and setThreadsCount does not enlarge it; reporting twice the cores for that moment gives one
 * thread per core.
 */
function reportDoubleCores(): () => void {
  const cores = wasmThreads();
  const own = Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency');
  try {
    Object.defineProperty(navigator, 'hardwareConcurrency', { configurable: true, get: () => cores * 2 });
  } catch {
    return () => undefined;
  }
  return () => {
    if (own) Object.defineProperty(navigator, 'hardwareConcurrency', own);
    else delete (navigator as unknown as Record<string, unknown>).hardwareConcurrency;
  };
}

async function trySetBackend(name: 'webgl' | 'wasm'): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

export async function selectBackend(preference: BackendPreference, knownWebgl?: WebglProbe | null): Promise<BackendReport> {
  const isolated = self.crossOriginIsolated === true;
  let fallbackReason: string | undefined;
  let webgl: WebglProbe | null | undefined;

  if (preference !== 'wasm') {
    webgl = knownWebgl !== undefined ? knownWebgl : probeWebgl2();
    if (!webgl) fallbackReason = 'WebGL2 is not available in workers here';
    else if (webgl.software && preference === 'auto') fallbackReason = `WebGL is software-rendered (${webgl.renderer})`;
    else if (await trySetBackend('webgl')) {
      webglLost = watchWebglContext();
      return { name: 'webgl', detail: webgl.renderer, crossOriginIsolated: isolated, webgl };
    } else fallbackReason = `WebGL failed to start (${webgl.renderer})`;
  }

  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlainUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  });
  // One thread per core (the UI thread is idle while we compute). The doubled count below is what makes
  // emscripten's worker pool that large; this only states the count XNNPACK is to use (without it XNNPACK
  // picked the same 2 threads here, checked on the badge).
  if (isolated) setThreadsCount(wasmThreads());
  const restoreCores = isolated ? reportDoubleCores() : () => undefined;
  const started = await trySetBackend('wasm');
  restoreCores();
  if (!started) {
    throw new Error(`no tfjs backend could start (WASM failed${fallbackReason ? `; ${fallbackReason}` : ''})`);
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const threads = getThreadsCount();
  const detail = `${simd ? 'SIMD' : 'no SIMD'}, ${threaded ? `${threads} thread${threads === 1 ? '' : 's'}` : 'single-threaded'}`;
  return { name: 'wasm', detail, crossOriginIsolated: isolated, fallbackReason, webgl };
}

/**
 * Grows the WASM heap by `bytes` and touches every new page, so the first large photo does not: the heap never
 * shrinks, and pages first touched mid-analysis cost the first 1 MP photo ~0.5 s on the bench machine (a fresh page
 * costs ~3 ms per MB there; bbt1's detection took 1.2 s the first time, 0.6 s after). No-op off WASM.
 */
export function reserveWasmHeap(bytes: number): void {
  if (tf.getBackend() !== 'wasm') return;
  tf.fill([Math.floor(bytes / 4)], 0, 'float32').dispose();
}
