// The UI's handle on the ML worker. It restarts the worker when it crashes (an uncaught error, or a GPU
// failure: a lost WebGPU device or WebGL context), falls back to the next backend in the order (WebGPU ->
// hardware WebGL -> WASM), reloads the models and re-runs the step that was interrupted.
// Only types come from the worker side: this file must not pull tfjs into the UI bundle.
import * as Comlink from 'comlink';
import type { EmbedderId, EmbedderInfo, SimilarityMetric } from '../ml/types';
import {
  BACKEND_ORDER,
  BACKEND_SHORT_NAMES,
  USER_ERROR_PREFIX,
  type AnalyzeRequest,
  type AnalyzedPhoto,
  type BackendName,
  type BackendPreference,
  type BackendReport,
  type CancelledAnalysis,
  type FacematchWorkerApi,
  type PeopleWorkerApi,
  type LibraryAddOutcome,
  type LibraryFileIn,
  type LibraryProgressCallback,
  type PhotoSource,
  type ProgressCallback,
  type WebglProbe,
} from '../worker/protocol';

class WorkerCrashed extends Error {
  constructor(reason: string) {
    super(`the analysis worker stopped: ${reason}`);
    this.name = 'WorkerCrashed';
  }
}

/** Errors the worker raised on purpose carry a message meant for people; anything else is a fault. */
function isUserError(error: unknown): boolean {
  return error instanceof Error && error.message.includes(USER_ERROR_PREFIX);
}

/** The worker was replaced on purpose (a backend change); the call runs again on the new one. */
class WorkerReplaced extends Error {}

export { userMessage } from '../worker/protocol';

export interface WorkerClientEvents {
  onBackend(report: BackendReport): void;
  onProgress: ProgressCallback;
  /** the worker stopped and was restarted on `backend` */
  onRestart(reason: string, backend: BackendName): void;
}

interface Instance {
  worker: Worker;
  api: Comlink.Remote<FacematchWorkerApi>;
  crashed: Promise<never>;
  /** ends the worker; calls in flight fail with WorkerReplaced instead of waiting forever */
  stop(): void;
}

function startWorker(onCrash: (reason: string) => void): Instance {
  const worker = new Worker(new URL('../worker/facematch.worker.ts', import.meta.url), {
    type: 'module',
    name: 'facematch-ml',
  });
  let replaced: () => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => {
    replaced = () => reject(new WorkerReplaced('the analysis worker was replaced'));
    const fail = (reason: string) => {
      reject(new WorkerCrashed(reason));
      onCrash(reason);
    };
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      fail(event.message || 'uncaught error');
    });
    worker.addEventListener('messageerror', () => fail('a message could not be read'));
  });
  crashed.catch(() => undefined); // observed by whichever call is in flight
  const api = Comlink.wrap<FacematchWorkerApi>(worker);
  const stop = () => {
    replaced();
    api[Comlink.releaseProxy]();
    worker.terminate();
  };
  return { worker, api, crashed, stop };
}

const PROBE_CACHE_KEY = 'facematch.webgl-probe';
const PROBE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

/** The last WebGL2 probe of this browser (a software renderer takes seconds to probe); undefined = probe again. */
function cachedWebglProbe(): WebglProbe | null | undefined {
  try {
    const cached = JSON.parse(localStorage.getItem(PROBE_CACHE_KEY) ?? 'null') as {
      userAgent: string;
      at: number;
      probe: WebglProbe | null;
    } | null;
    if (cached && cached.userAgent === navigator.userAgent && Date.now() - cached.at < PROBE_MAX_AGE_MS) return cached.probe;
  } catch {
    // unreadable or blocked storage: probe again
  }
  return undefined;
}

function cacheWebglProbe(probe: WebglProbe | null): void {
  try {
    localStorage.setItem(PROBE_CACHE_KEY, JSON.stringify({ userAgent: navigator.userAgent, at: Date.now(), probe }));
  } catch {
    // not cached; harmless
  }
}

export class WorkerClient {
  private instance: Instance;
  private preference: BackendPreference;
  private backend: BackendReport | null = null;
  private ready: Promise<BackendReport>;
  private embedder: EmbedderId | null = null;
  private restarting: Promise<void> | null = null;
  private readonly events: WorkerClientEvents;
  private readonly maxRestarts = 3;
  private restarts = 0;

  constructor(preference: BackendPreference, events: WorkerClientEvents) {
    this.preference = preference;
    this.events = events;
    this.instance = this.spawn();
    this.ready = this.initialise();
  }

  /** A crash restarts the worker at once, even when idle, so the next request finds a live one. */
  private spawn(): Instance {
    const instance = startWorker((reason) => {
      if (this.instance === instance) this.restart(reason).catch(() => undefined);
    });
    return instance;
  }

  private async initialise(): Promise<BackendReport> {
    const { api, crashed } = this.instance;
    const report = await Promise.race([api.init(this.preference, cachedWebglProbe()), crashed]);
    if (report.webgl !== undefined) cacheWebglProbe(report.webgl);
    this.backend = report;
    this.events.onBackend(report);
    return report;
  }

  /**
   * Stops the worker, starts a fresh one on `preference`, initialises it and reloads the current embedder;
   * `before` runs first, inside the replacement, so what it throws fails the replacement. Callers keep the
   * promise in `restarting`, which this clears when it settles.
   */
  private replaceWorker(preference: BackendPreference, before?: () => void): Promise<void> {
    return (async () => {
      before?.();
      this.instance.stop();
      this.preference = preference;
      this.instance = this.spawn();
      this.ready = this.initialise();
      await this.ready;
      if (this.libraryListener) await this.instance.api.libraryWatch(Comlink.proxy(this.libraryListener));
      if (this.embedder) await this.loadModelsOnce(this.embedder);
    })().finally(() => {
      this.restarting = null;
    });
  }

  /**
   * Where a crashed worker restarts: the backend after the one that failed, in the order, taking WebGL only on a
   * hardware GPU (the crash was most likely the GPU's; WASM is the dependable one, and a crash on WASM stays there).
   */
  private nextBackend(): BackendName {
    const failed = this.backend?.name ?? 'wasm';
    const webgl = this.backend?.webgl;
    const after = BACKEND_ORDER.slice(BACKEND_ORDER.indexOf(failed) + 1);
    return after.find((name) => name === 'wasm' || (name === 'webgl' && webgl && !webgl.software)) ?? 'wasm';
  }

  private async restart(reason: string): Promise<void> {
    const next = this.nextBackend();
    this.restarting ??= this.replaceWorker(next, () => {
      this.restarts += 1;
      if (this.restarts > this.maxRestarts) throw new Error(`the analysis worker keeps failing (${reason})`);
      this.events.onRestart(reason, next);
    });
    return this.restarting;
  }

  /** Runs one step; if the worker dies (or WebGL fails) meanwhile, restarts it and runs the step again. */
  private async run<T>(step: (api: Comlink.Remote<FacematchWorkerApi>) => Promise<T>, retries = 1): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.restarting) await this.restarting;
      let crashed = this.instance.crashed;
      try {
        // inside the try: a worker that dies or is replaced while starting is retried like one that dies mid-step
        await this.ready;
        if (this.restarting) {
          attempt--; // replaced meanwhile: wait for the new worker and its models
          continue;
        }
        const { api } = this.instance;
        crashed = this.instance.crashed;
        return await Promise.race([step(api), crashed]);
      } catch (error) {
        if (error instanceof WorkerReplaced) {
          attempt--; // not a failure: run it on the new worker
          continue;
        }
        const crash = error instanceof WorkerCrashed;
        const gpu = this.backend && this.backend.name !== 'wasm' ? BACKEND_SHORT_NAMES[this.backend.name] : null;
        const gpuFault = !crash && !isUserError(error) && gpu !== null;
        // a lost GPU fails the step (a read-back rejects) before the worker reports why: where that report comes
        // soon (WebGL's context-lost event), it names the loss in the restart's reason
        if (gpuFault) await Promise.race([crashed.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 500))]);
        if ((!crash && !gpuFault) || attempt >= retries) {
          if (crash || gpuFault) this.restart(crash ? error.message : `${gpu} failed`).catch(() => undefined);
          throw error;
        }
        await this.restart(crash ? error.message : `${gpu} failed: ${(error as Error).message}`);
      }
    }
  }

  /** The backend report of the worker that is current once start-up settles (a crash while starting restarts it). */
  async init(): Promise<BackendReport> {
    for (;;) {
      const ready = this.ready;
      let report: BackendReport | undefined;
      let failure: unknown = null;
      try {
        report = await ready;
      } catch (error) {
        failure = error;
      }
      // `ready` is replaced with the worker: answer for the current one, not one that was replaced meanwhile
      if (this.restarting) await this.restarting.catch(() => undefined);
      if (ready !== this.ready) continue;
      if (failure !== null) throw failure;
      return report!;
    }
  }

  /** Starts a fresh worker on the chosen backend (tfjs models cannot move between backends) and reloads the models. */
  async setBackend(preference: BackendPreference): Promise<BackendReport> {
    if (this.restarting) await this.restarting.catch(() => undefined);
    this.restarting = this.replaceWorker(preference);
    await this.restarting;
    return this.ready;
  }

  /** Replaces a worker that stopped answering (the stall watchdog's retry); calls in flight run again on the new one. */
  restartWorker(): Promise<void> {
    this.restarting ??= this.replaceWorker(this.preference);
    return this.restarting;
  }

  private libraryListener: LibraryProgressCallback | null = null;

  /** Library progress, now and on every change; registered again on every new worker. */
  async watchLibrary(onProgress: LibraryProgressCallback): Promise<void> {
    this.libraryListener = onProgress;
    await this.run((api) => api.libraryWatch(Comlink.proxy(onProgress)));
  }

  libraryAdd(files: LibraryFileIn[]): Promise<LibraryAddOutcome> {
    return this.run((api) => api.libraryAdd(files));
  }

  libraryPause(): Promise<void> {
    return this.run((api) => api.libraryPause());
  }

  libraryResume(): Promise<void> {
    return this.run((api) => api.libraryResume());
  }

  libraryCancel(): Promise<void> {
    return this.run((api) => api.libraryCancel());
  }

  /** People: one typed way in for every grouping call and edit (the worker serialises them). */
  people<K extends keyof PeopleWorkerApi>(method: K, ...args: Parameters<PeopleWorkerApi[K]>): ReturnType<PeopleWorkerApi[K]> {
    return this.run((api) => (api[method] as (...a: Parameters<PeopleWorkerApi[K]>) => Promise<unknown>)(...args)) as ReturnType<PeopleWorkerApi[K]>;
  }

  storedResnet50Bytes(): Promise<number | null> {
    return this.run((api) => api.storedResnet50Bytes());
  }

  deleteStoredResnet50(): Promise<void> {
    return this.run((api) => api.deleteStoredResnet50());
  }

  listEmbedders(): Promise<EmbedderInfo[]> {
    return this.run((api) => api.listEmbedders());
  }

  private async loadModelsOnce(id: EmbedderId): Promise<EmbedderInfo> {
    const { api, crashed } = this.instance;
    return Promise.race([api.loadModels(id, Comlink.proxy(this.events.onProgress)), crashed]);
  }

  async loadModels(id: EmbedderId): Promise<EmbedderInfo> {
    const info = await this.run((api) => api.loadModels(id, Comlink.proxy(this.events.onProgress)));
    this.embedder = id;
    return info;
  }

  async importResnet50(h5: ArrayBuffer): Promise<EmbedderInfo> {
    // Not retried: the bytes are transferred, and a crash while parsing 94 MB is better reported than repeated.
    const info = await this.run((api) =>
      api.importResnet50(Comlink.transfer(h5, [h5]), Comlink.proxy(this.events.onProgress)),
      0,
    );
    this.embedder = info.id;
    return info;
  }

  /** makeSource is called per attempt: transferred bytes cannot be sent twice. */
  analyze(request: Omit<AnalyzeRequest, 'source'>, makeSource: () => Promise<PhotoSource>): Promise<AnalyzedPhoto | CancelledAnalysis> {
    return this.run(async (api) => {
      const source = await makeSource();
      return api.analyze(Comlink.transfer({ ...request, source }, [source.bytes]));
    });
  }

  cancel(photoId: string, requestId: number): void {
    void this.instance.api.cancel(photoId, requestId).catch(() => undefined);
  }

  distances(a: Float32Array[], b: Float32Array[], metric: SimilarityMetric): Promise<number[][]> {
    return this.run((api) => api.distances(a, b, metric));
  }
}
