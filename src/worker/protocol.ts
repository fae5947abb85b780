// The typed contract between the UI and the ML worker. Types only (plus plain constants): the UI imports
// this file, so it must never pull in tfjs.
import type { EmbedderId, EmbedderInfo, SimilarityMetric } from '../ml/types';
import type { Photo } from '../model/photo';

export type BackendName = 'webgpu' | 'webgl' | 'wasm';
export type BackendPreference = 'auto' | BackendName;
/** Every preference the settings and `?backend=` accept. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'wasm', 'webgl', 'webgpu'];
/** Auto's order, and the order a lost GPU falls back along (only hardware GPUs are taken automatically). */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm'];

/** How the page names a backend (status bar badge, settings). */
export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'GPU (WebGPU)',
  webgl: 'GPU (WebGL)',
  wasm: 'CPU (WASM)',
};

/** A backend's name in a sentence ("restarted it on WebGL", "WebGPU failed"). */
export const BACKEND_SHORT_NAMES: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WASM' };

/** The WebGPU adapter a worker gets; null when there is none. */
export interface WebgpuProbe {
  vendor: string;
  architecture: string;
  description: string;
  /** a fallback (CPU) adapter such as SwiftShader: never chosen automatically */
  software: boolean;
}

/** Auto's measurement when both GPU backends run on hardware: median ms of a few warm MTCNN runs each. */
export interface GpuProbeResult {
  /** the devices measured (adapter and WebGL renderer), the cache key */
  device: string;
  ms: Partial<Record<'webgpu' | 'webgl', number>>;
  winner: 'webgpu' | 'webgl';
  at: number;
}

/** What WebGL2 in a worker reports; null when there is none. Probing SwiftShader takes seconds, so the UI caches it. */
export interface WebglProbe {
  renderer: string;
  software: boolean;
}

export interface BackendReport {
  name: BackendName;
  /** human-readable: the GPU renderer, or the WASM flavour and thread count */
  detail: string;
  crossOriginIsolated: boolean;
  /** why the preferred GPU path was not taken (software renderer, no WebGL2, init failure) */
  fallbackReason?: string;
  /** why auto took this GPU backend, in words (e.g. the measured probe) */
  reason?: string;
  /** the WebGL2 probe this choice was based on (undefined when it was not needed) */
  webgl?: WebglProbe | null;
  /** the WebGPU adapter this choice was based on (undefined when it was not needed) */
  webgpu?: WebgpuProbe | null;
  /** the measured probe, when auto had two hardware GPU backends to choose from */
  gpuProbe?: GpuProbeResult;
}

export interface ModelProgress {
  phase: 'download' | 'warmup' | 'ready';
  /** what is being loaded, for the progress label */
  label: string;
  loadedBytes: number;
  totalBytes: number;
}

export type ProgressCallback = (progress: ModelProgress) => void;

/** The photo file's bytes: the worker decodes them itself (EXIF orientation applied). */
export type PhotoSource = { kind: 'bytes'; bytes: ArrayBuffer };

/** Analyse one photo of the page's collection; the answer is that photo with its faces. */
export interface AnalyzeRequest {
  photoId: string;
  name: string;
  /** increases with every run on a photo; a request older than the photo's latest is dropped */
  requestId: number;
  source: PhotoSource;
}

export interface AnalyzedPhoto {
  requestId: number;
  /** its faces' crops are PNGs, which the page shows with <img>s (decoded off the main thread) */
  photo: Photo;
  millis: { decode: number; detect: number; embed: number };
}

export interface CancelledAnalysis {
  photoId: string;
  requestId: number;
  cancelled: true;
}

export function isCancelled(result: AnalyzedPhoto | CancelledAnalysis): result is CancelledAnalysis {
  return 'cancelled' in result;
}

/** The worker's API as the UI sees it through Comlink (every method is async across the boundary). */
export interface FacematchWorkerApi extends PeopleWorkerApi {
  /** knownWebgl: a cached probe result, to skip the slow probe on software renderers */
  init(preference: BackendPreference, knownWebgl?: WebglProbe | null): Promise<BackendReport>;
  /** built-in embedders plus the user model when its weights are stored */
  listEmbedders(): Promise<EmbedderInfo[]>;
  /** loads MTCNN (once) and the chosen embedder, reporting bytes fetched and warm-up */
  loadModels(embedder: EmbedderId, onProgress: ProgressCallback): Promise<EmbedderInfo>;
  /** parses a keras_vggface ResNet50 .h5 file, stores its weights in IndexedDB and returns the model info */
  importResnet50(h5: ArrayBuffer, onProgress: ProgressCallback): Promise<EmbedderInfo>;
  analyze(request: AnalyzeRequest): Promise<AnalyzedPhoto | CancelledAnalysis>;
  /** marks every request of the photo up to requestId as stale; running work stops at its next checkpoint */
  cancel(photoId: string, requestId: number): Promise<void>;
  distances(a: Float32Array[], b: Float32Array[], metric: SimilarityMetric): Promise<number[][]>;
  /** size in bytes of the stored ResNet50 weights, or null when none are stored */
  storedResnet50Bytes(): Promise<number | null>;
  /** removes the stored ResNet50 weights (the loaded model, if any, stays until another is chosen) */
  deleteStoredResnet50(): Promise<void>;
  /** hashes and queues files for the Library (the same bytes are stored once) and starts indexing */
  libraryAdd(files: LibraryFileIn[]): Promise<LibraryAddOutcome>;
  /** reports indexing progress to the page, now and on every change */
  libraryWatch(onProgress: LibraryProgressCallback): Promise<void>;
  libraryPause(): Promise<void>;
  libraryResume(): Promise<void>;
  /** drops the photos still waiting; what is indexed stays */
  libraryCancel(): Promise<void>;
}

/** What adding files did: new photos, files already in the library, and files refused for lack of space (with why). */
export interface LibraryAddOutcome {
  added: number;
  duplicates: number;
  refused: number;
  refusal: string | null;
}

/** A file handed to the Library: File objects cross to the worker by reference, however many there are. */
export interface LibraryFileIn {
  file: File;
  /** the folder path it came from ('' for loose files) */
  folder: string;
}

/** The Library's indexing, as the worker reports it (throttled). */
export interface LibraryProgress {
  state: 'idle' | 'indexing' | 'paused';
  /** photos finished (indexed or skipped) since the queue was last empty */
  done: number;
  /** done plus those still waiting */
  queued: number;
  /** faces found in the photos done */
  faces: number;
  /** files skipped (not an image, damaged, unsupported) */
  failed: number;
  photosPerSecond: number | null;
  secondsLeft: number | null;
  /** photos this worker analysed since it started (lets tests prove a resumed queue re-analyses nothing) */
  analysedThisSession: number;
  /** why indexing stopped, when it was not the files' fault (storage full, for example) */
  error: string | null;
  /** a change of model being caught up with in the background: photos given the new model's vectors so far */
  reindex: { key: string; model: string; done: number; total: number } | null;
  /** another tab is indexing this library; this one waits and takes over when that tab closes */
  otherTab: boolean;
}

export type LibraryProgressCallback = (progress: LibraryProgress) => void;

/** An error the worker raises on purpose, with a message meant for people. */
export const USER_ERROR_PREFIX = 'facematch: ';

/** The part of an error meant for people (after USER_ERROR_PREFIX), or the whole message. */
export function userMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = message.indexOf(USER_ERROR_PREFIX);
  return at >= 0 ? message.slice(at + USER_ERROR_PREFIX.length) : message;
}

/** "Same person?": two people close enough to ask about, not close enough to merge automatically. */
export interface MergeSuggestion {
  a: string;
  b: string;
  distance: number;
}

/** A photo of the library that contains the face searched for: its nearest face to it. */
export interface PersonSearchHit {
  photoId: string;
  name: string;
  faceId: string;
  distance: number;
  personId: string | null;
}

export interface PersonSearch {
  hits: PersonSearchHit[];
  /** photos whose nearest face is beyond the threshold */
  beyondThreshold: number;
  /** faces found in the photo searched with (the largest is searched for) */
  facesInQuery: number;
}

/** People: grouping runs in the worker as photos are indexed; every edit goes through it, in order. */
export interface PeopleWorkerApi {
  /** groups faces that have vectors but no person yet (also run after each indexed photo) */
  peopleCatchUp(): Promise<void>;
  /** the full re-run; a person's edits are kept */
  peopleRegroup(): Promise<void>;
  peopleRename(personId: string, name: string): Promise<void>;
  peopleSetHidden(personId: string, hidden: boolean): Promise<void>;
  peopleNotThisPerson(faceId: string): Promise<void>;
  /** returns the id of the person that remains */
  peopleMerge(personIds: string[]): Promise<string>;
  peopleRejectMerge(a: string, b: string): Promise<void>;
  /** the closest pairs of people kept apart; with personId, only pairs with that person */
  peopleSuggestions(limit: number, personId?: string): Promise<MergeSuggestion[]>;
  /** analyses a photo and ranks the library's photos by their nearest face to its largest face */
  peopleFind(file: Blob, threshold: number): Promise<PersonSearch>;
  peopleImport(data: unknown): Promise<{ people: number; faces: number; missingFaces: number }>;
}
