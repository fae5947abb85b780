// What the UI does: decode photos, hand them to the worker, fold results into the store.
// file -> (display: <img>; analysis: worker, which decodes it) -> results -> store -> overlay.
// The store keeps photos by id; Compare's slots only say which two it shows.
import type { EmbedderId, EmbedderInfo, MatchMode } from '../ml/types';
import type { Face, Photo } from '../model/photo';
import { BACKEND_PREFERENCES, BACKEND_SHORT_NAMES, isCancelled, type BackendPreference, type PhotoSource } from '../worker/protocol';
import { SNIFF_BYTES, sniffFormat, undecodableMessage, type SniffedFormat } from '../worker/file-format';
import {
  newPhoto,
  placeInSlot,
  pushAlert,
  slotOf,
  slotPhoto,
  updatePhoto,
  useStore,
  type PhotoEntry,
  type PhotoSlot,
  type ShownFace,
} from './store';
import { WorkerClient, userMessage } from './worker-client';

const EMBEDDER_CHOICE_KEY = 'facematch.embedder';
const BACKEND_CHOICE_KEY = 'facematch.backend';

let client: WorkerClient | null = null;

/**
 * The latest model load (start-up, an embedder or backend switch); null until start-up begins its first one.
 * Analyses never hold on to one of these promises: they wait through whenModelsReady(), which follows the
 * variable as it is replaced. (Awaiting a promise that a later assignment replaced is how start-up hung: a
 * photo given before the first load waited forever on a placeholder.)
 */
let modelsLoading: Promise<void> | null = null;
/** Wakes the analyses that arrive before start-up has begun its first load; rejects if start-up fails first. */
const startupBegan = deferred();

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: unknown): void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed by whoever waits
  return { promise, resolve, reject };
}

/**
 * Resolves once the models of the latest load are ready, however often a load is replaced meanwhile; rejects with
 * the reason when the latest load failed (or start-up failed before it could load anything).
 */
export async function whenModelsReady(): Promise<void> {
  for (;;) {
    const loading = modelsLoading;
    if (!loading) {
      await startupBegan.promise;
      continue;
    }
    try {
      await loading;
    } catch (error) {
      if (loading === modelsLoading) throw error;
      continue; // a newer load replaced the failed one: wait for that
    }
    if (loading === modelsLoading) return;
  }
}

function requireClient(): WorkerClient {
  if (!client) throw new Error('startApp() has not run');
  return client;
}

/** The worker client, for the Library's actions. */
export const libraryClient = requireClient;

const isPreference = (value: string | null): value is BackendPreference =>
  (BACKEND_PREFERENCES as readonly (string | null)[]).includes(value);

/** ?backend= wins (links, tests), then the choice saved in settings, then auto. */
function backendPreference(): { preference: BackendPreference; source: 'default' | 'settings' | 'url' } {
  const requested = new URLSearchParams(location.search).get('backend');
  if (isPreference(requested)) return { preference: requested, source: 'url' };
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(BACKEND_CHOICE_KEY);
  } catch {
    // storage blocked: auto
  }
  return isPreference(saved) && saved !== 'auto' ? { preference: saved, source: 'settings' } : { preference: 'auto', source: 'default' };
}

function rememberedEmbedder(available: EmbedderInfo[]): EmbedderInfo {
  let remembered: string | null = null;
  try {
    remembered = localStorage.getItem(EMBEDDER_CHOICE_KEY);
  } catch {
    // storage blocked: use the default
  }
  return available.find((e) => e.id === remembered) ?? available[0];
}

export async function startApp(): Promise<void> {
  if (client) return;
  const { preference, source } = backendPreference();
  useStore.setState({ backendPreference: preference, backendPreferenceSource: source });
  startWatchdog();
  client = new WorkerClient(preference, {
    onBackend: (backend) => useStore.setState({ backend }),
    onProgress: (progress) => useStore.setState({ progress: progress.phase === 'ready' ? null : progress }),
    onRestart: (reason, backend) =>
      useStore.setState({ notice: `The analysis worker stopped (${reason}); restarted it on ${BACKEND_SHORT_NAMES[backend]} and resumed.` }),
  });
  void client.watchLibrary((libraryProgress) => useStore.setState({ libraryProgress })).catch(() => undefined);
  try {
    await client.init();
    const embedders = await client.listEmbedders();
    useStore.setState({ embedders });
    void refreshStoredWeights();
    await switchEmbedder(rememberedEmbedder(embedders).id);
  } catch (error) {
    const message = `The face models could not start: ${userMessage(error)}`;
    // photos given before the first load began get this same message instead of waiting forever
    startupBegan.reject(new Error(message));
    pushAlert(message);
  }
}

/** Runs a model load as the one analyses wait for; a newer load supersedes it, including its store update. */
function loadEmbedder(load: () => Promise<EmbedderInfo>): Promise<EmbedderInfo> {
  useStore.setState({ modelsReady: false });
  // the store is updated before whenModelsReady() lets anyone through, so waiters see the new embedder
  let settled: Promise<void> | undefined;
  const run = (async () => {
    const info = await load();
    if (modelsLoading !== settled) return info; // an older load that finished late leaves the store alone
    try {
      localStorage.setItem(EMBEDDER_CHOICE_KEY, info.id);
    } catch {
      // not remembered; harmless
    }
    useStore.setState({ embedder: info, threshold: info.defaultThreshold, modelsReady: true, progress: null });
    return info;
  })();
  settled = run.then(() => undefined);
  settled.catch(() => undefined); // observed through whenModelsReady
  modelsLoading = settled;
  startupBegan.resolve();
  return run;
}

async function switchEmbedder(id: EmbedderId): Promise<void> {
  const c = requireClient();
  await loadEmbedder(() => c.loadModels(id));
}

export async function chooseEmbedder(id: EmbedderId): Promise<void> {
  if (useStore.getState().embedder?.id === id && useStore.getState().modelsReady) return;
  try {
    await switchEmbedder(id);
    rerunFinishedPhotos();
  } catch (error) {
    useStore.setState({ progress: null });
    pushAlert(`Could not load that face model: ${userMessage(error)}`);
  }
}

export async function importResnet50(file: File): Promise<void> {
  try {
    const bytes = await file.arrayBuffer();
    const c = requireClient();
    const info = await loadEmbedder(() => c.importResnet50(bytes));
    useStore.setState({ embedders: await c.listEmbedders(), embedder: info });
    void refreshStoredWeights();
    rerunFinishedPhotos();
  } catch (error) {
    useStore.setState({ progress: null });
    pushAlert(`Could not use “${file.name}”: ${userMessage(error)}`);
    // the previous embedder stays usable
    const previous = useStore.getState().embedder;
    if (previous) void chooseEmbedder(previous.id);
  }
}

async function refreshStoredWeights(): Promise<void> {
  try {
    useStore.setState({ storedWeightsBytes: await requireClient().storedResnet50Bytes() });
  } catch {
    useStore.setState({ storedWeightsBytes: null });
  }
}

/** Restarts the worker on the chosen backend, reloads the current model and re-runs both photos. */
export async function chooseBackend(preference: BackendPreference): Promise<void> {
  try {
    localStorage.setItem(BACKEND_CHOICE_KEY, preference);
  } catch {
    // not remembered; harmless
  }
  useStore.setState({ backendPreference: preference, backendPreferenceSource: 'settings', backend: null, notice: null });
  const c = requireClient();
  const current = useStore.getState().embedder?.id;
  try {
    await loadEmbedder(async () => {
      await c.setBackend(preference);
      return c.loadModels(current ?? (await c.listEmbedders())[0].id);
    });
    rerunFinishedPhotos();
  } catch (error) {
    useStore.setState({ progress: null });
    pushAlert(`Could not switch the compute backend: ${userMessage(error)}`);
  }
}

/** Deletes the user's ResNet50 weights; if that model is in use, goes back to the default one. */
export async function deleteStoredWeights(): Promise<void> {
  const c = requireClient();
  try {
    await c.deleteStoredResnet50();
    const embedders = await c.listEmbedders();
    useStore.setState({ embedders, storedWeightsBytes: null });
    if (useStore.getState().embedder?.id === 'vggface2-resnet50') await chooseEmbedder(embedders[0].id);
  } catch (error) {
    pushAlert(`Could not delete the stored weights: ${userMessage(error)}`);
  }
  await refreshStoredWeights();
}

/** Whether requestId is still the latest run of a photo still in the collection (older work's results are dropped). */
function isCurrentRequest(id: string, requestId: number): boolean {
  return useStore.getState().photos[id]?.requestId === requestId;
}

const isBusy = (photo: PhotoEntry) => photo.status === 'decoding' || photo.status === 'analyzing';

/** Shows a photo in a slot; the work of the photo it replaces there is cancelled, the other slot is untouched. */
function showInSlot(slot: PhotoSlot, entry: PhotoEntry | null): void {
  const previous = slotPhoto(useStore.getState(), slot);
  if (isBusy(previous) && previous.id !== entry?.id) client?.cancel(previous.id, previous.requestId);
  placeInSlot(slot, entry);
  clearDerived();
}

/** Ids of the photos chosen in Compare (Library photos keep their own, the hash of their bytes). */
let compareIds = 0;

/** How messages name a photo: by the slot that shows it. */
function photoLabel(id: string): string {
  return `Photo ${slotOf(useStore.getState(), id) ?? ''}`.trim();
}

function clearDerived(): void {
  useStore.setState({ matrix: null, highlight: { A: null, B: null } });
}

/**
 * Checks that the browser can decode the whole photo (a truncated JPEG fails here, where an <img> would show half
 * of it) and reads its upright size. The check decodes on a browser thread and its bitmap is dropped at once: the
 * page shows the file with an <img>, which the browser decodes at display size and rasterises off the main thread
 * (a canvas given the decoded bitmap cost the page a 50-100 ms task per photo on 2 cores).
 */
async function openForDisplay(blob: Blob): Promise<{ imageUrl: string; width: number; height: number }> {
  const decoded = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  const { width, height } = decoded;
  decoded.close();
  return { imageUrl: URL.createObjectURL(blob), width, height };
}

async function sniffBlob(blob: Blob): Promise<SniffedFormat> {
  try {
    return sniffFormat(new Uint8Array(await blob.slice(0, SNIFF_BYTES).arrayBuffer()));
  } catch {
    return null;
  }
}

/** Puts a new photo into a slot: a new photo of the collection, which the worker analyses. */
export async function setPhoto(slot: PhotoSlot, blob: Blob, name: string): Promise<void> {
  const id = `compare-${++compareIds}`;
  const entry: PhotoEntry = { ...newPhoto(id, name), status: 'decoding', file: blob };
  const { requestId } = entry;
  showInSlot(slot, entry);
  const isCurrent = () => isCurrentRequest(id, requestId);
  // The worker decodes the file for itself, so its analysis starts now, alongside the check for display;
  // what it finds is applied only once the file has proved to be an image.
  const displayed = openForDisplay(blob).then(
    (image) => {
      if (!isCurrent()) {
        URL.revokeObjectURL(image.imageUrl);
        return false;
      }
      updatePhoto(id, image);
      return true;
    },
    async () => {
      if (!isCurrent()) return false;
      client?.cancel(id, requestId);
      const message = undecodableMessage(name, await sniffBlob(blob));
      if (!isCurrent()) return false;
      updatePhoto(id, { status: 'error', error: message, file: null });
      pushAlert(`${photoLabel(id)}: ${message}`);
      return false;
    },
  );
  await runAnalysis(id, requestId, displayed);
}

/**
 * After a model change: photos already analysed run again on the new model. Photos still in flight need nothing:
 * runAnalysis discards a result from a model that was replaced meanwhile and runs again by itself.
 */
function rerunFinishedPhotos(): void {
  for (const photo of Object.values(useStore.getState().photos)) {
    if (photo.file && photo.imageUrl && (photo.status === 'done' || photo.status === 'error')) void reanalyze(photo.id);
  }
}

/** Runs a photo again (after an embedder change) without touching its image. */
async function reanalyze(id: string): Promise<void> {
  const previous = useStore.getState().photos[id];
  if (!previous) return;
  if (isBusy(previous)) client?.cancel(id, previous.requestId);
  const requestId = previous.requestId + 1;
  updatePhoto(id, { requestId, faces: [], embedder: null, error: null });
  clearDerived();
  await runAnalysis(id, requestId);
}

/** How long an analysis may go without finishing before the panel says so and offers a retry (a safety net). */
const STALL_AFTER_MS = 60_000;
function stallAfterMs(): number {
  // e2e hook: the start-up tests shorten it to see the notice without waiting a minute
  return (globalThis as { facematchStallAfterMs?: number }).facematchStallAfterMs ?? STALL_AFTER_MS;
}

let watchdog: ReturnType<typeof setInterval> | null = null;

/** Marks photos whose analysis has run (with the models ready) for longer than stallAfterMs() as stalled. */
function startWatchdog(): void {
  watchdog ??= setInterval(() => {
    const now = performance.now();
    for (const photo of Object.values(useStore.getState().photos)) {
      if (photo.status === 'analyzing' && !photo.stalled && photo.analysisStartedAt !== null && now - photo.analysisStartedAt > stallAfterMs()) {
        updatePhoto(photo.id, { stalled: true });
      }
    }
  }, 1000);
}

/**
 * The stalled notice's retry: a fresh worker (a stuck one may never answer again), on which the analyses in flight
 * run again by themselves; the photos and everything already found stay.
 */
export async function retryStalledAnalysis(): Promise<void> {
  for (const photo of Object.values(useStore.getState().photos)) {
    if (photo.status === 'analyzing') updatePhoto(photo.id, { stalled: false, analysisStartedAt: performance.now() });
  }
  try {
    await requireClient().restartWorker();
  } catch (error) {
    pushAlert(`The analysis worker could not be restarted: ${userMessage(error)}`);
  }
}

const shown = (face: Face): ShownFace => ({ ...face, cropUrl: URL.createObjectURL(face.crop) });

/** `displayed` settles false when the photo turned out not to be an image (that message wins) or was replaced. */
async function runAnalysis(id: string, requestId: number, displayed: Promise<boolean> = Promise.resolve(true)): Promise<void> {
  const isCurrent = () => isCurrentRequest(id, requestId);
  updatePhoto(id, { status: 'analyzing', stalled: false, analysisStartedAt: null });
  try {
    // The worker decodes the file itself, off this thread: sending a bitmap copy cost the main thread a
    // 10-20 ms serialisation per photo.
    const makeSource = async (): Promise<PhotoSource> => {
      const file = useStore.getState().photos[id]?.file;
      if (!file || !isCurrent()) throw new Error('photo was replaced');
      return { kind: 'bytes', bytes: await file.arrayBuffer() };
    };
    for (;;) {
      await whenModelsReady();
      if (!isCurrent()) return;
      const started = performance.now();
      updatePhoto(id, { analysisStartedAt: started });
      const result = await requireClient().analyze({ photoId: id, name: useStore.getState().photos[id].name, requestId }, makeSource);
      if (isCancelled(result) || !(await displayed) || !isCurrent()) return;
      // a model change may have begun while this photo was analysed: its result counts only for the model in use
      await whenModelsReady();
      if (!isCurrent()) return;
      if (result.photo.embedder !== useStore.getState().embedder?.id) continue;
      updatePhoto(id, {
        status: 'done',
        faces: result.photo.faces.map(shown),
        embedder: result.photo.embedder,
        stalled: false,
        analysisStartedAt: null,
        timings: { total: performance.now() - started, ...result.millis },
      });
      await updateMatrix();
      return;
    }
  } catch (error) {
    if (!(await displayed) || !isCurrent()) return;
    const message = userMessage(error);
    updatePhoto(id, { status: 'error', error: message, stalled: false, analysisStartedAt: null });
    pushAlert(`${photoLabel(id)} could not be analysed: ${message}`);
  }
}

async function updateMatrix(): Promise<void> {
  const state = useStore.getState();
  const [a, b] = [slotPhoto(state, 'A'), slotPhoto(state, 'B')];
  const { embedder } = state;
  if (a.status !== 'done' || b.status !== 'done' || !embedder) return;
  if (a.embedder !== embedder.id || b.embedder !== embedder.id) return;
  const values = await requireClient().distances(
    a.faces.map((f) => f.embedding),
    b.faces.map((f) => f.embedding),
    embedder.metric,
  );
  const now = useStore.getState();
  const same = (before: PhotoEntry, after: PhotoEntry) => before.id === after.id && before.requestId === after.requestId;
  if (!same(a, slotPhoto(now, 'A')) || !same(b, slotPhoto(now, 'B'))) return;
  useStore.setState({ matrix: { a: { id: a.id, requestId: a.requestId }, b: { id: b.id, requestId: b.requestId }, values } });
}

/**
 * Shows a Library photo in a slot: the same kind of photo as an analysed one, its image the stored preview. Already
 * analysed, it is not run again (there is no file to run; the Library re-indexes it after a model change).
 */
export async function showStoredPhoto(slot: PhotoSlot, photo: Photo, preview: Blob): Promise<void> {
  const previous = useStore.getState().photos[photo.id];
  showInSlot(slot, {
    ...newPhoto(photo.id, photo.name),
    ...photo,
    faces: photo.faces.map(shown),
    status: 'done',
    requestId: (previous?.requestId ?? 0) + 1,
    imageUrl: URL.createObjectURL(preview),
  });
  await updateMatrix();
}

export function removePhoto(slot: PhotoSlot): void {
  showInSlot(slot, null);
}

/**
 * Reads an image from a URL. The page's CSP keeps connect-src to this origin, so the image is loaded
 * as an <img crossorigin> (img-src allows http/https for exactly this) and copied into a local PNG blob;
 * the host must allow cross-origin reads (CORS). Most hosts do not; say so plainly.
 */
export async function setPhotoFromUrl(slot: PhotoSlot, rawUrl: string): Promise<void> {
  let url: URL;
  try {
    url = new URL(rawUrl.trim(), location.href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
  } catch {
    pushAlert(`Photo ${slot}: “${rawUrl}” is not a web address (it should start with https://).`);
    return;
  }
  let blob: Blob;
  try {
    blob = await loadImageAsBlob(url);
  } catch {
    pushAlert(
      `Photo ${slot}: ${url.host} refused to let this page read the image (it allows no cross-origin reads, ` +
        'or there is no image at that address). Save the image and drop the file here instead.',
    );
    return;
  }
  const name = decodeURIComponent(url.pathname.split('/').pop() || url.host);
  await setPhoto(slot, blob, name);
}

async function loadImageAsBlob(url: URL): Promise<Blob> {
  const img = new Image();
  img.crossOrigin = 'anonymous';
  img.referrerPolicy = 'no-referrer';
  img.decoding = 'async';
  img.src = url.href;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth;
  canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(img, 0, 0);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  canvas.width = canvas.height = 0;
  if (!blob) throw new Error('could not copy the image');
  return blob;
}

export function setThreshold(threshold: number): void {
  useStore.setState({ threshold });
}

export function resetThreshold(): void {
  const embedder = useStore.getState().embedder;
  if (embedder) useStore.setState({ threshold: embedder.defaultThreshold });
}

export function setMode(mode: MatchMode): void {
  useStore.setState({ mode });
}
