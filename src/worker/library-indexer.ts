// The Library's indexing queue, in the worker. The queue is the database's pending rows (src/storage), so a reload
// resumes it. Photos are read BATCH at a time: all of them start decoding at once (on browser threads) while they are
// detected one by one, and their faces are embedded together, EMBED_BATCH at a time whichever photo they come from;
// each photo is stored in one transaction as soon as its last face is embedded, while the next step computes.
// When the queue is empty, photos that lack vectors of the model in use are re-embedded from their stored faces
// (a change of model), and the other models' vectors are dropped once every photo has the new ones.
// One tab indexes at a time (a Web Lock): another tab's worker waits for the lock and says so.
import type { IndexedPhoto, LibraryDb, LibraryFace } from '../storage/library-db';
import { modelOfKey } from '../storage/library-db';
import type { LibraryProgress } from './protocol';

export type IndexedFace = IndexedPhoto['faces'][number];

/** A photo decoded and detected, its faces waiting to be embedded (F: whatever embed() needs per face). */
export interface DetectedPhoto<F> {
  width: number;
  height: number;
  /** may still be encoding: the photo is stored once it is done */
  preview: Blob | Promise<Blob>;
  /** left to right, as they are stored */
  faces: F[];
}

export interface IndexerDeps<F = unknown> {
  db: LibraryDb;
  /** the key of the model in use (id + weights fingerprint); null while no model is loaded */
  embedderKey(): string | null;
  /** starts decoding a file; detect() finishes it */
  decode(file: Blob): Promise<ImageBitmap>;
  /** one photo's detection (one step, serialised with Compare's work) */
  detect(decoding: Promise<ImageBitmap>): Promise<DetectedPhoto<F>>;
  /**
   * faces of one or more photos, embedded together (one step), in order; resolves when the step is done, each face's
   * own promise when its images are encoded too (encoding overlaps the next step)
   */
  embed(faces: F[]): Promise<Promise<IndexedFace>[]>;
  /** stored faces, embedded again with the model in use (one step), in order */
  reembed(faces: LibraryFace[]): Promise<Float32Array[]>;
  /** a message for people, for a file that cannot be indexed */
  failureReason(error: unknown, file: Blob): Promise<string | null>;
  /** navigator.locks where there is one: one tab indexes at a time */
  locks?: LockManager | null;
}

/**
 * Photos read from the database per round: the decode-ahead and the photos in flight (what a closed tab loses at
 * most). 4 keeps a decoded photo ready behind each one being analysed and memory flat (each waiting face is a
 * ~200 px region, never the whole photo).
 */
const BATCH = 4;
/** Faces per embed step: the GPU backends' one compiled batch shape; bounds how long a Compare photo waits. */
export const EMBED_BATCH = 8;
/** Photos re-embedded per step of a background re-index. */
const REINDEX_BATCH = 4;

export const INDEXER_LOCK = 'facematch-library-indexer';

interface InFlight<F> {
  id: string;
  detected: DetectedPhoto<F>;
  results: Promise<IndexedFace>[];
}

export class LibraryIndexer<F = unknown> {
  private running: Promise<void> | null = null;
  private paused = false;
  private cancelled = false;
  private listeners = new Set<(progress: LibraryProgress) => void>();
  private progress: LibraryProgress = {
    state: 'idle',
    done: 0,
    queued: 0,
    faces: 0,
    failed: 0,
    photosPerSecond: null,
    secondsLeft: null,
    analysedThisSession: 0,
    error: null,
    reindex: null,
    otherTab: false,
  };
  private startedAt = 0;
  /** stores run one after another, behind the computation */
  private saving: Promise<void> = Promise.resolve();
  private saveError: unknown = null;
  /** photos a re-index has embedded for a model key, this session */
  private tried = new Map<string, Set<string>>();

  constructor(private readonly deps: IndexerDeps<F>) {}

  watch(listener: (progress: LibraryProgress) => void): void {
    this.listeners.add(listener);
    listener(this.progress);
  }

  private publish(patch: Partial<LibraryProgress>): void {
    this.progress = { ...this.progress, ...patch };
    for (const listener of this.listeners) {
      try {
        listener(this.progress);
      } catch {
        this.listeners.delete(listener); // a page that went away
      }
    }
  }

  /** A new round of indexing: the counters start again from what is waiting in the database. */
  private async startRound(): Promise<void> {
    const { pending } = await this.deps.db.counts();
    this.publish({ done: 0, faces: 0, failed: 0, queued: pending, photosPerSecond: null, secondsLeft: null });
  }

  /** Counts newly queued photos into the progress and makes sure the loop runs. */
  async enqueued(count: number): Promise<void> {
    if (this.progress.state === 'idle') await this.startRound();
    else this.publish({ queued: this.progress.queued + count });
    this.start();
  }

  /** Runs the queue until it is empty, then any re-index (also what start-up and a change of model call). */
  start(): void {
    if (this.paused || this.running || !this.deps.embedderKey()) return;
    this.cancelled = false;
    this.saveError = null;
    this.running = this.locked(() => this.loop())
      .catch((error: unknown) => {
        this.publish({ state: 'idle', error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** Runs `work` holding the indexer lock; while another tab holds it, says so and waits for it. */
  private async locked(work: () => Promise<void>): Promise<void> {
    const locks = this.deps.locks;
    if (!locks) return work();
    const ran = await locks.request(INDEXER_LOCK, { ifAvailable: true }, async (lock) => {
      if (!lock) return false;
      await work();
      return true;
    });
    if (ran) return;
    this.publish({ otherTab: true });
    // queued behind the other tab: it takes over when that tab closes
    await locks.request(INDEXER_LOCK, async () => {
      this.publish({ otherTab: false });
      if (!this.paused && !this.cancelled) await work();
    });
  }

  pause(): void {
    this.paused = true;
    if (this.progress.state === 'indexing') this.publish({ state: 'paused' });
  }

  resume(): void {
    this.paused = false;
    if (this.progress.state === 'paused') this.publish({ state: 'indexing' });
    this.start();
  }

  /** Drops every photo still waiting (what is indexed stays); the photos in flight finish or are dropped. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.paused = false;
    // another tab may hold the lock: do not wait for it here
    if (!this.progress.otherTab) await this.running;
    await this.deps.db.dropPending();
    this.publish({ state: 'idle', queued: this.progress.done, secondsLeft: null });
    // a background re-index carries on
    if (!this.progress.otherTab) {
      this.cancelled = false;
      this.start();
    }
  }

  private stopped(): boolean {
    return this.paused || this.cancelled;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (!this.deps.embedderKey()) return;
      const next = await this.deps.db.nextPending(BATCH);
      if (next.length > 0) {
        if (this.progress.state !== 'indexing') {
          if (this.progress.queued === 0) await this.startRound();
          this.publish({ state: 'indexing', error: null });
          // the rate counts from the first photo analysed, not from when files were queued (the models may still load)
          if (this.progress.done === 0) this.startedAt = performance.now();
        }
        await this.indexRound(next);
      } else {
        if (this.progress.state === 'indexing') this.publish({ state: 'idle', secondsLeft: 0 });
        // photos counted as queued that another tab indexed meanwhile
        else if (this.progress.queued > this.progress.done) await this.startRound();
        if (!(await this.reindexStep())) break;
      }
      if (this.stopped()) return;
    }
    this.publish({ state: 'idle', secondsLeft: 0, reindex: null });
  }

  /** One batch: detections one by one, faces embedded across photos, each photo stored once complete. */
  private async indexRound(next: { photo: { id: string }; file: Blob }[]): Promise<void> {
    const key = this.deps.embedderKey();
    if (!key) return; // a model is loading: its start() runs the queue again
    const decodings = next.map(({ file }) => {
      const decoding = this.deps.decode(file);
      decoding.catch(() => undefined); // reported when its turn comes
      return decoding;
    });
    const waiting: InFlight<F>[] = [];
    const waitingFaces = () => waiting.reduce((n, p) => n + p.detected.faces.length - p.results.length, 0);
    for (let i = 0; i < next.length; i++) {
      if (this.stopped() || this.deps.embedderKey() !== key) {
        for (const d of decodings.slice(i)) void d.then((b) => b.close(), () => undefined);
        break;
      }
      const { id } = next[i].photo;
      let detected: DetectedPhoto<F>;
      try {
        detected = await this.deps.detect(decodings[i]);
      } catch (error) {
        const reason = await this.deps.failureReason(error, next[i].file);
        if (reason === null) throw error; // not the file's fault (storage full, a crash): stop and say so
        this.store(async () => {
          await this.deps.db.saveFailed(id, reason);
          this.counted(0, 1);
        });
        continue;
      }
      waiting.push({ id, detected, results: [] });
      while (waitingFaces() >= EMBED_BATCH && !this.stopped()) await this.embedWaiting(waiting, key);
      this.finishComplete(waiting, key);
    }
    // photos detected before a pause or a change of model stay queued, their work dropped
    while (waitingFaces() > 0 && !this.stopped() && this.deps.embedderKey() === key) await this.embedWaiting(waiting, key);
    this.finishComplete(waiting, key);
    await this.saving;
    if (this.saveError) throw this.saveError;
  }

  /** Embeds the next EMBED_BATCH waiting faces (of one or more photos). */
  private async embedWaiting(waiting: InFlight<F>[], key: string): Promise<void> {
    if (this.saveError) throw this.saveError;
    const taken: { photo: InFlight<F>; count: number }[] = [];
    const faces: F[] = [];
    for (const photo of waiting) {
      const left = photo.detected.faces.slice(photo.results.length, photo.results.length + EMBED_BATCH - faces.length);
      if (left.length === 0) continue;
      taken.push({ photo, count: left.length });
      faces.push(...left);
      if (faces.length >= EMBED_BATCH) break;
    }
    const embedded = await this.deps.embed(faces);
    if (this.deps.embedderKey() !== key) return; // the model changed during the step: these vectors are not its
    let at = 0;
    for (const { photo, count } of taken) {
      photo.results.push(...embedded.slice(at, at + count));
      at += count;
    }
  }

  /** Stores every waiting photo whose faces are all embedded (in the background, in order). */
  private finishComplete(waiting: InFlight<F>[], key: string): void {
    for (let i = 0; i < waiting.length; ) {
      const photo = waiting[i];
      if (photo.results.length < photo.detected.faces.length || this.deps.embedderKey() !== key) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      const { width, height } = photo.detected;
      const encoded = Promise.all([photo.detected.preview, Promise.all(photo.results)]);
      encoded.catch(() => undefined); // reported by the store below
      this.store(async () => {
        const [preview, faces] = await encoded;
        const result: IndexedPhoto = { width, height, preview, faces };
        await this.deps.db.saveIndexed(photo.id, result, key);
        this.counted(result.faces.length, 0);
      });
    }
  }

  /** Queues a store; a paused or cancelled queue stores nothing more (those photos stay queued, redone later). */
  private store(save: () => Promise<void>): void {
    this.saving = this.saving.then(() => (this.stopped() ? undefined : save())).catch((error: unknown) => {
      this.saveError ??= error;
    });
  }

  private counted(faces: number, failed: number): void {
    const done = this.progress.done + 1;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : null;
    // another tab may have queued photos into the same database meanwhile
    const queued = Math.max(this.progress.queued, done);
    this.publish({
      done,
      queued,
      faces: this.progress.faces + faces,
      failed: this.progress.failed + failed,
      analysedThisSession: this.progress.analysedThisSession + 1,
      photosPerSecond: rate,
      secondsLeft: rate ? Math.max(0, queued - done) / rate : null,
    });
  }

  /**
   * One step of the background re-index for the model in use; false when there is nothing (left) to do. The old
   * models' vectors are dropped only when no indexed photo lacks the new one's.
   */
  private async reindexStep(): Promise<boolean> {
    const key = this.deps.embedderKey();
    if (!key) return false;
    const all = await this.deps.db.photosMissing(key);
    if (all.length === 0) {
      if (this.progress.reindex) this.publish({ reindex: null });
      await this.deps.db.dropEmbeddingsExcept(key);
      return false;
    }
    // a photo tried once and still missing (its faces gone meanwhile) is not tried again: the loop must end
    const tried = this.tried.get(key) ?? new Set<string>();
    this.tried.set(key, tried);
    const missing = all.filter((id) => !tried.has(id));
    if (missing.length === 0) return false;
    const reindex = this.progress.reindex?.key === key ? this.progress.reindex : { key, model: modelOfKey(key), done: 0, total: missing.length };
    this.publish({ reindex: { ...reindex, total: reindex.done + missing.length } });
    const ids = missing.slice(0, REINDEX_BATCH);
    ids.forEach((id) => tried.add(id));
    const faces = await Promise.all(ids.map((id) => this.deps.db.facesOf(id)));
    const vectors = await this.deps.reembed(faces.flat());
    if (this.deps.embedderKey() !== key) return true; // the model changed again: start over with the new one
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      await this.deps.db.saveEmbeddings(ids[i], key, vectors.slice(at, at + faces[i].length));
      at += faces[i].length;
    }
    this.publish({ reindex: { ...reindex, done: reindex.done + ids.length, total: reindex.done + missing.length } });
    return true;
  }
}
