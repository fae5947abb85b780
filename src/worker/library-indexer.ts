// The Library's indexing queue, in the worker. The queue is the database's pending rows (src/storage), so a reload
// resumes it; each photo is analysed by the same code as Compare's photos and stored in one transaction as soon as it
// is done. The next photo is decoded (on a browser thread) while the current one is analysed.
import type { IndexedPhoto, LibraryDb } from '../storage/library-db';
import type { LibraryProgress } from './protocol';

export interface IndexerDeps {
  db: LibraryDb;
  /** the key of the model in use (id + weights fingerprint); null while no model is loaded */
  embedderKey(): string | null;
  /** starts decoding a file; analyse() finishes it */
  decode(file: Blob): Promise<ImageBitmap>;
  /** analyses one decoded photo (serialised with Compare's work) */
  analyse(decoding: Promise<ImageBitmap>): Promise<IndexedPhoto>;
  /** a message for people, for a file that cannot be indexed */
  failureReason(error: unknown, file: Blob): Promise<string | null>;
}

/** Photos read from the database per round: enough to keep a decode ahead, few enough to keep memory flat. */
const BATCH = 4;

export class LibraryIndexer {
  private running: Promise<void> | null = null;
  private paused = false;
  private cancelled = false;
  private listeners = new Set<(progress: LibraryProgress) => void>();
  private progress: LibraryProgress = { state: 'idle', done: 0, queued: 0, faces: 0, failed: 0, photosPerSecond: null, secondsLeft: null, analysedThisSession: 0, error: null };
  private startedAt = 0;

  constructor(private readonly deps: IndexerDeps) {}

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

  /** Runs the queue until it is empty (also what start-up calls, to resume after a reload). */
  start(): void {
    if (this.paused || this.running || !this.deps.embedderKey()) return;
    this.cancelled = false;
    this.running = this.loop()
      .catch((error: unknown) => {
        this.publish({ state: 'idle', error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        this.running = null;
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

  /** Drops every photo still waiting (what is indexed stays); the photo in flight finishes. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.paused = false;
    await this.running;
    await this.deps.db.dropPending();
    this.publish({ state: 'idle', queued: this.progress.done, secondsLeft: null });
  }

  private async loop(): Promise<void> {
    if (this.progress.queued === 0) await this.startRound();
    this.publish({ state: 'indexing', error: null });
    // the rate counts from the first photo analysed, not from when files were queued (the models may still load)
    if (this.progress.done === 0) this.startedAt = performance.now();
    let next = await this.deps.db.nextPending(BATCH);
    while (next.length > 0 && !this.paused && !this.cancelled) {
      const decodings = next.map(({ file }) => {
        const decoding = this.deps.decode(file);
        decoding.catch(() => undefined); // reported when its turn comes
        return decoding;
      });
      for (let i = 0; i < next.length; i++) {
        if (this.paused || this.cancelled) {
          for (const d of decodings.slice(i)) void d.then((b) => b.close(), () => undefined);
          break;
        }
        await this.indexOne(next[i].photo.id, next[i].file, decodings[i]);
      }
      next = this.paused || this.cancelled ? [] : await this.deps.db.nextPending(BATCH);
    }
    if (!this.paused && !this.cancelled) this.publish({ state: 'idle', secondsLeft: 0 });
  }

  private async indexOne(id: string, file: Blob, decoding: Promise<ImageBitmap>): Promise<void> {
    const key = this.deps.embedderKey();
    if (!key) throw new Error('no model loaded');
    let faces = 0;
    let failed = 0;
    try {
      const result = await this.deps.analyse(decoding);
      await this.deps.db.saveIndexed(id, result, key);
      faces = result.faces.length;
    } catch (error) {
      const reason = await this.deps.failureReason(error, file);
      if (reason === null) throw error; // not the file's fault (storage full, a crash): stop and say so
      await this.deps.db.saveFailed(id, reason);
      failed = 1;
    }
    const done = this.progress.done + 1;
    const seconds = (performance.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : null;
    this.publish({
      done,
      faces: this.progress.faces + faces,
      failed: this.progress.failed + failed,
      analysedThisSession: this.progress.analysedThisSession + 1,
      photosPerSecond: rate,
      secondsLeft: rate ? Math.max(0, this.progress.queued - done) / rate : null,
    });
  }
}
