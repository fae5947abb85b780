// The ML worker: owns tfjs, the models and every heavy step, so the page never blocks.
// Work is serialised (one analysis at a time); a photo replaced or re-run in the UI marks its old request stale,
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
import { analyzeDetections, analyzeFacesInImages, type FaceInImage } from '../ml/pipeline';
import { distanceMatrix } from '../ml/similarity';
import type { AnalyzedFace, EmbedderId, EmbedderInfo, FaceDetection, RgbImage } from '../ml/types';
import type { Face } from '../model/photo';
import { debugLoseWebglContext, reserveWasmHeap, selectBackend, webglContextLost } from './backend';
import { LibraryDb, StorageFullError, modelKey, photoId, type LibraryFace } from '../storage/library-db';
import { UndecodableFile, decodeBitmap, decodeFile, decodeToRgb } from './decode';
import { SNIFF_BYTES, sniffFormat, undecodableReason } from './file-format';
import { LibraryIndexer, type DetectedPhoto, type IndexedFace } from './library-indexer';
import { PeopleHost } from './people-host';
import { WHOLE_PHOTO_MAX_PIXELS, detectionInThumbnail, faceRegion, sourceRegion, type FaceRegion } from './face-regions';
import { createFetchAssetReader } from './fetch-assets';
import {
  USER_ERROR_PREFIX,
  type AnalyzeRequest,
  type AnalyzedPhoto,
  type BackendPreference,
  type BackendReport,
  type CancelledAnalysis,
  type FacematchWorkerApi,
  type LibraryFileIn,
  type LibraryProgress,
  type LibraryProgressCallback,
  type ProgressCallback,
  type WebglProbe,
  userMessage,
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
/** each photo's latest request id (or cancelled id + 1): older requests of that photo are stale */
const latestRequest = new Map<string, number>();
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(job: () => Promise<T>): Promise<T> {
  const result = queue.then(job, job);
  queue = result.catch(() => undefined);
  return result;
}

/**
 * Lets queued messages (a cancel, a newer photo, a pause) run between analysis steps, and stops on a lost GPU, whose
 * results from then on would be garbage. WASM kernels resolve through microtasks only, so without this yield no
 * message is read mid-analysis.
 */
async function analysisStep(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  // not a user error: the UI restarts the worker on the next backend and runs the step again
  if (webglContextLost()) throw new Error('WebGL context lost');
}

/** A Compare step: also stops if this request became stale. */
async function checkpoint(photoId: string, requestId: number): Promise<void> {
  await analysisStep();
  if (requestId < (latestRequest.get(photoId) ?? 0)) throw new StaleRequest();
}

function markLatest(photoId: string, requestId: number): void {
  latestRequest.set(photoId, Math.max(latestRequest.get(photoId) ?? 0, requestId));
}

/** Faces embedded per step between checkpoints: bounds how long a cancelled photo keeps the worker busy. */
const FACES_PER_STEP = 8;

/**
 * On a GPU backend every new batch size compiles new shaders (seconds each on a slow GPU), so batches are padded to
 * FACES_PER_STEP with copies of their last face, whose results are dropped: the one shape the warm-up compiled.
 */
function embedderBatch<T>(faces: T[]): T[] {
  if (!backend || backend.name === 'wasm' || faces.length === 0) return faces;
  return [...faces, ...new Array<T>(FACES_PER_STEP - faces.length).fill(faces[faces.length - 1])];
}

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
  const [face] = await analyzeDetections({ data, width: side, height: side }, embedderBatch([detection]), e, { batchSize: FACES_PER_STEP });
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
async function encodeCrop(crop: AnalyzedFace['crop'], type: CropType = 'image/png'): Promise<Blob> {
  const canvas = new OffscreenCanvas(crop.width, crop.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D context on OffscreenCanvas');
  context.putImageData(new ImageData(new Uint8ClampedArray(crop.rgba), crop.width, crop.height), 0, 0);
  return canvas.convertToBlob(type === 'image/jpeg' ? { type, quality: 0.85 } : { type });
}

/** Compare shows crops as lossless PNGs; the Library stores JPEGs (a quarter of the size: ~6 KB a face). */
type CropType = 'image/png' | 'image/jpeg';

function transferablesOf(faces: Face[]): Transferable[] {
  return faces.map((f) => f.embedding.buffer as ArrayBuffer);
}

/** The one Face shape, from a detection, its embedding and its encoded crop. */
function faceOf({ box, keypoints, confidence }: FaceDetection, embedding: Float32Array, crop: Blob): Face {
  return { box, keypoints, confidence, embedding, crop };
}

/**
 * One photo, decoded to faces: detection, crops and embeddings in steps between checkpoints, numbered left to right,
 * each crop encoded (a PNG for Compare). Compare analyses through this (the Library in its own steps: libraryDetect,
 * libraryEmbed, the same detector and embedder). `onBitmap` sees the decoded bitmap before it is closed.
 */
async function analysePhoto(
  decoding: Promise<ImageBitmap>,
  step: () => Promise<void>,
  onBitmap?: (bitmap: ImageBitmap) => void,
  cropType: CropType = 'image/png',
): Promise<{ image: RgbImage; faces: Face[]; millis: AnalyzedPhoto['millis'] }> {
  const models = requireReady();
  const t0 = performance.now();
  const image = await decodeToRgb(decoding, onBitmap);
  const t1 = performance.now();
  await step();
  const detections = await models.detector.detect(image);
  const t2 = performance.now();
  const analysed: AnalyzedFace[] = [];
  if (image.width * image.height <= WHOLE_PHOTO_MAX_PIXELS) {
    for (let start = 0; start < detections.length; start += FACES_PER_STEP) {
      await step();
      const batch = detections.slice(start, start + FACES_PER_STEP);
      const embedded = await analyzeDetections(image, embedderBatch(batch), models.embedder, { batchSize: FACES_PER_STEP });
      analysed.push(...embedded.slice(0, batch.length));
    }
  } else {
    const maxSide = REGION_SIDE_PER_INPUT * models.embedder.info.inputSize;
    for (const detection of detections) {
      await step();
      const region = faceRegion(image, detection, maxSide);
      const [face] = await analyzeDetections(region.image, embedderBatch([region.detection]), models.embedder, { batchSize: FACES_PER_STEP });
      analysed.push({ ...face, detection });
    }
  }
  const sorted = sortLeftToRight(analysed);
  const faces = await Promise.all(sorted.map(async (face) => faceOf(face.detection, face.embedding, await encodeCrop(face.crop, cropType))));
  const t3 = performance.now();
  return { image, faces, millis: { decode: t1 - t0, detect: t2 - t1, embed: t3 - t2 } };
}

/** The Library's previews: long side in pixels, JPEG quality (~25 KB for a 1 MP photo). */
const PREVIEW_SIDE = 480;
const PREVIEW_QUALITY = 0.8;
/** Files over this size are skipped with a message instead of exhausting memory. */
const LIBRARY_MAX_FILE_BYTES = 80 * 1024 * 1024;

/** The model in use and its weights' fingerprint: vectors of different models or weights never mix. */
function embedderKey(): string | null {
  if (!embedder) return null;
  const id = embedder.info.id;
  const files = index?.models[id]?.files;
  const fingerprint = files ? Object.values(files).map((f) => f.sha256.slice(0, 8)).join('') : 'user';
  return modelKey(id, fingerprint);
}

function drawPreview(bitmap: ImageBitmap): OffscreenCanvas {
  const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D context on OffscreenCanvas');
  context.imageSmoothingQuality = 'medium';
  context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** Why a Library file was skipped, in words for people; null when the file is not at fault (then indexing stops). */
async function libraryFailure(error: unknown, file: Blob): Promise<string | null> {
  if (error instanceof UndecodableFile) return undecodableReason(sniffFormat(new Uint8Array(await file.slice(0, SNIFF_BYTES).arrayBuffer())));
  if (!(error instanceof Error) || !error.message.includes(USER_ERROR_PREFIX)) return null;
  return userMessage(error);
}

/**
 * Stored face sources are JPEGs of this quality: re-embedding from them moves a face's vector by a small fraction
 * of the match threshold (test/worker/face-source.test.ts).
 */
const SOURCE_QUALITY = 0.95;

/** A Library face between its detection and its embedding: where it is in the photo, and its source region. */
interface LibraryFaceInput {
  detection: FaceDetection;
  region: FaceRegion;
}

async function encodeRgb(image: RgbImage, quality: number): Promise<Blob> {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
    rgba[j] = image.data[i];
    rgba[j + 1] = image.data[i + 1];
    rgba[j + 2] = image.data[i + 2];
    rgba[j + 3] = 255;
  }
  const canvas = new OffscreenCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D context on OffscreenCanvas');
  context.putImageData(new ImageData(rgba, image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/jpeg', quality });
}

const centreX = (d: FaceDetection) => d.box[0] + d.box[2] / 2;

/**
 * A Library photo's first step: decoded, previewed and detected; each face keeps only its source region (the whole
 * photo is let go here), which it is embedded from now and by another model later.
 */
async function libraryDetect(decoding: Promise<ImageBitmap>): Promise<DetectedPhoto<LibraryFaceInput>> {
  let preview: OffscreenCanvas | null = null;
  const detected = await serialised(async () => {
    const models = requireReady();
    const image = await decodeToRgb(decoding, (bitmap) => {
      preview = drawPreview(bitmap);
    });
    await analysisStep();
    const detections = (await models.detector.detect(image)).sort((p, q) => centreX(p) - centreX(q));
    return { width: image.width, height: image.height, faces: detections.map((detection) => ({ detection, region: sourceRegion(image, detection) })) };
  });
  // encoded outside the queue, while the next step computes
  const previewBlob = (preview as OffscreenCanvas | null)!.convertToBlob({ type: 'image/jpeg', quality: PREVIEW_QUALITY });
  previewBlob.catch(() => undefined); // awaited when the photo is stored
  return { ...detected, preview: previewBlob };
}

/** Up to FACES_PER_STEP faces embedded as one step of the queue (padded on a GPU; the padding's results dropped). */
async function embedStep(inputs: FaceInImage[]) {
  const analysed = await serialised(async () => {
    await analysisStep();
    return analyzeFacesInImages(embedderBatch(inputs), requireReady().embedder, { batchSize: FACES_PER_STEP });
  });
  return analysed.slice(0, inputs.length);
}

/** Faces of one or more Library photos, embedded in one step (the indexer hands at most FACES_PER_STEP). */
async function libraryEmbed(faces: LibraryFaceInput[]): Promise<Promise<IndexedFace>[]> {
  const analysed = await embedStep(faces.map((f): FaceInImage => f.region));
  // encoded outside the queue, while the next step computes
  return analysed.map(async (face, i) => {
    const { detection, region } = faces[i];
    const [crop, source] = await Promise.all([encodeCrop(face.crop, 'image/jpeg'), encodeRgb(region.image, SOURCE_QUALITY)]);
    return { ...faceOf(detection, face.embedding, crop), source: { image: source, box: region.detection.box, keypoints: region.detection.keypoints } };
  });
}

/**
 * What a stored face is embedded from again: its source region; a face stored before sources were kept falls back
 * to its 112 px crop (a square of 1.2x the box's longer side about its centre), coarser but inside every crop rule.
 */
async function storedFaceInput(face: LibraryFace): Promise<FaceInImage> {
  const image = await decodeToRgb(decodeFile(face.source?.image ?? face.crop));
  if (face.source) return { image, detection: { box: face.source.box, keypoints: face.source.keypoints, confidence: face.confidence } };
  return { image, detection: detectionInThumbnail({ box: face.box, keypoints: face.keypoints, confidence: face.confidence }, image.width) };
}

/** Stored faces embedded with the model in use (a change of model), FACES_PER_STEP per step. */
async function libraryReembed(faces: LibraryFace[]): Promise<Float32Array[]> {
  const inputs = await Promise.all(faces.map(storedFaceInput));
  const vectors: Float32Array[] = [];
  for (let start = 0; start < inputs.length; start += FACES_PER_STEP) {
    const analysed = await embedStep(inputs.slice(start, start + FACES_PER_STEP));
    vectors.push(...analysed.map((f) => f.embedding));
  }
  return vectors;
}

let libraryDb: LibraryDb | null = null;
let indexer: LibraryIndexer<LibraryFaceInput> | null = null;

function library(): { db: LibraryDb; indexer: LibraryIndexer<LibraryFaceInput> } {
  libraryDb ??= new LibraryDb();
  const db = libraryDb;
  indexer ??= new LibraryIndexer<LibraryFaceInput>({
    db,
    embedderKey,
    decode: (file) =>
      file.size > LIBRARY_MAX_FILE_BYTES
        ? Promise.reject(new Error(`${USER_ERROR_PREFIX}the file is over ${LIBRARY_MAX_FILE_BYTES / 1024 / 1024} MB`))
        : decodeFile(file),
    // every step goes through Compare's queue, so a Compare photo waits at most for one Library step
    detect: libraryDetect,
    embed: libraryEmbed,
    reembed: libraryReembed,
    failureReason: libraryFailure,
    locks: typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null,
  });
  return { db, indexer };
}

let peopleHost: PeopleHost | null = null;

/** People are grouped as photos are indexed: at most once a second while indexing runs, and when it stops. */
function people(): PeopleHost {
  if (peopleHost) return peopleHost;
  const host = new PeopleHost({
    db: library().db,
    model: () => {
      const key = embedderKey();
      return key && embedder ? { key, info: embedder.info } : null;
    },
  });
  peopleHost = host;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let seen = -1;
  library().indexer.watch((progress) => {
    if (progress.analysedThisSession === seen && progress.state !== 'idle') return;
    seen = progress.analysedThisSession;
    if (progress.state === 'idle') {
      if (timer) clearTimeout(timer);
      timer = null;
      // a full look when indexing stops: it also picks up a re-index's vectors and removals
      void host.catchUp(true).catch(() => undefined);
    } else {
      timer ??= setTimeout(() => {
        timer = null;
        void host.catchUp().catch(() => undefined);
      }, 1000);
    }
  });
  return host;
}

/** The largest face of a photo given to "Find a person by photo", and how many it had. */
async function largestFace(file: Blob): Promise<{ embedding: Float32Array; faces: number }> {
  const decoding = decodeFile(file);
  const { faces } = await serialised(() => analysePhoto(decoding, analysisStep));
  if (faces.length === 0) throw new Error(`${USER_ERROR_PREFIX}no face was found in this photo`);
  const area = (f: Face) => f.box[2] * f.box[3];
  const largest = faces.reduce((best, f) => (area(f) > area(best) ? f : best));
  return { embedding: largest.embedding, faces: faces.length };
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
      // photos a closed tab left waiting are indexed now, one at a time between Compare's requests
      library().indexer.start();
      // faces indexed before, or by another model, are grouped with this one's vectors
      void people().catchUp().catch(() => undefined);
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
      // the library catches up with the new model in the background
      library().indexer.start();
      return embedder.info;
    });
  },

  analyze(request: AnalyzeRequest) {
    const { photoId, name, requestId } = request;
    markLatest(photoId, requestId);
    const cancelled: CancelledAnalysis = { photoId, requestId, cancelled: true };
    const decoding = decodeBitmap(request.source);
    decoding.catch(() => undefined); // reported in turn, below
    return serialised(async (): Promise<AnalyzedPhoto | CancelledAnalysis> => {
      try {
        const step = () => checkpoint(photoId, requestId);
        await step();
        const { image, faces, millis } = await analysePhoto(decoding, step);
        await step();
        const photo = { id: photoId, name, width: image.width, height: image.height, embedder: requireReady().embedder.info.id, faces };
        // a photo whose latest request is done needs no entry (a later one adds it again)
        if (latestRequest.get(photoId) === requestId) latestRequest.delete(photoId);
        return Comlink.transfer({ requestId, photo, millis } satisfies AnalyzedPhoto, transferablesOf(faces));
      } catch (error) {
        if (error instanceof StaleRequest) return cancelled;
        throw error;
      } finally {
        // decodeToRgb closes the bitmap it reads; this closes one a cancelled request never read
        void decoding.then((bitmap) => bitmap.close(), () => undefined);
      }
    });
  },

  async cancel(photoId: string, requestId: number) {
    markLatest(photoId, requestId + 1);
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

  async libraryAdd(files: LibraryFileIn[]) {
    const { db, indexer: queue } = library();
    // hashed in slices, so a folder of thousands never holds all its bytes at once
    let added = 0;
    let duplicates = 0;
    for (let start = 0; start < files.length; start += 32) {
      const slice = files.slice(start, start + 32);
      const photos = await Promise.all(
        slice.map(async ({ file, folder }) => ({ id: await photoId(await file.arrayBuffer()), name: file.name, folder, file })),
      );
      let outcome: { added: string[]; duplicates: string[] };
      try {
        outcome = await db.addPhotos(photos);
      } catch (error) {
        // the slices already queued stay queued: say how many were not, and why
        if (!(error instanceof StorageFullError)) throw error;
        return { added, duplicates, refused: files.length - start, refusal: error.message };
      }
      added += outcome.added.length;
      duplicates += outcome.duplicates.length;
      await queue.enqueued(outcome.added.length);
    }
    return { added, duplicates, refused: 0, refusal: null };
  },

  async libraryWatch(onProgress: LibraryProgressCallback) {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let latest: LibraryProgress | null = null;
    // throttled: each post is a message the page must read
    library().indexer.watch((progress) => {
      latest = progress;
      const now = performance.now();
      const post = () => {
        timer = null;
        last = performance.now();
        if (latest) void Promise.resolve(onProgress(latest)).catch(() => undefined);
      };
      if (progress.state !== 'indexing' || now - last > 250) post();
      else timer ??= setTimeout(post, 250 - (now - last));
    });
  },

  async libraryPause() {
    library().indexer.pause();
  },

  async libraryResume() {
    library().indexer.resume();
  },

  async libraryCancel() {
    await library().indexer.cancel();
  },

  peopleCatchUp: () => people().catchUp(true),
  peopleRegroup: () => people().regroup(),
  peopleRename: (personId, name) => people().edit((db) => db.renamePerson(personId, name)),
  peopleSetHidden: (personId, hidden) => people().edit((db) => db.setPersonHidden(personId, hidden)),
  peopleNotThisPerson: (faceId) => people().edit((db) => db.notThisPerson(faceId)),
  peopleMerge: (personIds) => people().edit((db) => db.mergePeople(personIds)),
  peopleRejectMerge: (a, b) => people().edit((db) => db.rejectMerge(a, b)),
  peopleSuggestions: (limit, personId) => people().suggestions(limit, personId),
  async peopleFind(file, threshold) {
    const { embedding, faces } = await largestFace(file);
    const { hits, beyondThreshold } = await people().find(embedding, threshold);
    return { hits, beyondThreshold, facesInQuery: faces };
  },
  async peopleImport(data) {
    const result = await people().importPeople(data);
    await people().catchUp(true);
    return result;
  },
};

// For tests: Playwright evaluates in the worker's global scope, which cannot reach the tfjs module.
(self as unknown as { facematchDebug: object }).facematchDebug = { loseGpu: debugLoseWebglContext };

Comlink.expose(api);
