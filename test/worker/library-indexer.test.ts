// The Library's indexing loop against a real IndexedDB implementation (fake-indexeddb) and real FDDB files, with the
// model steps replaced by recorders: faces of several photos share embed steps, each photo is stored whole as soon as
// its faces are done, a pause stores nothing more, a change of model re-embeds every stored face in the background
// and drops the old vectors only at the end, and a second tab waits for the first one's lock.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibraryDb, photoId, type LibraryFace, type NewPhoto } from '../../src/storage/library-db';
import { EMBED_BATCH, INDEXER_LOCK, LibraryIndexer, type DetectedPhoto, type IndexedFace, type IndexerDeps } from '../../src/worker/library-indexer';
import type { LibraryProgress } from '../../src/worker/protocol';
import { sharedDir } from '../support/node-ml';

const fddb = (JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as { images: { image: string; boxes: number[][] }[] }).images;

/** FDDB photos as the Library gets them; each "detects" its annotated faces. */
async function photos(count: number): Promise<{ photo: NewPhoto; faces: number }[]> {
  return Promise.all(
    fddb.slice(0, count).map(async ({ image, boxes }, i) => {
      const bytes = fs.readFileSync(path.join(sharedDir, 'datasets/fddb', image));
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      return { photo: { id: await photoId(buffer), name: `${i}.jpg`, folder: '', file: new Blob([bytes]) }, faces: boxes.length };
    }),
  );
}

type Face = { photo: string; index: number };
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

class Recorder {
  key: string | null = 'model-a@1';
  embedCalls: Face[][] = [];
  reembedCalls: string[][] = [];
  detected: string[] = [];
  /** runs inside detect/embed/reembed, e.g. to look at the database mid-way */
  during: (() => Promise<void>) | null = null;
  constructor(private readonly faces: Map<string, number>) {}

  deps(db: LibraryDb, locks: LockManager | null = null): IndexerDeps<Face> {
    return {
      db,
      locks,
      embedderKey: () => this.key,
      decode: async (file) => ({ close() {}, file }) as unknown as ImageBitmap,
      detect: async (decoding): Promise<DetectedPhoto<Face>> => {
        const { file } = (await decoding) as unknown as { file: Blob };
        const id = await photoId(await file.arrayBuffer());
        this.detected.push(id);
        await tick();
        await this.during?.();
        return { width: 450, height: 300, preview: new Blob([id]), faces: Array.from({ length: this.faces.get(id)! }, (_, index) => ({ photo: id, index })) };
      },
      embed: async (faces): Promise<Promise<IndexedFace>[]> => {
        this.embedCalls.push(faces);
        await tick();
        await this.during?.();
        return faces.map(async (f): Promise<IndexedFace> => ({
          box: [f.index * 10, 0, 10, 10],
          keypoints: { left_eye: [1, 1], right_eye: [2, 1], nose: [1, 2], mouth_left: [1, 3], mouth_right: [2, 3] },
          confidence: 1,
          crop: new Blob(['crop']),
          embedding: Float32Array.of(f.index, 1),
          source: { image: new Blob(['source']), box: [0, 0, 10, 10], keypoints: { left_eye: [1, 1], right_eye: [2, 1], nose: [1, 2], mouth_left: [1, 3], mouth_right: [2, 3] } },
        }));
      },
      reembed: async (faces: LibraryFace[]) => {
        this.reembedCalls.push(faces.map((f) => f.id));
        await tick();
        await this.during?.();
        return faces.map((f) => Float32Array.of(f.index, 2));
      },
      failureReason: async () => null,
    };
  }
}

async function settled(indexer: LibraryIndexer<Face>): Promise<LibraryProgress> {
  let last!: LibraryProgress;
  indexer.watch((p) => (last = p));
  for (let i = 0; i < 2000 && !(last.state === 'idle' && last.reindex === null && !last.otherTab && (await idle(indexer))); i++) await tick();
  return last;
}
const idle = async (indexer: LibraryIndexer<Face>) => (indexer as unknown as { running: Promise<void> | null }).running === null;

let db: LibraryDb;
let name = '';
beforeEach(() => {
  name = `indexer-test-${Math.random()}`;
  db = new LibraryDb(name);
});
afterEach(async () => {
  db.close();
  indexedDB.deleteDatabase(name);
});

describe('LibraryIndexer', () => {
  it('embeds faces of several photos together and stores each photo whole, with its faces, vectors and sources', async () => {
    const set = await photos(9);
    const rec = new Recorder(new Map(set.map((p) => [p.photo.id, p.faces])));
    await db.addPhotos(set.map((p) => p.photo));
    const indexer = new LibraryIndexer<Face>(rec.deps(db));
    await indexer.enqueued(set.length);
    const progress = await settled(indexer);

    const totalFaces = set.reduce((n, p) => n + p.faces, 0);
    expect(progress).toMatchObject({ done: 9, queued: 9, faces: totalFaces, failed: 0, analysedThisSession: 9, error: null });
    // every face embedded once, at most EMBED_BATCH a step, and some steps hold faces of two or more photos
    expect(rec.embedCalls.flat()).toHaveLength(totalFaces);
    expect(Math.max(...rec.embedCalls.map((c) => c.length))).toBeLessThanOrEqual(EMBED_BATCH);
    expect(rec.embedCalls.some((c) => new Set(c.map((f) => f.photo)).size >= 2)).toBe(true);
    expect(rec.embedCalls.length).toBeLessThan(set.filter((p) => p.faces > 0).length);
    for (const { photo, faces } of set) {
      expect(await db.photo(photo.id)).toMatchObject({ status: 'indexed', faceCount: faces });
      const stored = await db.facesOf(photo.id);
      expect(stored.map((f) => f.index)).toEqual([...Array(faces).keys()]);
      expect(stored.every((f) => f.source?.image instanceof Blob)).toBe(true);
      expect((await db.vectorsOf(photo.id)).map((v) => [v.embedder, v.vector[0]])).toEqual(stored.map((f) => ['model-a@1', f.index]));
    }
    expect((await db.counts()).pending).toBe(0);
  });

  it('stores a photo as soon as its faces are embedded, while later photos are still being detected', async () => {
    const set = await photos(8);
    const rec = new Recorder(new Map(set.map((p) => [p.photo.id, p.faces])));
    await db.addPhotos(set.map((p) => p.photo));
    const indexedWhenDetecting: number[] = [];
    rec.during = async () => {
      if (rec.embedCalls.length > 0 && rec.detected.length > 0) indexedWhenDetecting.push((await db.counts()).photos);
    };
    const indexer = new LibraryIndexer<Face>(rec.deps(db));
    await indexer.enqueued(set.length);
    await settled(indexer);
    // photos were already in the database while the rest of the queue was still being worked on
    expect(indexedWhenDetecting.some((n) => n > 0 && n < set.length)).toBe(true);
  });

  it('stores nothing more once paused, and finishes the queue on resume without analysing a photo twice', async () => {
    const set = await photos(12);
    const rec = new Recorder(new Map(set.map((p) => [p.photo.id, p.faces])));
    await db.addPhotos(set.map((p) => p.photo));
    const indexer = new LibraryIndexer<Face>(rec.deps(db));
    let progress!: LibraryProgress;
    indexer.watch((p) => (progress = p));
    await indexer.enqueued(set.length);
    while ((await db.counts()).photos < 2) await tick();
    indexer.pause();
    expect(progress.state).toBe('paused');
    const atPause = (await db.counts()).photos;
    for (let i = 0; i < 50; i++) await tick();
    // at most the one write already under way when the pause came
    expect((await db.counts()).photos).toBeLessThanOrEqual(atPause + 1);
    expect((await db.counts()).photos).toBeLessThan(set.length);
    indexer.resume();
    const done = await settled(indexer);
    expect((await db.counts()).photos).toBe(set.length);
    expect(done.analysedThisSession).toBe(set.length);
  });

  it('re-embeds every stored face for a new model in the background and drops the old vectors only when all are done', async () => {
    const set = await photos(10);
    const rec = new Recorder(new Map(set.map((p) => [p.photo.id, p.faces])));
    await db.addPhotos(set.map((p) => p.photo));
    const indexer = new LibraryIndexer<Face>(rec.deps(db));
    await indexer.enqueued(set.length);
    await settled(indexer);
    const withFaces = set.filter((p) => p.faces > 0);
    expect(await db.photosMissing('model-b@2')).toHaveLength(withFaces.length);

    rec.key = 'model-b@2';
    const oldVectorsDuring: number[] = [];
    const reindexSeen: LibraryProgress['reindex'][] = [];
    indexer.watch((p) => reindexSeen.push(p.reindex));
    rec.during = async () => {
      oldVectorsDuring.push((await db.embeddings('model-a@1')).length);
    };
    indexer.start();
    await settled(indexer);

    const totalFaces = withFaces.reduce((n, p) => n + p.faces, 0);
    expect(rec.reembedCalls.flat().sort()).toEqual(withFaces.flatMap((p) => [...Array(p.faces).keys()].map((i) => `${p.photo.id}:${i}`)).sort());
    // more than one step, and the old model's vectors were all there during each of them
    expect(rec.reembedCalls.length).toBeGreaterThan(1);
    expect(oldVectorsDuring.every((n) => n === totalFaces)).toBe(true);
    expect(await db.photosMissing('model-b@2')).toEqual([]);
    expect(await db.embeddings('model-a@1')).toEqual([]);
    expect((await db.embeddings('model-b@2')).length).toBe(totalFaces);
    // the progress named the model and counted every photo with faces
    const last = reindexSeen.filter(Boolean).at(-1)!;
    expect(last).toMatchObject({ model: 'model-b', done: withFaces.length, total: withFaces.length });
    expect(reindexSeen.at(-1)).toBeNull();
  });

  it('leaves the queue to the tab holding the lock, says so, and takes over when that tab lets go', async () => {
    const set = await photos(3);
    const rec = new Recorder(new Map(set.map((p) => [p.photo.id, p.faces])));
    await db.addPhotos(set.map((p) => p.photo));
    // a LockManager with one lock that "the other tab" holds until released
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const requested: string[] = [];
    const locks = {
      async request(lockName: string, optionsOrCallback: unknown, maybeCallback?: (lock: unknown) => Promise<unknown>) {
        requested.push(lockName);
        const options = typeof optionsOrCallback === 'function' ? {} : (optionsOrCallback as { ifAvailable?: boolean });
        const callback = (typeof optionsOrCallback === 'function' ? optionsOrCallback : maybeCallback) as (lock: unknown) => Promise<unknown>;
        if (options.ifAvailable) return callback(null);
        await held;
        return callback({ name: lockName });
      },
    } as unknown as LockManager;
    const indexer = new LibraryIndexer<Face>(rec.deps(db, locks));
    let progress!: LibraryProgress;
    indexer.watch((p) => (progress = p));
    await indexer.enqueued(set.length);
    for (let i = 0; i < 20; i++) await tick();
    expect(progress.otherTab).toBe(true);
    expect(rec.detected).toEqual([]);
    expect(requested.every((n) => n === INDEXER_LOCK)).toBe(true);
    release();
    const done = await settled(indexer);
    expect(done.otherTab).toBe(false);
    expect((await db.counts()).photos).toBe(set.length);
  });
});
