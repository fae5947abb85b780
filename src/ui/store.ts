// The one UI store. It holds plain data only (photos, faces, the distance matrix, settings); the work
// that fills it lives in actions.ts. Photos are the one Photo model (src/model/photo.ts), kept by id; Compare's
// slots are a selection of two of them. Matches are derived from the matrix on demand, never stored, so
// moving the threshold or the pairing mode is instant and never re-runs a model.
import { create } from 'zustand';
import type { EmbedderInfo, MatchMode, MatchPair } from '../ml/types';
import { matchPairs, type DistanceMatrix } from '../ml/similarity';
import type { Face, Photo } from '../model/photo';
import type { BackendPreference, BackendReport, LibraryAddOutcome, LibraryProgress, ModelProgress } from '../worker/protocol';

/** Compare's two places for a photo: a view concept, never part of the data. */
export type PhotoSlot = 'A' | 'B';
export const SLOTS: readonly PhotoSlot[] = ['A', 'B'];

/** A face as the page shows it: with an object URL of its crop that every <img> of it shares. */
export interface ShownFace extends Face {
  /** revoked when the face leaves the store */
  cropUrl: string;
}

export type PhotoStatus = 'empty' | 'decoding' | 'analyzing' | 'done' | 'error';

/** A photo of the page's collection: the one Photo, and how far its analysis has got. */
export interface PhotoEntry extends Photo {
  faces: ShownFace[];
  status: PhotoStatus;
  /** bumps with every run on the photo; results carrying an older id are dropped */
  requestId: number;
  /** the file, which the worker analyses (again after a model change); null for a Library photo, stored analysed */
  file: Blob | null;
  /**
   * object URL of the image shown (the file itself, which the browser decodes and scales on its own threads, or a
   * Library photo's stored preview), set once it has proved to be an image; revoked when the photo leaves the store
   */
  imageUrl: string | null;
  error: string | null;
  /** when the analysis went to the worker (models ready); null while waiting for them or when not analysing */
  analysisStartedAt: number | null;
  /** the watchdog found no result long after analysisStartedAt: the panel says so and offers a retry */
  stalled: boolean;
  /** wall time of the last analysis and the worker's split of it */
  timings: { total: number; decode: number; detect: number; embed: number } | null;
}

export interface Highlight {
  A: number | null;
  B: number | null;
}

export interface AlertMessage {
  id: number;
  text: string;
}

export type View = 'compare' | 'library';
/** The Library's two sections: its photos, and the people in them. */
export type LibrarySection = 'photos' | 'people';

export interface AppState {
  /** which view is shown; the address says it too (/ or /library) */
  view: View;
  /** which part of the Library is shown (/library or /library/people) */
  librarySection: LibrarySection;
  /** the Library's indexing, as the worker last reported it */
  libraryProgress: LibraryProgress | null;
  /** the outcome of the last files added to the Library, for its status line */
  libraryAdded: LibraryAddOutcome | null;
  backend: BackendReport | null;
  /** what the user asked for (settings, ?backend=); backend says what actually runs */
  backendPreference: BackendPreference;
  /** where backendPreference came from, to explain the choice */
  backendPreferenceSource: 'default' | 'settings' | 'url';
  /** bytes of the user's ResNet50 weights in IndexedDB; null when none are stored */
  storedWeightsBytes: number | null;
  progress: ModelProgress | null;
  modelsReady: boolean;
  embedders: EmbedderInfo[];
  embedder: EmbedderInfo | null;
  threshold: number;
  mode: MatchMode;
  /** what the distance matrix's cells show: the distance, or the calibrated same-person probability */
  matrixShows: 'distance' | 'probability';
  /** the photos the page holds, by id: those Compare shows */
  photos: Record<string, PhotoEntry>;
  /** which photo each Compare slot shows (the same photo may be in both) */
  compare: Record<PhotoSlot, string | null>;
  /** A x B distances, valid only for the photos and request ids it was computed from */
  matrix: { a: PhotoVersion; b: PhotoVersion; values: DistanceMatrix } | null;
  highlight: Highlight;
  alerts: AlertMessage[];
  /** a short status line for screen readers and the footer (worker restarts, backend fallbacks) */
  notice: string | null;
}

/** One run on one photo: what a result or the matrix belongs to. */
export interface PhotoVersion {
  id: string;
  requestId: number;
}

/** A photo entry before anything is known about its image or faces. */
export const newPhoto = (id: string, name: string): PhotoEntry => ({
  id,
  name,
  width: 0,
  height: 0,
  embedder: null,
  faces: [],
  status: 'empty',
  requestId: 1,
  file: null,
  imageUrl: null,
  error: null,
  analysisStartedAt: null,
  stalled: false,
  timings: null,
});

/** What an empty slot shows; one object, so selectors of an empty slot stay equal. */
const NO_PHOTO: PhotoEntry = Object.freeze(newPhoto('', ''));

export const useStore = create<AppState>(() => ({
  view: 'compare',
  librarySection: 'photos',
  libraryProgress: null,
  libraryAdded: null,
  backend: null,
  backendPreference: 'auto',
  backendPreferenceSource: 'default',
  storedWeightsBytes: null,
  progress: null,
  modelsReady: false,
  embedders: [],
  embedder: null,
  threshold: 0.5,
  mode: 'one-to-one',
  matrixShows: 'distance',
  photos: {},
  compare: { A: null, B: null },
  matrix: null,
  highlight: { A: null, B: null },
  alerts: [],
  notice: null,
}));

/** The photo a Compare slot shows (an empty entry when none). */
export function slotPhoto(state: AppState, slot: PhotoSlot): PhotoEntry {
  const id = state.compare[slot];
  return (id !== null && state.photos[id]) || NO_PHOTO;
}

/** The first slot that shows a photo, for messages that name it. */
export function slotOf(state: AppState, id: string): PhotoSlot | null {
  return SLOTS.find((slot) => state.compare[slot] === id) ?? null;
}

function revokeUrls(previous: PhotoEntry, next: Partial<PhotoEntry> | null): void {
  if (!next || (next.faces && next.faces !== previous.faces)) for (const face of previous.faces) URL.revokeObjectURL(face.cropUrl);
  if (previous.imageUrl && (!next || (next.imageUrl !== undefined && next.imageUrl !== previous.imageUrl))) URL.revokeObjectURL(previous.imageUrl);
}

/** Changes a photo still in the collection; the object URLs of an image or faces it replaces are revoked. */
export function updatePhoto(id: string, patch: Partial<PhotoEntry>): void {
  const previous = useStore.getState().photos[id];
  if (!previous) return;
  useStore.setState((state) => ({ photos: { ...state.photos, [id]: { ...previous, ...patch } } }));
  revokeUrls(previous, patch);
}

/**
 * Shows a photo in a slot (null: empties it). The entry replaces the collection's entry of the same id; the photo the
 * slot showed before leaves the collection unless the other slot shows it too.
 */
export function placeInSlot(slot: PhotoSlot, entry: PhotoEntry | null): void {
  const state = useStore.getState();
  const compare = { ...state.compare, [slot]: entry?.id ?? null };
  const photos = { ...state.photos };
  const gone: PhotoEntry[] = [];
  if (entry) {
    if (photos[entry.id]) gone.push(photos[entry.id]);
    photos[entry.id] = entry;
  }
  const before = state.compare[slot];
  if (before !== null && before !== entry?.id && !SLOTS.some((s) => compare[s] === before) && photos[before]) {
    gone.push(photos[before]);
    delete photos[before];
  }
  useStore.setState({ photos, compare });
  for (const previous of gone) revokeUrls(previous, photos[previous.id] ?? null);
}

let alertCounter = 0;
export function pushAlert(text: string): void {
  useStore.setState((state) => ({ alerts: [...state.alerts.slice(-2), { id: ++alertCounter, text }] }));
}

export function dismissAlert(id: number): void {
  useStore.setState((state) => ({ alerts: state.alerts.filter((a) => a.id !== id) }));
}

export function setHighlight(highlight: Highlight): void {
  const current = useStore.getState().highlight;
  if (current.A !== highlight.A || current.B !== highlight.B) useStore.setState({ highlight });
}

const isVersion = (photo: PhotoEntry, version: PhotoVersion) => photo.id === version.id && photo.requestId === version.requestId;

/** The matrix, if it belongs to the faces currently shown in both panels. */
export function currentMatrix(state: AppState): DistanceMatrix | null {
  const { matrix } = state;
  const [a, b] = [slotPhoto(state, 'A'), slotPhoto(state, 'B')];
  if (!matrix || a.status !== 'done' || b.status !== 'done') return null;
  if (!isVersion(a, matrix.a) || !isVersion(b, matrix.b)) return null;
  return matrix.values;
}

const matchCache = new WeakMap<DistanceMatrix, Map<string, MatchPair[]>>();

/** Matches for the current matrix, threshold and mode; memoised so every component shares one array. */
export function currentMatches(state: AppState): MatchPair[] {
  const matrix = currentMatrix(state);
  if (!matrix) return EMPTY_MATCHES;
  let byKey = matchCache.get(matrix);
  if (!byKey) matchCache.set(matrix, (byKey = new Map()));
  const key = `${state.threshold}|${state.mode}`;
  let pairs = byKey.get(key);
  if (!pairs) {
    pairs = matchPairs(matrix, state.threshold, state.mode);
    byKey.set(key, pairs);
  }
  return pairs;
}
const EMPTY_MATCHES: MatchPair[] = [];

/** The slider's upper end: past the largest distance present, so its maximum always admits every pair. */
export function thresholdMax(state: AppState): number {
  const base = 2 * (state.embedder?.defaultThreshold ?? 0.5);
  const matrix = currentMatrix(state);
  const largest = matrix ? Math.max(0, ...matrix.flat()) : 0;
  return Math.ceil(Math.max(base, largest) * 20 + 1e-9) / 20;
}

/** Highlights one face and, when it is matched, its best partner in the other photo. */
export function highlightFace(slot: PhotoSlot, index: number | null): void {
  if (index === null) return setHighlight({ A: null, B: null });
  const pair = currentMatches(useStore.getState()).find((p) => (slot === 'A' ? p.a : p.b) === index);
  setHighlight(slot === 'A' ? { A: index, B: pair ? pair.b : null } : { A: pair ? pair.a : null, B: index });
}
