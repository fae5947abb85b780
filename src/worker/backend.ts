// Picks the tfjs backend inside the worker: WebGPU on a real GPU, else WebGL2 on a real GPU, else WASM SIMD
// (threaded when the page is cross-origin isolated). Software GPUs (SwiftShader, llvmpipe) are slower than
// WASM SIMD and are only used when asked for. Where both GPU backends run on hardware, a short measured probe
// picks the faster one, cached per device. Always checks what actually took, because tfjs silently falls
// back when a backend fails to initialise.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { get as idbGet, set as idbSet } from 'idb-keyval';
import { createMtcnn, type MtcnnDetector } from '../ml/mtcnn';
import { createFetchAssetReader } from './fetch-assets';
import {
  BACKEND_ORDER,
  type BackendName,
  type BackendPreference,
  type BackendReport,
  type GpuProbeResult,
  type WebglProbe,
  type WebgpuProbe,
} from './protocol';

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

/** Minimal WebGPU typings (TypeScript's DOM library has none yet): only what this file reads. */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuAdapterLike {
  info?: GpuAdapterInfoLike;
  isFallbackAdapter?: boolean;
  requestAdapterInfo?(): Promise<GpuAdapterInfoLike>;
}
interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

/**
 * The WebGPU adapter tfjs-backend-webgpu would get (it asks for 'high-performance' too); null when there is none.
 * Chromium 156 reports SwiftShader as vendor "google", architecture "swiftshader", info.isFallbackAdapter true.
 */
export async function probeWebgpu(): Promise<WebgpuProbe | null> {
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  if (!gpu) return null;
  let adapter: GpuAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info: GpuAdapterInfoLike = adapter.info ?? (adapter.requestAdapterInfo ? await adapter.requestAdapterInfo().catch(() => ({})) : {});
  return describeAdapter(info, adapter.isFallbackAdapter === true);
}

/** Software when the browser says it is a fallback adapter, or when its names are a CPU rasteriser's. */
export function describeAdapter(info: GpuAdapterInfoLike, fallback = false): WebgpuProbe {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const description = info.description ?? '';
  const software = fallback || info.isFallbackAdapter === true || SOFTWARE_RENDERER.test(`${vendor} ${architecture} ${description}`);
  return { vendor, architecture, description, software };
}

export function adapterName(probe: WebgpuProbe): string {
  return [probe.vendor, probe.architecture, probe.description].filter(Boolean).join(' ') || 'unnamed adapter';
}

/**
 * Makes a lost WebGL context (GPU reset, driver crash, too many contexts) fatal for this worker: an uncaught
 * error, which the UI sees as a crash and answers by restarting on the next backend. Returns a probe for checkpoints.
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

const webgpuDevice = (): GpuDeviceLike | undefined => (tf.backend() as unknown as { device?: GpuDeviceLike }).device;

/**
 * The same for a lost WebGPU device (driver reset, GPU process crash, device.destroy()): uncaught, so the UI
 * restarts on the next backend. Work in flight usually fails first: its read-back (mapAsync) rejects at once, while
 * device.lost resolved later than the UI waits on SwiftShader (checked with destroy() mid-analysis).
 */
function watchWebgpuDevice(): void {
  void webgpuDevice()?.lost.then((info) => {
    setTimeout(() => {
      throw new Error(`WebGPU device lost (${info.reason ?? 'unknown'}${info.message ? `: ${info.message}` : ''})`);
    });
  });
}

let webglLost: () => boolean = () => false;

/** True once the WebGL context tfjs computes on is gone: results from then on are garbage. */
export function webglContextLost(): boolean {
  return webglLost();
}

/**
 * Test hook only (e2e/settings.spec.ts, e2e/webgpu.spec.ts): loses the GPU tfjs computes on as a GPU reset
 * would, the WebGL context or the WebGPU device (destroy() resolves device.lost as a real loss does).
 */
export function debugLoseWebglContext(): boolean {
  if (tf.getBackend() === 'webgpu') {
    const device = webgpuDevice();
    device?.destroy();
    return Boolean(device);
  }
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

let webgpuImported: Promise<boolean> | null = null;

/** The WebGPU backend is loaded only where an adapter exists: no cost for the many browsers without one. */
function importWebgpu(): Promise<boolean> {
  webgpuImported ??= import('@tensorflow/tfjs-backend-webgpu').then(
    () => true,
    () => false,
  );
  return webgpuImported;
}

async function trySetBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'webgpu' && !(await importWebgpu())) return false;
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** Switches to `name` and asserts it took: a switch tfjs silently turned into another backend is a bug here. */
async function switchTo(name: BackendName): Promise<boolean> {
  if (!(await trySetBackend(name))) return false;
  const actual = tf.getBackend();
  if (actual !== name) throw new Error(`asked tfjs for ${name}, got ${actual}`);
  return true;
}

const GPU_PROBE_KEY = 'facematch/gpu-probe';
const GPU_PROBE_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** warm runs per backend in the probe (after one untimed run that compiles the shaders) */
const GPU_PROBE_RUNS = 3;

function deviceKey(webgpu: WebgpuProbe, webgl: WebglProbe): string {
  return `${adapterName(webgpu)} | ${webgl.renderer} | ${navigator.userAgent}`;
}

/** A synthetic 256 x 192 image: MTCNN on it runs every P-Net level and a few R-/O-Net patches. */
function probeImage() {
  const width = 256;
  const height = 192;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + Math.floor(i / (width * 3)) * 11) & 255;
  return { width, height, data };
}

/**
 * Times `runs` warm MTCNN detections on each backend (one untimed run first, which pays shader compilation) and
 * returns the median ms per backend; a backend that fails to start or run is left out. Ends on no particular
 * backend: the caller switches to its pick. Exported for the Node test, which runs it on wasm vs cpu.
 */
export async function measureBackends<N extends string>(
  names: readonly N[],
  loadDetector: () => Promise<MtcnnDetector>,
  runs = GPU_PROBE_RUNS,
  setBackend: (name: N) => Promise<boolean> = (name) => switchTo(name as unknown as BackendName),
): Promise<Partial<Record<N, number>>> {
  const image = probeImage();
  const ms: Partial<Record<N, number>> = {};
  for (const name of names) {
    let detector: MtcnnDetector | null = null;
    try {
      if (!(await setBackend(name))) continue;
      detector = await loadDetector();
      await detector.detect(image);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        await detector.detect(image);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      ms[name] = times[Math.floor(times.length / 2)];
    } catch {
      // not a candidate
    } finally {
      detector?.dispose();
    }
  }
  return ms;
}

async function cachedGpuProbe(device: string): Promise<GpuProbeResult | undefined> {
  try {
    const cached = await idbGet<GpuProbeResult>(GPU_PROBE_KEY);
    if (cached && cached.device === device && Date.now() - cached.at < GPU_PROBE_MAX_AGE_MS) return cached;
  } catch {
    // no IndexedDB (private mode): measure again
  }
  return undefined;
}

/** Both GPU backends run on hardware: the cached measurement for this device, or a fresh one (~1 s on a GPU). */
async function probeGpus(webgpu: WebgpuProbe, webgl: WebglProbe): Promise<GpuProbeResult | null> {
  const device = deviceKey(webgpu, webgl);
  const cached = await cachedGpuProbe(device);
  if (cached) return cached;
  const reader = createFetchAssetReader(() => undefined);
  const ms = await measureBackends(['webgpu', 'webgl'] as const, () => createMtcnn(reader));
  if (ms.webgpu === undefined && ms.webgl === undefined) return null;
  const winner = ms.webgl === undefined || (ms.webgpu !== undefined && ms.webgpu <= ms.webgl) ? 'webgpu' : 'webgl';
  const result: GpuProbeResult = { device, ms, winner, at: Date.now() };
  await idbSet(GPU_PROBE_KEY, result).catch(() => undefined);
  return result;
}

/** Both GPUs on hardware: the probe's pick first, the other next. */
export function probeReason(probe: GpuProbeResult): string {
  const other = probe.winner === 'webgpu' ? 'webgl' : 'webgpu';
  const label = (name: 'webgpu' | 'webgl') => (name === 'webgpu' ? 'WebGPU' : 'WebGL');
  const ms = (name: 'webgpu' | 'webgl') => (probe.ms[name] === undefined ? 'failed' : `${probe.ms[name]!.toFixed(0)} ms`);
  return `Auto: ${label(probe.winner)} measured faster on this GPU (MTCNN on a small image: ${label(probe.winner)} ${ms(probe.winner)}, ${label(other)} ${ms(other)}; measured ${new Date(probe.at).toISOString().slice(0, 10)}).`;
}

function started(name: 'webgpu' | 'webgl', report: Omit<BackendReport, 'name' | 'detail'>): BackendReport {
  if (name === 'webgl') {
    webglLost = watchWebglContext();
    return { ...report, name, detail: report.webgl?.renderer ?? 'WebGL2' };
  }
  watchWebgpuDevice();
  return { ...report, name, detail: report.webgpu ? adapterName(report.webgpu) : 'WebGPU' };
}

/**
 * Starts the backend: `preference` forced, else auto (hardware WebGPU, then hardware WebGL2, then WASM). A forced
 * backend that fails to start goes on down the order (hardware GPUs only). knownWebgl is the UI's cached probe.
 */
export async function selectBackend(preference: BackendPreference, knownWebgl?: WebglProbe | null): Promise<BackendReport> {
  const isolated = self.crossOriginIsolated === true;
  const failed: string[] = [];
  let webgl: WebglProbe | null | undefined;
  let webgpu: WebgpuProbe | null | undefined;
  let reason: string | undefined;
  let gpuProbe: GpuProbeResult | undefined;
  const base = () => ({ crossOriginIsolated: isolated, webgl, webgpu, reason, gpuProbe });
  // the order from the preference on; auto and a failed forced choice take hardware GPUs only
  const from = preference === 'auto' ? 0 : BACKEND_ORDER.indexOf(preference);
  const candidates = BACKEND_ORDER.slice(from).filter((name): name is 'webgpu' | 'webgl' => name !== 'wasm');

  if (candidates.includes('webgpu')) webgpu = await probeWebgpu();
  if (candidates.includes('webgl')) webgl = knownWebgl !== undefined ? knownWebgl : probeWebgl2();
  const forced = (name: BackendName) => preference === name;
  const usable = (name: 'webgpu' | 'webgl') => {
    const probe = name === 'webgpu' ? webgpu : webgl;
    return Boolean(probe) && (!probe!.software || forced(name));
  };
  let order = candidates.filter(usable);
  if (preference === 'auto' && order.length === 2 && webgpu && webgl) {
    const measured = await probeGpus(webgpu, webgl).catch(() => null);
    if (measured) {
      gpuProbe = measured;
      reason = probeReason(measured);
      if (measured.winner === 'webgl') order = ['webgl', 'webgpu'];
    }
  }
  // why each GPU backend before the one that runs was passed over
  const skip = (name: 'webgpu' | 'webgl'): string | null => {
    if (name === 'webgpu') {
      if (!webgpu) return 'WebGPU is not available in workers here';
      return usable('webgpu') ? null : `the WebGPU adapter is a software one (${adapterName(webgpu)})`;
    }
    if (!webgl) return 'WebGL2 is not available in workers here';
    return usable('webgl') ? null : `WebGL is software-rendered (${webgl.renderer})`;
  };
  const reasonsBefore = (name: BackendName) =>
    candidates.slice(0, name === 'wasm' ? candidates.length : candidates.indexOf(name)).map(skip).filter((r): r is string => r !== null);
  for (const name of order) {
    if (await switchTo(name)) {
      if (!reason && preference === 'auto') reason = `Auto: ${name === 'webgpu' ? `a hardware WebGPU adapter (${adapterName(webgpu!)})` : 'a hardware WebGL2 GPU'} is available.`;
      // the probe's loser keeps its GPU memory otherwise
      const loser = name === 'webgpu' ? 'webgl' : 'webgpu';
      if (gpuProbe && tf.findBackend(loser)) tf.removeBackend(loser);
      const before = [...reasonsBefore(name), ...failed];
      return started(name, { ...base(), fallbackReason: before.length ? before.join('; ') : undefined });
    }
    failed.push(name === 'webgpu' ? `WebGPU failed to start (${adapterName(webgpu!)})` : `WebGL failed to start (${webgl!.renderer})`);
    reason = undefined;
  }
  const skipped = [...reasonsBefore('wasm'), ...failed];
  const fallbackReason = skipped.length ? skipped.join('; ') : undefined;

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
  const startedWasm = await switchTo('wasm').catch(() => false);
  restoreCores();
  if (!startedWasm) {
    throw new Error(`no tfjs backend could start (WASM failed${fallbackReason ? `; ${fallbackReason}` : ''})`);
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threaded = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
  const threads = getThreadsCount();
  const detail = `${simd ? 'SIMD' : 'no SIMD'}, ${threaded ? `${threads} thread${threads === 1 ? '' : 's'}` : 'single-threaded'}`;
  return { name: 'wasm', detail, ...base(), reason: undefined, fallbackReason };
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
