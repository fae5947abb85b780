// The People part of the Library's persistence, against fake-indexeddb with real photo files from ../shared: an
// automatic grouping never moves what a person decided (pinned faces, "not this person"), merges keep the named
// person, removal updates the counts, and an export restores the same people on another library of the same photos.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibraryDb, UNSORTED, photoId, type IndexedPhoto, type NewPhoto } from '../../src/storage/library-db';
import { sharedDir } from '../support/node-ml';

const fddb = JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as {
  images: { image: string }[];
};

async function realPhoto(index: number): Promise<NewPhoto> {
  const file = path.join(sharedDir, 'datasets/fddb', fddb.images[index].image);
  const bytes = fs.readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { id: await photoId(buffer), name: path.basename(file), folder: 'fddb', file: new Blob([bytes]) };
}

const keypoints = { left_eye: [10, 10], right_eye: [20, 10], nose: [15, 15], mouth_left: [11, 20], mouth_right: [19, 20] } as IndexedPhoto['faces'][number]['keypoints'];

function analysis(faces: number): IndexedPhoto {
  return {
    width: 450,
    height: 300,
    preview: new Blob([new Uint8Array([1])], { type: 'image/jpeg' }),
    faces: Array.from({ length: faces }, (_, i) => ({
      box: [i * 30, 10, 25 + i, 25] as [number, number, number, number],
      keypoints,
      confidence: 0.9 + i / 100,
      crop: new Blob([new Uint8Array([i])], { type: 'image/jpeg' }),
      embedding: Float32Array.from({ length: 128 }, (_, k) => Math.sin(i * 128 + k)),
    })),
  };
}

let counter = 0;
let db: LibraryDb;
let ids: string[];
beforeEach(async () => {
  db = new LibraryDb(`people-test-${++counter}`);
  const photos = await Promise.all([0, 1, 2].map(realPhoto));
  await db.addPhotos(photos);
  ids = photos.map((p) => p.id);
  for (const id of ids) await db.saveIndexed(id, analysis(2), 'model@1');
});
afterEach(() => db.close());

const face = (photo: number, index: number) => `${ids[photo]}:${index}`;

describe('LibraryDb people', () => {
  it('files a grouping, counts each person\'s faces and photos, and lists the biggest first', async () => {
    await db.applyGrouping(
      new Map([
        [face(0, 0), 'p1'],
        [face(1, 1), 'p1'],
        [face(2, 0), 'p1'],
        [face(0, 1), 'p2'],
        [face(1, 0), 'p2'],
        [face(2, 1), null],
      ]),
    );
    const people = await db.people();
    expect(people.map((p) => [p.id, p.faceCount, p.photoCount])).toEqual([
      ['p1', 3, 3],
      ['p2', 2, 2],
    ]);
    // the cover is the most confident, widest face
    expect(people[0].coverFaceId).toBe(face(1, 1));
    expect(people[1].coverFaceId).toBe(face(0, 1));
    expect((await db.facesOfPerson(UNSORTED)).map((f) => f.face.id)).toEqual([face(2, 1)]);
    expect((await db.facesOfPerson('p1')).map((f) => f.photo.name)).toEqual(ids.map((_, i) => path.basename(fddb.images[i].image)));
  });

  it('never moves a face a person moved out or placed by hand, and keeps named people when emptied', async () => {
    await db.applyGrouping(new Map([[face(0, 0), 'p1'], [face(1, 0), 'p1'], [face(2, 0), 'p2']]));
    await db.notThisPerson(face(1, 0));
    await db.moveFaces([face(2, 0)], 'p1');
    await db.renamePerson('p1', '  Ada  ');
    // an automatic run that would undo all of it changes nothing of it
    await db.applyGrouping(new Map([[face(1, 0), 'p1'], [face(2, 0), 'p2']]));
    const p1 = await db.person('p1');
    expect(p1).toMatchObject({ name: 'Ada', edited: true, faceCount: 2 });
    expect((await db.facesOfPerson('p1')).map((f) => f.face.id).sort()).toEqual([face(0, 0), face(2, 0)].sort());
    expect((await db.facesOfPerson(UNSORTED)).map((f) => f.face.id)).toEqual([face(1, 0)]);
    // naming claimed the faces p1 held: an automatic run may not take them away
    await db.applyGrouping(new Map([[face(0, 0), 'p4']]));
    expect((await db.facesOfPerson('p1')).map((f) => f.face.id)).toContain(face(0, 0));
    expect(await db.person('p4')).toBeUndefined();
    // p2 lost its only face and had no name: gone
    expect(await db.person('p2')).toBeUndefined();
    // the rejected face may still join someone else
    await db.applyGrouping(new Map([[face(1, 0), 'p3']]));
    expect((await db.person('p3'))?.faceCount).toBe(1);
  });

  it('merges into the named person, and removing a photo updates the counts in the same transaction', async () => {
    await db.applyGrouping(new Map([[face(0, 0), 'p1'], [face(1, 0), 'p2'], [face(2, 0), 'p2'], [face(0, 1), 'p3']]));
    await db.renamePerson('p1', 'Grace');
    const kept = await db.mergePeople(['p2', 'p1']);
    expect(kept).toBe('p1');
    expect(await db.person('p2')).toBeUndefined();
    expect(await db.person('p1')).toMatchObject({ name: 'Grace', faceCount: 3, photoCount: 3 });
    await db.removePhoto(ids[1]);
    expect(await db.person('p1')).toMatchObject({ faceCount: 2, photoCount: 2 });
    await expect(db.mergePeople(['p1'])).rejects.toThrow(/at least two/);
  });

  it('exports people by photo hash and restores them on another library of the same photos', async () => {
    await db.applyGrouping(new Map([[face(0, 0), 'p1'], [face(1, 0), 'p1'], [face(2, 1), 'p2']]));
    await db.renamePerson('p1', 'Lin');
    const exported = JSON.parse(JSON.stringify(await db.exportPeople()));
    expect(exported.embeddings).toBeUndefined();
    expect(JSON.stringify(exported)).not.toContain('crop');
    const withVectors = await db.exportPeople(true);
    expect(Object.keys(withVectors.embeddings!['model@1'])).toHaveLength(3);

    // another browser: the same first two photos only
    const other = new LibraryDb(`people-test-other-${counter}`);
    try {
      const photos = await Promise.all([0, 1].map(realPhoto));
      await other.addPhotos(photos);
      for (const p of photos) await other.saveIndexed(p.id, analysis(2), 'model@1');
      let n = 0;
      const result = await other.importPeople(exported, () => `imported-${++n}`);
      expect(result).toEqual({ people: 1, faces: 2, missingFaces: 1 });
      const [lin] = await other.people();
      expect(lin).toMatchObject({ name: 'Lin', faceCount: 2, photoCount: 2, edited: true });
      await expect(other.importPeople({ format: 'something-else' }, () => 'x')).rejects.toThrow(/not a facematch people file/);
    } finally {
      other.close();
    }
  });

  it('carries "Not this person" and "Not the same" to the other library, so its grouping keeps them too', async () => {
    await db.applyGrouping(new Map([[face(0, 0), 'p1'], [face(1, 0), 'p1'], [face(2, 0), 'p1'], [face(0, 1), 'p2'], [face(1, 1), 'p2']]));
    await db.notThisPerson(face(2, 0));
    await db.rejectMerge('p1', 'p2');
    const exported = JSON.parse(JSON.stringify(await db.exportPeople()));
    const lin = exported.people.find((p: { faces: unknown[]; notThisPerson?: unknown[] }) => p.faces.length === 2 && p.notThisPerson);
    expect(lin.notThisPerson).toEqual([{ photoId: ids[2], index: 0, box: expect.any(Array) }]);
    expect(exported.keptApart).toHaveLength(1);

    const other = new LibraryDb(`people-test-other-${counter}`);
    try {
      const photos = await Promise.all([0, 1, 2].map(realPhoto));
      await other.addPhotos(photos);
      for (const p of photos) await other.saveIndexed(p.id, analysis(2), 'model@1');
      // the other library had grouped the rejected face with that person's faces on its own
      await other.applyGrouping(new Map([[face(0, 0), 'auto'], [face(2, 0), 'auto']]));
      let n = 0;
      await other.importPeople(exported, () => `imported-${++n}`);
      const state = await other.peopleState();
      const rejectedFace = state.memberships.find((m) => m.faceId === face(2, 0))!;
      const importedOfLin = state.memberships.find((m) => m.faceId === face(0, 0))!.personId;
      expect(rejectedFace.rejected).toContain(importedOfLin);
      expect(rejectedFace.personId).not.toBe(importedOfLin);
      const importedOfP2 = state.memberships.find((m) => m.faceId === face(0, 1))!.personId;
      expect(state.rejectedMerges).toEqual([[importedOfLin, importedOfP2].sort().join('|')]);
    } finally {
      other.close();
    }
  });

  it('clear() forgets the people too', async () => {
    await db.applyGrouping(new Map([[face(0, 0), 'p1']]));
    await db.rejectMerge('p1', 'p2');
    await db.clear();
    expect(await db.peopleState()).toEqual({ memberships: [], people: [], rejectedMerges: [] });
  });
});
