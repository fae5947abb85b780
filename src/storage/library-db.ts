// The Library's persistence: the only code that knows the IndexedDB schema. Photos are keyed by the SHA-256 of their
// bytes (the same photo added twice is stored once); the files themselves are kept only while they wait to be
// indexed, so a closed tab resumes where it stopped; once a photo is indexed, what the views need to show it again
// (a downscaled preview, each face's crop, box, keypoints and embedding) is written in ONE transaction with its
// status, and its queued file is dropped in that same transaction.
// Runs in the page and in the worker (Dexie works in both), and in Node against fake-indexeddb in the unit tests.
import Dexie, { type EntityTable, type Table } from 'dexie';
import type { EmbedderId, FaceKeypoints } from '../ml/types';
import type { Face, Photo } from '../model/photo';

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

/** A stored face: the one Face, its vectors kept apart (one per model, in the embeddings table). */
export interface LibraryFace extends Omit<Face, 'embedding'> {
  /** `${photoId}:${index}` */
  id: string;
  photoId: string;
  /** left to right in its photo, as Compare numbers them */
  index: number;
  /** what another embedder embeds this face from (the photo itself is not kept); absent on faces indexed before it */
  source?: FaceSource;
}

/** The face's neighbourhood, upright, as a JPEG, with its box and keypoints in that image's pixels. */
export interface FaceSource {
  image: Blob;
  box: [number, number, number, number];
  keypoints: FaceKeypoints;
}

export interface LibraryEmbedding {
  faceId: string;
  photoId: string;
  /** the embedder id and its weights' fingerprint: vectors of different models never mix */
  embedder: string;
  vector: Float32Array;
}

/** A group of faces the app believes to be one person. */
export interface LibraryPerson {
  id: string;
  /** what the person named them; null: "Unnamed person" */
  name: string | null;
  hidden: boolean;
  /** a person named, merged, split or hid them: automatic runs never dissolve, merge or rename them */
  edited: boolean;
  createdAt: number;
  /** kept up to date with the memberships, so the list reads one table */
  faceCount: number;
  photoCount: number;
  coverFaceId: string;
}

/** Which person a face belongs to. A face without a row has not been grouped yet. */
export interface FaceMembership {
  faceId: string;
  photoId: string;
  /** UNSORTED: the face fits nobody well enough */
  personId: string;
  /** placed by a person (moved, merged): automatic runs never move it */
  pinned: boolean;
  /** "Not this person": the people it must never be put in again */
  rejected: string[];
}

/** A face that fits nobody well enough stays here instead of being forced into a person. */
export const UNSORTED = '';

/** The people a person grouped and named, for another browser with the same photos (photos are keyed by bytes). */
/** A face as an export names it: by its photo's hash and its index in that photo. */
export interface ExportedFace {
  photoId: string;
  index: number;
  box: [number, number, number, number];
}

export interface PeopleExport {
  format: 'facematch-people';
  version: 1;
  people: {
    name: string | null;
    hidden: boolean;
    faces: ExportedFace[];
    /** faces a person took out of this one ("Not this person"): grouping never puts them back, there either */
    notThisPerson?: ExportedFace[];
  }[];
  /** pairs of people (indices into people) a person said are not the same ("Not the same") */
  keptApart?: [number, number][];
  /** only when asked: each face's vector, under its model's key */
  embeddings?: Record<string, Record<string, string>>;
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

/** A photo's analysis as the indexer hands it in: the one Photo's size and faces, with what the Library keeps besides. */
export interface IndexedPhoto extends Pick<Photo, 'width' | 'height'> {
  preview: Blob;
  faces: (Face & { source?: FaceSource })[];
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
  people!: EntityTable<LibraryPerson, 'id'>;
  memberships!: Table<FaceMembership, string>;
  rejectedMerges!: Table<{ pair: string }, string>;

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
    // People: the list sorts by photos; a person's faces by person; removal by photo. Photos by when they were
    // indexed: the grouping picks up what is new since it last looked.
    this.version(2).stores({
      photos: 'id, status, addedAt, indexedAt',
      people: 'id, photoCount',
      memberships: 'faceId, personId, photoId',
      rejectedMerges: 'pair',
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
          ...(f.source ? { source: f.source } : {}),
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
    await db.transaction('rw', [db.photos, db.previews, db.pending, db.faces, db.embeddings, db.people, db.memberships], async () => {
      await db.photos.delete(id);
      await db.previews.delete(id);
      await db.pending.delete(id);
      await db.faces.where('photoId').equals(id).delete();
      await db.embeddings.where('photoId').equals(id).delete();
      const gone = await db.memberships.where('photoId').equals(id).toArray();
      await db.memberships.where('photoId').equals(id).delete();
      await this.refreshPeople(new Set(gone.map((m) => m.personId)));
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
    const tables = [db.photos, db.previews, db.pending, db.faces, db.embeddings, db.people, db.memberships, db.rejectedMerges];
    await db.transaction('rw', tables, async () => {
      await Promise.all(tables.map((table) => table.clear()));
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

  /**
   * An indexed photo as the one Photo model, with the vectors of `embedder` (whatever its weights), and its preview
   * (the stored stand-in for the file); null if it is not indexed, `otherModel` if its faces lack that model's vectors.
   */
  async photoWithFaces(id: string, embedder: EmbedderId): Promise<{ photo: Photo; preview: Blob } | { otherModel: true; name: string } | null> {
    const { db } = this;
    return db.transaction('r', [db.photos, db.previews, db.faces, db.embeddings], async () => {
      const [row, preview, faces, vectors] = await Promise.all([this.photo(id), this.preview(id), this.facesOf(id), this.vectorsOf(id)]);
      if (!row || !preview || row.width === undefined || row.height === undefined) return null;
      const byFace = new Map(vectors.filter((v) => modelOfKey(v.embedder) === embedder).map((v) => [v.faceId, v.vector]));
      if (faces.some((f) => !byFace.has(f.id))) return { otherModel: true, name: row.name };
      const photo: Photo = {
        id,
        name: row.name,
        width: row.width,
        height: row.height,
        embedder,
        faces: faces.map(({ box, keypoints, confidence, crop, id: faceId }) => ({ box, keypoints, confidence, crop, embedding: byFace.get(faceId)! })),
      };
      return { photo, preview };
    });
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

  // ---- People ----

  /** Everything the grouping needs to continue: who is in whom, and what a person decided. */
  async peopleState(): Promise<{ memberships: FaceMembership[]; people: LibraryPerson[]; rejectedMerges: string[] }> {
    const { db } = this;
    return db.transaction('r', db.memberships, db.people, db.rejectedMerges, async () => ({
      memberships: await db.memberships.toArray(),
      people: await db.people.toArray(),
      rejectedMerges: (await db.rejectedMerges.toCollection().primaryKeys()) as string[],
    }));
  }

  /**
   * Writes an automatic grouping's changes (faceId -> personId, null = unsorted) in one transaction. Pinned faces
   * and faces moved out of a person by hand are not moved; people are created as they are first used and deleted
   * when their last face leaves (unless a person named them).
   */
  async applyGrouping(changes: Map<string, string | null>, now = Date.now()): Promise<void> {
    const { db } = this;
    if (changes.size === 0) return;
    await this.write(() =>
      db.transaction('rw', db.memberships, db.people, db.faces, async () => {
        const ids = [...changes.keys()];
        const current = await db.memberships.bulkGet(ids);
        const present = new Set((await db.faces.bulkGet(ids)).flatMap((f) => (f ? [f.id] : [])));
        const touched = new Set<string>();
        const rows: FaceMembership[] = [];
        ids.forEach((faceId, i) => {
          if (!present.has(faceId)) return; // its photo was removed meanwhile
          const before = current[i];
          const personId = changes.get(faceId) ?? UNSORTED;
          if (before?.pinned || before?.rejected.includes(personId)) return;
          if (before) touched.add(before.personId);
          touched.add(personId);
          rows.push({ faceId, photoId: photoOfFace(faceId), personId, pinned: false, rejected: before?.rejected ?? [] });
        });
        await db.memberships.bulkPut(rows);
        const newPeople = [...touched].filter((id) => id !== UNSORTED);
        const existing = await db.people.bulkGet(newPeople);
        await db.people.bulkAdd(
          newPeople
            .filter((_, i) => !existing[i])
            .map((id) => ({ id, name: null, hidden: false, edited: false, createdAt: now, faceCount: 0, photoCount: 0, coverFaceId: '' })),
        );
        await this.refreshPeople(touched);
      }),
    );
  }

  /** Re-counts people's faces and photos and picks their cover (the most confident face); empty unnamed people go. */
  private async refreshPeople(ids: Set<string>): Promise<void> {
    const { db } = this;
    // three reads for all of them (a grouping change touches hundreds of people at once), then one write
    const wanted = [...ids].filter((id) => id !== UNSORTED);
    if (wanted.length === 0) return;
    const people = (await db.people.bulkGet(wanted)).flatMap((p) => (p ? [p] : []));
    const members = await db.memberships.where('personId').anyOf(people.map((p) => p.id)).toArray();
    const faces = new Map((await db.faces.bulkGet(members.map((m) => m.faceId))).flatMap((f) => (f ? [[f.id, f] as const] : [])));
    const byPerson = new Map<string, FaceMembership[]>();
    for (const m of members) listIn(byPerson, m.personId).push(m);
    const emptied: string[] = [];
    const updated: LibraryPerson[] = [];
    for (const person of people) {
      const mine = byPerson.get(person.id) ?? [];
      if (mine.length === 0 && person.name === null) {
        emptied.push(person.id);
        continue;
      }
      const cover = mine.reduce<LibraryFace | null>((best, m) => {
        const f = faces.get(m.faceId);
        return f && (!best || f.confidence * f.box[2] > best.confidence * best.box[2]) ? f : best;
      }, null);
      updated.push({ ...person, faceCount: mine.length, photoCount: new Set(mine.map((m) => m.photoId)).size, coverFaceId: cover?.id ?? '' });
    }
    await db.people.bulkDelete(emptied);
    await db.people.bulkPut(updated);
  }

  /** Which faces have vectors of this model, and which faces are grouped: keys only, no vector is read. */
  async groupingInventory(embedder: string): Promise<{ keys: string[]; memberships: string[] }> {
    const { db } = this;
    return db.transaction('r', db.embeddings, db.memberships, async () => ({
      keys: (await db.embeddings.where('embedder').equals(embedder).primaryKeys()).map(([faceId]) => faceId),
      memberships: await this.groupedFaceIds(),
    }));
  }

  /** Every face that has a membership (a person or unsorted): keys only. */
  async groupedFaceIds(): Promise<string[]> {
    return (await this.db.memberships.toCollection().primaryKeys()) as string[];
  }

  /** Photos indexed after a moment (as saveIndexed stamps them), with that moment's latest stamp. */
  async indexedSince(after: number): Promise<{ photoIds: string[]; latest: number }> {
    const photos = await this.db.photos.where('indexedAt').above(after).toArray();
    return { photoIds: photos.map((p) => p.id), latest: photos.reduce((max, p) => Math.max(max, p.indexedAt ?? 0), after) };
  }

  /** The vectors of one model for some photos' faces. */
  async vectorsOfPhotos(embedder: string, photoIds: string[]): Promise<{ faceId: string; photoId: string; vector: Float32Array }[]> {
    const rows = await this.db.embeddings.where('photoId').anyOf(photoIds).toArray();
    return rows.filter((r) => r.embedder === embedder).map((r) => ({ faceId: r.faceId, photoId: r.photoId, vector: r.vector }));
  }

  /** Which of these faces are grouped (have a membership row). */
  async groupedAmong(faceIds: string[]): Promise<Set<string>> {
    const rows = await this.db.memberships.bulkGet(faceIds);
    return new Set(rows.flatMap((r) => (r ? [r.faceId] : [])));
  }

  /** Some faces' vectors of one model. */
  async vectorsFor(embedder: string, faceIds: string[]): Promise<{ faceId: string; photoId: string; vector: Float32Array }[]> {
    const rows = await this.db.embeddings.bulkGet(faceIds.map((id): [string, string] => [id, embedder]));
    return rows.flatMap((r) => (r ? [{ faceId: r.faceId, photoId: r.photoId, vector: r.vector }] : []));
  }

  /** The people list: biggest first (by photos), hidden ones only when asked. */
  async people(includeHidden = false): Promise<LibraryPerson[]> {
    const all = await this.db.people.orderBy('photoCount').reverse().toArray();
    return all.filter((p) => p.faceCount > 0 && (includeHidden || !p.hidden));
  }

  /** Faces that fit nobody well enough. */
  unsortedCount(): Promise<number> {
    return this.db.memberships.where('personId').equals(UNSORTED).count();
  }

  /** The named people with their faces (crops), for the contact sheet: biggest first. */
  async namedPeopleWithFaces(perPerson: number): Promise<{ person: LibraryPerson; faces: LibraryFace[] }[]> {
    const people = (await this.people(true)).filter((p) => p.name !== null);
    return Promise.all(
      people.map(async (person) => {
        const members = await this.db.memberships.where('personId').equals(person.id).limit(perPerson).toArray();
        const faces = (await this.db.faces.bulkGet(members.map((m) => m.faceId))).flatMap((f) => (f ? [f] : []));
        return { person, faces };
      }),
    );
  }

  person(id: string): Promise<LibraryPerson | undefined> {
    return this.db.people.get(id);
  }

  /** One person's faces (UNSORTED: the unsorted ones), each with its photo's name, in the order the photos were added. */
  async facesOfPerson(personId: string): Promise<{ face: LibraryFace; photo: LibraryPhoto }[]> {
    const { db } = this;
    return db.transaction('r', db.memberships, db.faces, db.photos, async () => {
      const members = await db.memberships.where('personId').equals(personId).toArray();
      const faces = await db.faces.bulkGet(members.map((m) => m.faceId));
      const photos = new Map((await db.photos.bulkGet([...new Set(members.map((m) => m.photoId))])).flatMap((p) => (p ? [[p.id, p] as const] : [])));
      return faces
        .flatMap((face) => (face && photos.has(face.photoId) ? [{ face, photo: photos.get(face.photoId)! }] : []))
        .sort((a, b) => a.photo.addedAt - b.photo.addedAt || a.face.index - b.face.index);
    });
  }

  face(id: string): Promise<LibraryFace | undefined> {
    return this.db.faces.get(id);
  }

  /** Who each face of a photo is (for the photo view's labels). */
  async membershipsOfPhoto(photoId: string): Promise<FaceMembership[]> {
    return this.db.memberships.where('photoId').equals(photoId).toArray();
  }

  /**
   * A person's edit of someone: they become the person's (never merged, dissolved or renamed automatically) and so do
   * the faces they hold now (pinned: an automatic run may add faces to them, never take these away).
   */
  private async claim(id: string, change: Partial<LibraryPerson>): Promise<void> {
    const { db } = this;
    await db.transaction('rw', db.people, db.memberships, async () => {
      await db.people.update(id, { ...change, edited: true });
      await db.memberships.where('personId').equals(id).modify({ pinned: true });
    });
  }

  async renamePerson(id: string, name: string): Promise<void> {
    const trimmed = name.trim();
    await this.write(() => this.claim(id, { name: trimmed === '' ? null : trimmed }));
  }

  async setPersonHidden(id: string, hidden: boolean): Promise<void> {
    await this.write(() => this.claim(id, { hidden }));
  }

  /** "Not this person": the face leaves the person for good (unsorted until it fits someone else). */
  async notThisPerson(faceId: string): Promise<void> {
    const { db } = this;
    await this.write(() =>
      db.transaction('rw', db.memberships, db.people, db.faces, async () => {
        const row = await db.memberships.get(faceId);
        if (!row || row.personId === UNSORTED) return;
        await db.memberships.put({ ...row, personId: UNSORTED, pinned: false, rejected: [...new Set([...row.rejected, row.personId])] });
        await this.claim(row.personId, {});
        await this.refreshPeople(new Set([row.personId]));
      }),
    );
  }

  /** Puts faces into a person by hand (pinned: automatic runs leave them there). */
  async moveFaces(faceIds: string[], personId: string): Promise<void> {
    const { db } = this;
    await this.write(() =>
      db.transaction('rw', db.memberships, db.people, db.faces, async () => {
        const rows = await db.memberships.bulkGet(faceIds);
        const touched = new Set([personId]);
        const updated = faceIds.map((faceId, i) => {
          const before = rows[i];
          if (before) touched.add(before.personId);
          return { faceId, photoId: photoOfFace(faceId), personId, pinned: true, rejected: (before?.rejected ?? []).filter((p) => p !== personId) };
        });
        await db.memberships.bulkPut(updated);
        await this.claim(personId, {});
        await this.refreshPeople(touched);
      }),
    );
  }

  /**
   * Merges people into one: the named one (else the biggest) keeps its id and name; every face of the others moves
   * into it, pinned. Returns the id that remains.
   */
  async mergePeople(ids: string[]): Promise<string> {
    const { db } = this;
    return this.write(() =>
      db.transaction('rw', db.memberships, db.people, db.faces, async () => {
        const people = (await db.people.bulkGet(ids)).flatMap((p) => (p ? [p] : []));
        if (people.length < 2) throw new Error('choose at least two people to merge');
        const target = [...people].sort((a, b) => Number(b.name !== null) - Number(a.name !== null) || b.faceCount - a.faceCount)[0];
        const others = people.filter((p) => p.id !== target.id);
        const moving = await db.memberships.where('personId').anyOf(others.map((p) => p.id)).toArray();
        await db.memberships.bulkPut(moving.map((m) => ({ ...m, personId: target.id, pinned: true })));
        // faces of the target are confirmed too: the merged person is the person's decision as a whole
        await db.memberships.where('personId').equals(target.id).modify({ pinned: true });
        await db.people.bulkDelete(others.map((p) => p.id));
        await db.people.update(target.id, { edited: true, hidden: target.hidden && others.every((p) => p.hidden) });
        await this.refreshPeople(new Set([target.id]));
        return target.id;
      }),
    );
  }

  /** "Not the same person" for a suggested merge: never suggested again. */
  async rejectMerge(a: string, b: string): Promise<void> {
    await this.write(() => this.db.rejectedMerges.put({ pair: mergePair(a, b) }));
  }

  /** The people and their names as JSON (faces by photo hash and index; vectors only when asked). */
  async exportPeople(withEmbeddings = false): Promise<PeopleExport> {
    const { db } = this;
    return db.transaction('r', [db.people, db.memberships, db.faces, db.embeddings, db.rejectedMerges], async () => {
      const people = await db.people.orderBy('photoCount').reverse().toArray();
      // one read of every membership, not one query a person
      const members = new Map<string, string[]>();
      const rejectedFrom = new Map<string, string[]>();
      await db.memberships.each((m) => {
        if (m.personId !== UNSORTED) listIn(members, m.personId).push(m.faceId);
        for (const personId of m.rejected) listIn(rejectedFrom, personId).push(m.faceId);
      });
      const exported = async (faceIds: string[]): Promise<ExportedFace[]> =>
        (await db.faces.bulkGet(faceIds)).flatMap((f) => (f ? [{ photoId: f.photoId, index: f.index, box: f.box }] : []));
      const out: PeopleExport = { format: 'facematch-people', version: 1, people: [] };
      const positionOf = new Map(people.map((person, i) => [person.id, i]));
      for (const person of people) {
        const notThisPerson = await exported(rejectedFrom.get(person.id) ?? []);
        out.people.push({
          name: person.name,
          hidden: person.hidden,
          faces: await exported(members.get(person.id) ?? []),
          ...(notThisPerson.length > 0 ? { notThisPerson } : {}),
        });
      }
      const keptApart = (await db.rejectedMerges.toArray()).flatMap(({ pair }): [number, number][] => {
        const [a, b] = pair.split('|').map((id) => positionOf.get(id));
        return a === undefined || b === undefined ? [] : [[a, b]];
      });
      if (keptApart.length > 0) out.keptApart = keptApart;
      if (withEmbeddings) {
        out.embeddings = {};
        const wanted = new Set(out.people.flatMap((p) => p.faces.map((f) => `${f.photoId}:${f.index}`)));
        await db.embeddings.each((row) => {
          if (!wanted.has(row.faceId)) return;
          (out.embeddings![row.embedder] ??= {})[row.faceId] = bytesToBase64(new Uint8Array(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength));
        });
      }
      return out;
    });
  }

  /**
   * Restores exported people onto the photos this library has (matched by photo hash and face index): each becomes a
   * person with its name, its faces pinned to it, and the corrections made to it ("Not this person", "Not the same")
   * kept. Faces of photos not in this library are counted, not invented.
   */
  async importPeople(data: unknown, newId: () => string, now = Date.now()): Promise<{ people: number; faces: number; missingFaces: number }> {
    const parsed = data as PeopleExport;
    if (!parsed || parsed.format !== 'facematch-people' || parsed.version !== 1 || !Array.isArray(parsed.people)) {
      throw new Error('this is not a facematch people file (format "facematch-people", version 1)');
    }
    const { db } = this;
    return this.write(() =>
      db.transaction('rw', [db.memberships, db.people, db.faces, db.rejectedMerges], async () => {
        let people = 0;
        let faces = 0;
        let missingFaces = 0;
        const touched = new Set<string>();
        const present = async (list: ExportedFace[] | undefined): Promise<string[]> =>
          (await db.faces.bulkGet((list ?? []).map((f) => `${f.photoId}:${f.index}`))).flatMap((f) => (f ? [f.id] : []));
        /** the new id of each exported person, by position; null where none of their faces is here */
        const newIds: (string | null)[] = [];
        for (const entry of parsed.people) {
          newIds.push(null);
          const found = await present(entry.faces);
          missingFaces += (entry.faces ?? []).length - found.length;
          if (found.length === 0) continue;
          const before = await db.memberships.bulkGet(found);
          before.forEach((m) => m && touched.add(m.personId));
          const id = newId();
          await db.people.add({ id, name: entry.name ?? null, hidden: entry.hidden === true, edited: true, createdAt: now, faceCount: 0, photoCount: 0, coverFaceId: '' });
          await db.memberships.bulkPut(found.map((faceId) => ({ faceId, photoId: photoOfFace(faceId), personId: id, pinned: true, rejected: [] })));
          const rejectedFaces = await present(entry.notThisPerson);
          const rows = await db.memberships.bulkGet(rejectedFaces);
          await db.memberships.bulkPut(
            rejectedFaces.map((faceId, i) => {
              const row = rows[i] ?? { faceId, photoId: photoOfFace(faceId), personId: UNSORTED, pinned: false, rejected: [] };
              // a file that lists a face both ways: the person's faces win
              return row.personId === id ? row : { ...row, rejected: [...new Set([...row.rejected, id])] };
            }),
          );
          newIds[newIds.length - 1] = id;
          touched.add(id);
          people++;
          faces += found.length;
        }
        for (const [a, b] of Array.isArray(parsed.keptApart) ? parsed.keptApart : []) {
          const [idA, idB] = [newIds[a], newIds[b]];
          if (idA && idB && idA !== idB) await db.rejectedMerges.put({ pair: mergePair(idA, idB) });
        }
        await this.refreshPeople(touched);
        return { people, faces, missingFaces };
      }),
    );
  }
}

/** A face id is `${photoId}:${index}`. */
export function photoOfFace(faceId: string): string {
  return faceId.slice(0, faceId.lastIndexOf(':'));
}

/** How a pair of people is filed, whichever comes first. */
export function mergePair(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** The list filed under key, made on first use (appending in place: copying it each time is quadratic in a big person). */
function listIn<K, V>(lists: Map<K, V[]>, key: K): V[] {
  let list = lists.get(key);
  if (!list) lists.set(key, (list = []));
  return list;
}

function bytesToBase64(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}
