// The ML worker: owns tfjs, the models and every heavy step, so the page never blocks.
// Work is serialised (one analysis at a time); a photo replaced in the UI marks its old request stale,
// and stale work stops at the next checkpoint instead of competing with the new photo.
import * as Comlink from 'comlink';
import { del as idbDel, get as idbGet, set as idbSet } from 'idb-keyval';
import { readModelIndex, type ModelIndex } from '../ml/assets';
import { createMtcnn, type MtcnnDetector } from '../ml/mtcnn';
import { BUILTIN_EMBEDDERS, createEmbedder } from '../ml/embedders';
import type { FaceEmbedder } from '../ml/embedders/embedder';
import {
  RESNET50_INFO,
  createVggface2Resnet50,
  deserializeResnet50Weights,
  readVggface2Resnet50H5,
  serializeResnet50Weights,
} from '../ml/embedders/resnet50';
import { analyzeDetections } from '../ml/pipeline';
import { distanceMatrix } from '../ml/similarity';
import type { AnalyzedFace, EmbedderId, EmbedderInfo, FaceDetection } from '../ml/types';
import { debugLoseWebglContext, reserveWasmHeap, selectBackend, webglContextLost } from './backend';
import { decodeBitmap, decodeToRgb } from './decode';
import { WHOLE_PHOTO_MAX_PIXELS, faceRegion } from './face-regions';
import { createFetchAssetReader } from './fetch-assets';
import {
  USER_ERROR_PREFIX,
  type AnalyzeRequest,
  type AnalyzedPhoto,
  type BackendPreference,
  type BackendReport,
  type CancelledAnalysis,
  type FacematchWorkerApi,
  type PhotoSlot,
  type ProgressCallback,
  type WebglProbe,
} from './protocol';

/**
 * Heap reserved once the models are ready: what detecting bbt1 (1366 x 768) and bbt4 added to the WASM heap beyond
 * the models (83 -> 207 MB, measured in this worker; with the reserve it stays at 173 MB).
 */
const HEAP_RESERVE_BYTES = 128 * 1024 * 1024;
let heapReserved = false;

/** IndexedDB key of the user's ResNet50 weights (serialised once from the .h5, reused offline). */
const RESNET50_STORE_KEY = 'facematch/vggface2-resnet50/weights';

class StaleRequest extends Error {}

let backend: BackendReport | null = null;
let index: ModelIndex | null = null;
let detector: MtcnnDetector | null = null;
let embedder: FaceEmbedder | null = null;
const latestRequest: Record<PhotoSlot, number> = { A: 0, B: 0 };
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(job: () => Promise<T>): Promise<T> {
  const result = queue.then(job, job);
  queue = result.catch(() => undefined);
  return result;
}

/**
 * Lets queued messages (a cancel, a newer photo) run, then stops if this request became stale.
 * WASM kernels resolve through microtasks only, so without this yield no message is read mid-analysis.
 */
async function checkpoint(slot: PhotoSlot, requestId: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  // not a user error: the UI restarts the worker on WASM and runs the step again
  if (webglContextLost()) throw new Error('WebGL context lost');
  if (requestId < latestRequest[slot]) throw new StaleRequest();
}

/** Faces embedded per step between checkpoints: bounds how long a cancelled photo keeps the worker busy. */
const FACES_PER_STEP = 8;

/** A large photo's face regions are cut at most this many embedder inputs long (keeps ~2x oversampling). */
const REGION_SIDE_PER_INPUT = 6;

function requireReady(): { detector: MtcnnDetector; embedder: FaceEmbedder } {
  if (!detector || !embedder) throw new Error('models are not loaded yet');
  return { detector, embedder };
}

/** Throttles progress posts: every byte count would flood the UI thread. */
function progressReporter(onProgress: ProgressCallback, label: string, totalBytes: number) {
  let loaded = 0;
  let lastPost = 0;
  return {
    add(delta: number) {
      loaded += delta;
      const now = performance.now();
      if (now - lastPost > 50 || loaded >= totalBytes) {
        lastPost = now;
        onProgress({ phase: 'download', label, loadedBytes: loaded, totalBytes });
      }
    },
    get loaded() {
      return loaded;
    },
  };
}

function modelBytes(id: string): number {
  const entry = index?.models[id];
  return entry ? Object.values(entry.files).reduce((sum, file) => sum + file.bytes, 0) : 0;
}

/** First calls are slow (XNNPACK weight packing, V8 tiering, canvas set-up): pay them at load, not on the first photo. */
async function warmUp(): Promise<void> {
  const { detector: d, embedder: e } = requireReady();
  await d.warmUp();
  // the embedding half as a photo takes it: warp, embed, thumbnail, PNG crop, and decoding a file
  const side = 192;
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 29 + Math.floor(i / (side * 3)) * 7) & 255;
  const detection: FaceDetection = {
    box: [48, 48, 96, 96],
    confidence: 1,
    keypoints: { left_eye: [80, 85], right_eye: [112, 85], nose: [96, 105], mouth_left: [84, 125], mouth_right: [108, 125] },
  };
  const [face] = await analyzeDetections({ data, width: side, height: side }, [detection], e);
  const png = await encodeCrop(face.crop);
  await decodeToRgb(decodeBitmap({ kind: 'bytes', bytes: await png.arrayBuffer() }));
}

async function storedResnet50(): Promise<ArrayBuffer | undefined> {
  try {
    return await idbGet<ArrayBuffer>(RESNET50_STORE_KEY);
  } catch {
    return undefined; // IndexedDB unavailable (private mode): the user model simply is not offered
  }
}

async function loadEmbedder(id: EmbedderId, read: ReturnType<typeof createFetchAssetReader>): Promise<FaceEmbedder> {
  if (id !== 'vggface2-resnet50') return createEmbedder(id, read);
  const stored = await storedResnet50();
  if (!stored) throw new Error(`${USER_ERROR_PREFIX}load the VGGFace2 ResNet50 weights file (.h5) first`);
  return createVggface2Resnet50(deserializeResnet50Weights(stored));
}

function sortLeftToRight(faces: AnalyzedFace[]): AnalyzedFace[] {
  const centreX = (f: AnalyzedFace) => f.detection.box[0] + f.detection.box[2] / 2;
  return [...faces].sort((p, q) => centreX(p) - centreX(q));
}

/** The crop as a PNG, encoded here rather than on the UI thread. */
async function encodeCrop(crop: AnalyzedFace['crop']): Promise<Blob> {
  const canvas = new OffscreenCanvas(crop.width, crop.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D context on OffscreenCanvas');
  context.putImageData(new ImageData(new Uint8ClampedArray(crop.rgba), crop.width, crop.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

function transferablesOf(faces: AnalyzedFace[]): Transferable[] {
  return faces.flatMap((f) => [f.embedding.buffer as ArrayBuffer, f.crop.rgba.buffer as ArrayBuffer]);
}

const api: FacematchWorkerApi = {
  async init(preference: BackendPreference, knownWebgl?: WebglProbe | null) {
    if (!backend) backend = await selectBackend(preference, knownWebgl);
    return backend;
  },

  async listEmbedders() {
    const infos: EmbedderInfo[] = [...BUILTIN_EMBEDDERS];
    if (await storedResnet50()) infos.push(RESNET50_INFO);
    return infos;
  },

  loadModels(embedderId: EmbedderId, onProgress: ProgressCallback) {
    return serialised(async () => {
      if (!backend) throw new Error('init() must run before loadModels()');
      if (embedder?.info.id === embedderId && detector) return embedder.info;
      const label = embedderId === 'vggface2-resnet50' ? 'VGGFace2 ResNet50 (stored)' : 'face models';
      const reader = createFetchAssetReader((delta) => progress.add(delta));
      const progress = progressReporter(onProgress, label, 0);
      index ??= await readModelIndex(reader);
      const total = (detector ? 0 : modelBytes('mtcnn')) + modelBytes(embedderId) + progress.loaded;
      const tracked = progressReporter(onProgress, label, total);
      tracked.add(progress.loaded);
      const trackedReader = createFetchAssetReader((delta) => tracked.add(delta));
      detector ??= await createMtcnn(trackedReader);
      embedder?.dispose();
      embedder = null;
      embedder = await loadEmbedder(embedderId, trackedReader);
      onProgress({ phase: 'warmup', label, loadedBytes: tracked.loaded, totalBytes: total });
      await warmUp();
      onProgress({ phase: 'ready', label, loadedBytes: tracked.loaded, totalBytes: total });
      // next in the queue, while the person picks photos (it takes ~0.6 s on the bench machine)
      if (!heapReserved) {
        heapReserved = true;
        void serialised(async () => reserveWasmHeap(HEAP_RESERVE_BYTES));
      }
      return embedder.info;
    });
  },

  importResnet50(h5: ArrayBuffer, onProgress: ProgressCallback) {
    return serialised(async () => {
      const label = 'VGGFace2 ResNet50 weights file';
      onProgress({ phase: 'download', label, loadedBytes: 0, totalBytes: h5.byteLength });
      let weights;
      try {
        weights = await readVggface2Resnet50H5(new Uint8Array(h5));
      } catch (error) {
        throw new Error(`${USER_ERROR_PREFIX}not a keras_vggface ResNet50 weights file (${(error as Error).message})`);
      }
      const serialisedWeights = serializeResnet50Weights(weights);
      try {
        await idbSet(RESNET50_STORE_KEY, serialisedWeights);
      } catch (error) {
        throw new Error(`${USER_ERROR_PREFIX}the browser refused to store the weights (${(error as Error).message})`);
      }
      embedder?.dispose();
      embedder = null;
      embedder = await createVggface2Resnet50(weights);
      onProgress({ phase: 'warmup', label, loadedBytes: h5.byteLength, totalBytes: h5.byteLength });
      await warmUp();
      onProgress({ phase: 'ready', label, loadedBytes: h5.byteLength, totalBytes: h5.byteLength });
      return embedder.info;
    });
  },

  analyze(request: AnalyzeRequest) {
    const { slot, requestId } = request;
    latestRequest[slot] = Math.max(latestRequest[slot], requestId);
    const cancelled: CancelledAnalysis = { slot, requestId, cancelled: true };
    const decoding = decodeBitmap(request.source);
    decoding.catch(() => undefined); // reported in turn, below
    return serialised(async (): Promise<AnalyzedPhoto | CancelledAnalysis> => {
      try {
        await checkpoint(slot, requestId);
        const models = requireReady();
        const t0 = performance.now();
        const image = await decodeToRgb(decoding);
        const t1 = performance.now();
        await checkpoint(slot, requestId);
        const detections = await models.detector.detect(image);
        const t2 = performance.now();
        const analysed: AnalyzedFace[] = [];
        if (image.width * image.height <= WHOLE_PHOTO_MAX_PIXELS) {
          for (let start = 0; start < detections.length; start += FACES_PER_STEP) {
            await checkpoint(slot, requestId);
            const step = detections.slice(start, start + FACES_PER_STEP);
            analysed.push(...(await analyzeDetections(image, step, models.embedder, { batchSize: FACES_PER_STEP })));
          }
        } else {
          const maxSide = REGION_SIDE_PER_INPUT * models.embedder.info.inputSize;
          for (const detection of detections) {
            await checkpoint(slot, requestId);
            const region = faceRegion(image, detection, maxSide);
            const [face] = await analyzeDetections(region.image, [region.detection], models.embedder);
            analysed.push({ ...face, detection });
          }
        }
        const sorted = sortLeftToRight(analysed);
        const faces = await Promise.all(sorted.map(async (face) => ({ ...face, cropPng: await encodeCrop(face.crop) })));
        const t3 = performance.now();
        await checkpoint(slot, requestId);
        const result: AnalyzedPhoto = {
          slot,
          requestId,
          width: image.width,
          height: image.height,
          embedder: models.embedder.info.id,
          faces,
          millis: { decode: t1 - t0, detect: t2 - t1, embed: t3 - t2 },
        };
        return Comlink.transfer(result, transferablesOf(faces));
      } catch (error) {
        if (error instanceof StaleRequest) return cancelled;
        throw error;
      } finally {
        // decodeToRgb closes the bitmap it reads; this closes one a cancelled request never read
        void decoding.then((bitmap) => bitmap.close(), () => undefined);
      }
    });
  },

  async cancel(slot: PhotoSlot, requestId: number) {
    latestRequest[slot] = Math.max(latestRequest[slot], requestId + 1);
  },

  async distances(a, b, metric) {
    return distanceMatrix(a, b, metric);
  },

  async storedResnet50Bytes() {
    return (await storedResnet50())?.byteLength ?? null;
  },

  async deleteStoredResnet50() {
    await idbDel(RESNET50_STORE_KEY);
  },
};

// For tests: Playwright evaluates in the worker's global scope, which cannot reach the tfjs module.
(self as unknown as { facematchDebug: object }).facematchDebug = { loseWebglContext: debugLoseWebglContext };

Comlink.expose(api);
