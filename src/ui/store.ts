// The one UI store. It holds plain data only (photos, faces, the distance matrix, settings); the work
// that fills it lives in actions.ts. Matches are derived from the matrix on demand, never stored, so
// moving the threshold or the pairing mode is instant and never re-runs a model.
import { create } from 'zustand';
import type { EmbedderId, EmbedderInfo, FaceCrop, FaceKeypoints, MatchMode, MatchPair } from '../ml/types';
import { matchPairs, type DistanceMatrix } from '../ml/similarity';
import type { BackendPreference, BackendReport, LibraryAddOutcome, LibraryProgress, ModelProgress, PhotoSlot } from '../worker/protocol';

export const SLOTS: readonly PhotoSlot[] = ['A', 'B'];

export interface UiFace {
  box: [number, number, number, number];
  keypoints: FaceKeypoints;
  confidence: number;
  crop: FaceCrop;
  /** object URL of the crop's PNG; revoked when the face leaves the store */
  cropUrl: string;
  embedding: Float32Array;
}

/** The photo as the page shows it: the file itself in an <img>, which the browser decodes and scales on its own threads. */
export interface PhotoDisplay {
  /** object URL of the photo file; revoked when the photo leaves the store */
  url: string;
  /** the photo's upright size (EXIF orientation applied): the coordinates boxes and keypoints are in */
  width: number;
  height: number;
}

export type PhotoStatus = 'empty' | 'decoding' | 'analyzing' | 'done' | 'error';

export interface PhotoState {
  status: PhotoStatus;
  /** bumps with every new photo or re-run; results carrying an older id are dropped */
  requestId: number;
  name: string;
  blob: Blob | null;
  /** set once the file has proved to be an image */
  display: PhotoDisplay | null;
  faces: UiFace[];
  /** the embedder that produced faces[].embedding */
  embedder: EmbedderId | null;
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
  photos: Record<PhotoSlot, PhotoState>;
  /** A x B distances, valid only for the request ids it was computed from */
  matrix: { requestA: number; requestB: number; values: DistanceMatrix } | null;
  highlight: Highlight;
  alerts: AlertMessage[];
  /** a short status line for screen readers and the footer (worker restarts, backend fallbacks) */
  notice: string | null;
}

export const emptyPhoto = (requestId = 0): PhotoState => ({
  status: 'empty',
  requestId,
  name: '',
  blob: null,
  display: null,
  faces: [],
  embedder: null,
  error: null,
  analysisStartedAt: null,
  stalled: false,
  timings: null,
});

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
  photos: { A: emptyPhoto(), B: emptyPhoto() },
  matrix: null,
  highlight: { A: null, B: null },
  alerts: [],
  notice: null,
}));

/** Changes a slot's photo state; the object URLs of a display or faces it replaces are revoked. */
export function updatePhoto(slot: PhotoSlot, patch: Partial<PhotoState>): void {
  const previous = useStore.getState().photos[slot];
  useStore.setState((state) => ({ photos: { ...state.photos, [slot]: { ...state.photos[slot], ...patch } } }));
  if (patch.faces && patch.faces !== previous.faces) for (const face of previous.faces) URL.revokeObjectURL(face.cropUrl);
  if (patch.display !== undefined && patch.display !== previous.display && previous.display) URL.revokeObjectURL(previous.display.url);
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

/** The matrix, if it belongs to the faces currently shown in both panels. */
export function currentMatrix(state: AppState): DistanceMatrix | null {
  const { matrix, photos } = state;
  if (!matrix || photos.A.status !== 'done' || photos.B.status !== 'done') return null;
  if (matrix.requestA !== photos.A.requestId || matrix.requestB !== photos.B.requestId) return null;
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
