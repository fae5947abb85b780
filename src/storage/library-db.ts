// The Library's persistence: the only code that knows the IndexedDB schema. Photos are keyed by the SHA-256 of their
// bytes (the same photo added twice is stored once); the files themselves are kept only while they wait to be
// indexed, so a closed tab resumes where it stopped; once a photo is indexed, what the views need to show it again
// (a downscaled preview, each face's crop, box, keypoints and embedding) is written in ONE transaction with its
// status, and its queued file is dropped in that same transaction.
// Runs in the page and in the worker (Dexie works in both), and in Node against fake-indexeddb in the unit tests.
import Dexie, { type EntityTable, type Table } from 'dexie';
import type { FaceKeypoints } from '../ml/types';

export type PhotoStatus = 'pending' | 'indexed' | 'failed';

export interface LibraryPhoto {
  /** hex SHA-256 of the file's bytes */
  id: string;
  name: string;
  /** the folder path it came from ('' for loose files) */
  folder: string;
  bytes: number;
  addedAt: number;
  status: PhotoStatus;
  /** why a file could not be indexed, in words for people */
  failure?: string;
  width?: number;
  height?: number;
  faceCount?: number;
  indexedAt?: number;
}

export interface LibraryFace {
  /** `${photoId}:${index}` */
  id: string;
  photoId: string;
  /** left to right in its photo, as Compare numbers them */
  index: number;
  box: [number, number, number, number];
  keypoints: FaceKeypoints;
  confidence: number;
  crop: Blob;
}

export interface LibraryEmbedding {
  faceId: string;
  photoId: string;
  /** the embedder id and its weights' fingerprint: vectors of different models never mix */
  embedder: string;
  vector: Float32Array;
}

interface PreviewRow {
  photoId: string;
  blob: Blob;
}

interface PendingFileRow {
  photoId: string;
  file: Blob;
}

/** A photo handed in for indexing: its bytes hashed by the caller (see photoId()). */
export interface NewPhoto {
  id: string;
  name: string;
  folder: string;
  file: Blob;
}

export interface IndexedPhoto {
  width: number;
  height: number;
  preview: Blob;
  faces: { box: [number, number, number, number]; keypoints: FaceKeypoints; confidence: number; crop: Blob; embedding: Float32Array }[];
}

/** The browser refused a write for lack of space; the transaction rolled back, nothing is half-written. */
export class StorageFullError extends Error {
  constructor(cause: unknown) {
    super('the browser has no more storage space for this site');
    this.name = 'StorageFullError';
    this.cause = cause;
  }
}

class LibrarySchema extends Dexie {
  photos!: EntityTable<LibraryPhoto, 'id'>;
  previews!: Table<PreviewRow, string>;
  pending!: Table<PendingFileRow, string>;
  faces!: EntityTable<LibraryFace, 'id'>;
  embeddings!: Table<LibraryEmbedding, [string, string]>;

  constructor(name: string) {
    super(name);
    // Indexes are what the views and the queue query: photos by status (the queue, failures) and by time added
    // (the grid); faces by photo; embeddings by model (re-indexing) and by photo (removal).
    this.version(1).stores({
      photos: 'id, status, addedAt',
      previews: 'photoId',
      pending: 'photoId',
      faces: 'id, photoId',
      embeddings: '[faceId+embedder], embedder, photoId',
    });
  }
}

const isQuotaError = (error: unknown): boolean =>
  error instanceof Error && (error.name === 'QuotaExceededError' || (error as { inner?: Error }).inner?.name === 'QuotaExceededError');

/** How vectors are filed: the model's id and its weights' fingerprint, so vectors of different weights never mix. */
export function modelKey(embedderId: string, fingerprint: string): string {
  return `${embedderId}@${fingerprint}`;
}

/** The model id a vector's key names. */
export function modelOfKey(key: string): string {
  return key.slice(0, key.indexOf('@'));
}

/** The hex SHA-256 of a file's bytes: the photo's key. */
export async function photoId(bytes: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export class LibraryDb {
  private readonly db: LibrarySchema;

  constructor(name = 'facematch-library') {
    this.db = new LibrarySchema(name);
  }

  close(): void {
    this.db.close();
  }

  private async write<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isQuotaError(error)) throw new StorageFullError(error);
      throw error;
    }
  }

  /** Queues new photos; ones already in the library (same bytes) are skipped. One transaction. */
  async addPhotos(photos: NewPhoto[], now = Date.now()): Promise<{ added: string[]; duplicates: string[] }> {
    return this.write(() =>
      this.db.transaction('rw', this.db.photos, this.db.pending, async () => {
        const firstById = new Map<string, NewPhoto>();
        for (const p of photos) if (!firstById.has(p.id)) firstById.set(p.id, p);
        const unique = [...firstById.values()];
        const existing = await this.db.photos.bulkGet(unique.map((p) => p.id));
        const fresh = unique.filter((_, i) => existing[i] === undefined);
        await this.db.photos.bulkAdd(
          fresh.map((p, i) => ({ id: p.id, name: p.name, folder: p.folder, bytes: p.file.size, addedAt: now + i, status: 'pending' as const })),
        );
        await this.db.pending.bulkAdd(fresh.map((p) => ({ photoId: p.id, file: p.file })));
        // every entry but the first of each new photo is a duplicate, and so is every entry of one already stored
        const firstOfFresh = new Set(fresh);
        return { added: fresh.map((p) => p.id), duplicates: photos.filter((p) => !firstOfFresh.has(p)).map((p) => p.id) };
      }),
    );
  }

  /** The oldest photos still waiting, with their files: what the queue resumes with after a reload. */
  async nextPending(limit: number): Promise<{ photo: LibraryPhoto; file: Blob }[]> {
    return this.db.transaction('r', this.db.photos, this.db.pending, async () => {
      const photos = await this.db.photos.where('status').equals('pending').sortBy('addedAt');
      const chosen = photos.slice(0, limit);
      const files = await this.db.pending.bulkGet(chosen.map((p) => p.id));
      return chosen.flatMap((photo, i) => (files[i] ? [{ photo, file: files[i]!.file }] : []));
    });
  }

  /**
   * Stores a photo's analysis: status, preview, faces and embeddings, and drops its queued file, all in one
   * transaction, so a closed tab either has all of it or none (and then indexes it again).
   */
  async saveIndexed(id: string, result: IndexedPhoto, embedder: string, now = Date.now()): Promise<void> {
    const { db } = this;
    await this.write(() =>
      db.transaction('rw', [db.photos, db.previews, db.pending, db.faces, db.embeddings], async () => {
        const photo = await db.photos.get(id);
        if (!photo) return; // removed while it was being analysed
        const faces: LibraryFace[] = result.faces.map((f, index) => ({
          id: `${id}:${index}`,
          photoId: id,
          index,
          box: f.box,
          keypoints: f.keypoints,
          confidence: f.confidence,
          crop: f.crop,
        }));
        await db.faces.where('photoId').equals(id).delete();
        await db.embeddings.where('photoId').equals(id).delete();
        await db.faces.bulkPut(faces);
        await db.embeddings.bulkPut(result.faces.map((f, i) => ({ faceId: faces[i].id, photoId: id, embedder, vector: f.embedding })));
        await db.previews.put({ photoId: id, blob: result.preview });
        await db.pending.delete(id);
        await db.photos.put({
          ...photo,
          status: 'indexed',
          failure: undefined,
          width: result.width,
          height: result.height,
          faceCount: faces.length,
          indexedAt: now,
        });
      }),
    );
  }

  /**
   * Adds one model's vectors to an indexed photo's faces (the background re-index after a change of model); the
   * other models' vectors stay until dropEmbeddingsExcept().
   */
  async saveEmbeddings(id: string, embedder: string, vectors: Float32Array[]): Promise<void> {
    const { db } = this;
    await this.write(() =>
      db.transaction('rw', db.faces, db.embeddings, async () => {
        const faces = await db.faces.where('photoId').equals(id).sortBy('index');
        if (faces.length !== vectors.length) throw new Error(`${id} has ${faces.length} faces stored, ${vectors.length} vectors given`);
        await db.embeddings.bulkPut(faces.map((face, i) => ({ faceId: face.id, photoId: id, embedder, vector: vectors[i] })));
      }),
    );
  }

  /** A file that cannot be indexed (not an image, damaged, unsupported): kept in the list with its reason. */
  async saveFailed(id: string, reason: string): Promise<void> {
    await this.write(() =>
      this.db.transaction('rw', this.db.photos, this.db.pending, async () => {
        await this.db.photos.update(id, { status: 'failed', failure: reason });
        await this.db.pending.delete(id);
      }),
    );
  }

  /** Removes a photo and everything stored for it. */
  async removePhoto(id: string): Promise<void> {
    const { db } = this;
    await db.transaction('rw', [db.photos, db.previews, db.pending, db.faces, db.embeddings], async () => {
      await db.photos.delete(id);
      await db.previews.delete(id);
      await db.pending.delete(id);
      await db.faces.where('photoId').equals(id).delete();
      await db.embeddings.where('photoId').equals(id).delete();
    });
  }

  /** Forgets every photo still waiting to be indexed, with its file (indexing cancelled); one transaction. */
  async dropPending(): Promise<number> {
    const { db } = this;
    return db.transaction('rw', db.photos, db.pending, async () => {
      const ids = (await db.photos.where('status').equals('pending').primaryKeys()) as string[];
      await db.photos.bulkDelete(ids);
      await db.pending.bulkDelete(ids);
      return ids.length;
    });
  }

  async clear(): Promise<void> {
    const { db } = this;
    await db.transaction('rw', [db.photos, db.previews, db.pending, db.faces, db.embeddings], async () => {
      await Promise.all([db.photos.clear(), db.previews.clear(), db.pending.clear(), db.faces.clear(), db.embeddings.clear()]);
    });
  }

  /** What the status line says: "N photos · M faces", plus the queue and the failures. */
  async counts(): Promise<{ photos: number; faces: number; pending: number; failed: number }> {
    return this.db.transaction('r', this.db.photos, this.db.faces, async () => {
      const [photos, faces, pending, failed] = await Promise.all([
        this.db.photos.where('status').equals('indexed').count(),
        this.db.faces.count(),
        this.db.photos.where('status').equals('pending').count(),
        this.db.photos.where('status').equals('failed').count(),
      ]);
      return { photos, faces, pending, failed };
    });
  }

  /** Every photo's row (metadata only; previews and faces are read per photo), in the order added. */
  allPhotos(): Promise<LibraryPhoto[]> {
    return this.db.photos.orderBy('addedAt').toArray();
  }

  photo(id: string): Promise<LibraryPhoto | undefined> {
    return this.db.photos.get(id);
  }

  preview(id: string): Promise<Blob | undefined> {
    return this.db.previews.get(id).then((row) => row?.blob);
  }

  facesOf(id: string): Promise<LibraryFace[]> {
    return this.db.faces.where('photoId').equals(id).sortBy('index');
  }

  /** Every model's vectors of one photo's faces. */
  vectorsOf(id: string): Promise<LibraryEmbedding[]> {
    return this.db.embeddings.where('photoId').equals(id).toArray();
  }

  /** Every vector of one model, for matching and grouping. */
  embeddings(embedder: string): Promise<LibraryEmbedding[]> {
    return this.db.embeddings.where('embedder').equals(embedder).toArray();
  }

  /** Indexed photos that lack vectors of this model: what a change of model re-indexes in the background. */
  async photosMissing(embedder: string): Promise<string[]> {
    return this.db.transaction('r', this.db.photos, this.db.embeddings, async () => {
      // primary keys only ([faceId, embedder]; faceId starts with the photo id): no vector is read
      const keys = await this.db.embeddings.where('embedder').equals(embedder).primaryKeys();
      const have = new Set(keys.map(([faceId]) => faceId.slice(0, faceId.lastIndexOf(':'))));
      const indexed = await this.db.photos.where('status').equals('indexed').toArray();
      return indexed.filter((p) => (p.faceCount ?? 0) > 0 && !have.has(p.id)).map((p) => p.id);
    });
  }

  /** Drops every other model's vectors: call only once the new model's are complete. */
  async dropEmbeddingsExcept(embedder: string): Promise<number> {
    return this.db.embeddings.where('embedder').notEqual(embedder).delete();
  }
}
