// People, in the worker: keeps every face vector of the model in use in one FaceIndex, groups faces as soon as they
// have vectors (incrementally: the cost grows with the new faces, not the library), and carries out a person's edits
// through the persistence module. The views read the result from the database, as they do the photos.
import {
  FaceIndex,
  clusterParamsFor,
  groupNewFaces,
  regroupAll,
  suggestMerges,
  type FaceVector,
  type Grouping,
  type PeopleEdits,
} from '../ml/cluster';
import type { EmbedderInfo } from '../ml/types';
import { UNSORTED, photoOfFace, type LibraryDb, type PeopleExport } from '../storage/library-db';
import type { MergeSuggestion, PersonSearchHit } from './protocol';

interface Loaded {
  key: string;
  info: EmbedderInfo;
  index: FaceIndex;
  grouping: Grouping;
  edits: PeopleEdits;
  rejectedMerges: Set<string>;
}

export interface PeopleHostDeps {
  db: LibraryDb;
  /** the model in use: its key (id + weights fingerprint) and description; null while none is loaded */
  model(): { key: string; info: EmbedderInfo } | null;
}

const newPersonId = () => crypto.randomUUID();

export class PeopleHost {
  private state: Loaded | null = null;
  /** one change at a time: an edit never interleaves with an automatic grouping */
  private chain: Promise<unknown> = Promise.resolve();
  private catchUpQueued = false;
  private wantFull = false;
  /** the latest indexedAt stamp already grouped */
  private seenIndexedAt = 0;

  constructor(private readonly deps: PeopleHostDeps) {}

  private serialised<T>(run: () => Promise<T>): Promise<T> {
    const next = this.chain.then(run, run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** The index and decisions for the model in use, built from the database when the model changes. */
  private async current(): Promise<Loaded> {
    const model = this.deps.model();
    if (!model) throw new Error('the face models are not loaded yet');
    if (this.state?.key === model.key) return this.state;
    this.state?.index.dispose();
    this.state = null;
    const index = new FaceIndex(model.info.metric, model.info.dim);
    const rows = await this.deps.db.embeddings(model.key);
    index.add(rows.map((r) => ({ faceId: r.faceId, photoId: r.photoId, vector: r.vector })));
    this.state = { key: model.key, info: model.info, index, grouping: new Map(), edits: { pinned: new Map(), rejected: new Map(), protectedPeople: new Set() }, rejectedMerges: new Set() };
    await this.readDecisions(this.state);
    return this.state;
  }

  /** Who is in whom and what a person decided, as the database has it now. */
  private async readDecisions(state: Loaded): Promise<void> {
    const { memberships, people, rejectedMerges } = await this.deps.db.peopleState();
    state.grouping = new Map();
    state.edits = { pinned: new Map(), rejected: new Map(), protectedPeople: new Set(people.filter((p) => p.edited).map((p) => p.id)) };
    for (const m of memberships) {
      if (m.personId !== UNSORTED) state.grouping.set(m.faceId, m.personId);
      if (m.pinned) state.edits.pinned.set(m.faceId, m.personId);
      if (m.rejected.length > 0) state.edits.rejected.set(m.faceId, new Set(m.rejected));
    }
    state.rejectedMerges = new Set(rejectedMerges);
  }

  /**
   * Groups the faces that have vectors but no person yet. `full`: first brings the whole index in line with the
   * database (photos removed, vectors of a re-index); otherwise only photos indexed since the last look are read,
   * so the cost while indexing grows with the new photos, not the library. Calls while one runs coalesce.
   */
  catchUp(full = false): Promise<void> {
    this.wantFull ||= full;
    if (this.catchUpQueued) return this.chain.then(() => undefined);
    this.catchUpQueued = true;
    return this.serialised(async () => {
      this.catchUpQueued = false;
      const wantFull = this.wantFull;
      this.wantFull = false;
      if (!this.deps.model()) return;
      const fresh = !this.state || this.state.key !== this.deps.model()!.key;
      const state = await this.current();
      let candidates: string[];
      if (fresh || wantFull) {
        // an index just built from the database already holds every stored key: only the memberships are read
        const { memberships, keys } = fresh
          ? { memberships: await this.deps.db.groupedFaceIds(), keys: state.index.faceIds() }
          : await this.deps.db.groupingInventory(state.key);
        const stored = new Set(keys);
        const gone = state.index.faceIds().filter((id) => !stored.has(id));
        if (gone.length > 0) state.index.remove(gone);
        const missing = keys.filter((id) => !state.index.has(id));
        if (missing.length > 0) state.index.add(await this.deps.db.vectorsFor(state.key, missing));
        const grouped = new Set(memberships);
        candidates = keys.filter((id) => !grouped.has(id));
        this.seenIndexedAt = (await this.deps.db.indexedSince(this.seenIndexedAt)).latest;
      } else {
        const since = await this.deps.db.indexedSince(this.seenIndexedAt);
        this.seenIndexedAt = since.latest;
        if (since.photoIds.length === 0) return;
        const vectors = await this.deps.db.vectorsOfPhotos(state.key, since.photoIds);
        // a photo indexed again (same bytes) replaces its faces
        state.index.remove(vectors.map((v) => v.faceId).filter((id) => state.index.has(id)));
        state.index.add(vectors);
        const grouped = await this.deps.db.groupedAmong(vectors.map((v) => v.faceId));
        candidates = vectors.map((v) => v.faceId).filter((id) => !grouped.has(id));
      }
      if (candidates.length === 0) return;
      // decisions may have changed in another tab or through a removal
      await this.readDecisions(state);
      const added: FaceVector[] = candidates.map((faceId) => ({ faceId, photoId: photoOfFace(faceId), vector: state.index.vectorOf(faceId)! }));
      const changes = groupNewFaces(state.index, state.grouping, state.edits, added, clusterParamsFor(state.info), newPersonId);
      // a face nobody fits is filed as unsorted, so it is not considered again until a full re-run
      for (const face of added) if (!changes.has(face.faceId)) changes.set(face.faceId, null);
      await this.deps.db.applyGrouping(changes);
      await this.readDecisions(state);
    });
  }

  /** "Group everyone again": the full re-run; a person's edits are kept. */
  regroup(): Promise<void> {
    return this.serialised(async () => {
      const state = await this.current();
      await this.readDecisions(state);
      const next = regroupAll(state.index, state.grouping, state.edits, clusterParamsFor(state.info), newPersonId);
      const changes = new Map<string, string | null>();
      for (const faceId of state.index.faceIds()) {
        const before = state.grouping.get(faceId) ?? null;
        const after = next.get(faceId) ?? null;
        if (before !== after) changes.set(faceId, after);
      }
      await this.deps.db.applyGrouping(changes);
      await this.readDecisions(state);
    });
  }

  /** A person's edit, carried out in order with the automatic runs. */
  edit<T>(change: (db: LibraryDb) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      const result = await change(this.deps.db);
      if (this.state) await this.readDecisions(this.state);
      return result;
    });
  }

  /** "Same person?": the closest pairs of people kept apart (only those with `personId`, when given), nearest first. */
  suggestions(limit: number, personId?: string): Promise<MergeSuggestion[]> {
    return this.serialised(async () => {
      const state = await this.current();
      const people = new Map((await this.deps.db.people()).map((p) => [p.id, p]));
      // hidden people are not offered; both must still exist
      const all = suggestMerges(state.index, state.grouping, clusterParamsFor(state.info), personId ? Number.MAX_SAFE_INTEGER : limit * 2, state.rejectedMerges);
      return all
        .filter((s) => people.has(s.a) && people.has(s.b) && (!personId || s.a === personId || s.b === personId))
        .slice(0, limit)
        .map((s) => ({ a: s.a, b: s.b, distance: s.distance }));
    });
  }

  /**
   * The library's photos that contain the face nearest to `vector`, nearest first: one hit per photo (its nearest
   * face), those within `threshold`, and how many more photos are the next nearest beyond it.
   */
  find(vector: Float32Array, threshold: number, limit = 200): Promise<{ hits: PersonSearchHit[]; beyondThreshold: number }> {
    return this.serialised(async () => {
      const state = await this.current();
      const near = state.index.nearest(vector, Math.min(state.index.size, limit * 4));
      const byPhoto = new Map<string, PersonSearchHit>();
      for (const n of near) {
        if (!byPhoto.has(n.photoId)) byPhoto.set(n.photoId, { photoId: n.photoId, faceId: n.faceId, distance: n.distance, name: '', personId: state.grouping.get(n.faceId) ?? null });
      }
      const ranked = [...byPhoto.values()];
      const hits = ranked.filter((h) => h.distance <= threshold).slice(0, limit);
      for (const hit of hits) hit.name = (await this.deps.db.photo(hit.photoId))?.name ?? '';
      return { hits, beyondThreshold: ranked.length - hits.length };
    });
  }

  /** Restores exported people, then groups around them. */
  async importPeople(data: unknown): Promise<{ people: number; faces: number; missingFaces: number }> {
    const result = await this.edit((db) => db.importPeople(data as PeopleExport, newPersonId));
    return result;
  }

  /** The model changed or the library was cleared: the next call rebuilds from the database. */
  forget(): void {
    this.state?.index.dispose();
    this.state = null;
  }
}
