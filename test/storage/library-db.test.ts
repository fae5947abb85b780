// The Library's persistence against a real IndexedDB implementation (fake-indexeddb), with real photo files from
// ../shared: hash-keyed de-duplication, the one-transaction write of an indexed photo, resuming the queue from a new
// connection (as after a reload), removal, and keeping an old model's vectors until the new ones are complete.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LibraryDb, photoId, type IndexedPhoto, type NewPhoto } from '../../src/storage/library-db';
import { sharedDir } from '../support/node-ml';

const fddb = JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as {
  images: { image: string }[];
};

async function realPhoto(index: number, name?: string): Promise<NewPhoto> {
  const file = path.join(sharedDir, 'datasets/fddb', fddb.images[index].image);
  const bytes = fs.readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { id: await photoId(buffer), name: name ?? path.basename(file), folder: 'fddb', file: new Blob([bytes]) };
}

const keypoints = { left_eye: [10, 10], right_eye: [20, 10], nose: [15, 15], mouth_left: [11, 20], mouth_right: [19, 20] } as IndexedPhoto['faces'][number]['keypoints'];

function analysis(faces: number, seed = 1): IndexedPhoto {
  return {
    width: 450,
    height: 300,
    preview: new Blob([new Uint8Array([seed])], { type: 'image/jpeg' }),
    faces: Array.from({ length: faces }, (_, i) => ({
      box: [i * 30, 10, 25, 25] as [number, number, number, number],
      keypoints,
      confidence: 0.99,
      crop: new Blob([new Uint8Array([i])], { type: 'image/png' }),
      embedding: Float32Array.from({ length: 128 }, (_, k) => Math.sin(seed + i * 128 + k)),
    })),
  };
}

let name = '';
let db: LibraryDb;
let counter = 0;
beforeEach(() => {
  name = `library-test-${++counter}`;
  db = new LibraryDb(name);
});
afterEach(() => db.close());

describe('LibraryDb', () => {
  it('keys photos by the hash of their bytes: the same photo added twice, under any name, is stored once', async () => {
    const [a, b] = [await realPhoto(0), await realPhoto(1)];
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(a.id).not.toBe(b.id);
    const first = await db.addPhotos([a, b]);
    expect(first.added.sort()).toEqual([a.id, b.id].sort());
    const again = await db.addPhotos([await realPhoto(0, 'renamed-copy.jpg'), await realPhoto(2)]);
    expect(again.duplicates).toEqual([a.id]);
    expect(again.added).toHaveLength(1);
    // and within one batch
    const twice = await db.addPhotos([await realPhoto(3), await realPhoto(3, 'same-again.jpg')]);
    expect(twice.added).toHaveLength(1);
    expect(twice.duplicates).toHaveLength(1);
    // the first name given is the one kept
    expect((await db.allPhotos()).map((p) => p.name)).not.toContain('same-again.jpg');
    expect(await db.counts()).toEqual({ photos: 0, faces: 0, pending: 4, failed: 0 });
  });

  it('resumes the queue from a new connection, oldest first, without the photos already indexed', async () => {
    const photos = await Promise.all([0, 1, 2, 3].map((i) => realPhoto(i)));
    await db.addPhotos(photos);
    await db.saveIndexed(photos[0].id, analysis(2), 'dlib@abc');
    await db.saveFailed(photos[1].id, 'not an image');
    db.close();
    // a reload: a new connection to the same database
    db = new LibraryDb(name);
    const pending = await db.nextPending(10);
    expect(pending.map((p) => p.photo.id)).toEqual([photos[2].id, photos[3].id]);
    // the queued file is the original bytes
    expect(await photoId(await pending[0].file.arrayBuffer())).toBe(photos[2].id);
    expect(await db.counts()).toEqual({ photos: 1, faces: 2, pending: 2, failed: 1 });
    expect((await db.allPhotos()).filter((p) => p.status === 'failed').map((p) => [p.id, p.failure])).toEqual([[photos[1].id, 'not an image']]);
  });

  it('writes an indexed photo in one transaction: a failing write leaves it pending with its file, nothing half-stored', async () => {
    const photo = await realPhoto(4);
    await db.addPhotos([photo]);
    const broken = analysis(3);
    // a value IndexedDB cannot store, in the last face: the transaction aborts after the first writes
    (broken.faces[2] as unknown as { crop: unknown }).crop = () => undefined;
    await expect(db.saveIndexed(photo.id, broken, 'dlib@abc')).rejects.toThrow();
    expect(await db.counts()).toEqual({ photos: 0, faces: 0, pending: 1, failed: 0 });
    expect(await db.facesOf(photo.id)).toEqual([]);
    expect(await db.preview(photo.id)).toBeUndefined();
    expect(await db.nextPending(1)).toHaveLength(1);
    // the same photo then indexes normally
    await db.saveIndexed(photo.id, analysis(3), 'dlib@abc');
    const faces = await db.facesOf(photo.id);
    expect(faces.map((f) => f.index)).toEqual([0, 1, 2]);
    expect(await db.nextPending(1)).toEqual([]);
    const stored = await db.photo(photo.id);
    expect(stored).toMatchObject({ status: 'indexed', faceCount: 3, width: 450, height: 300 });
    const vectors = await db.embeddings('dlib@abc');
    expect(vectors).toHaveLength(3);
    expect(vectors[0].vector).toBeInstanceOf(Float32Array);
    expect(Array.from(vectors[0].vector.slice(0, 3))).toEqual(Array.from(analysis(3).faces[0].embedding.slice(0, 3)));
  });

  it('drops the photos still waiting (a cancel) in one go, keeping the indexed ones', async () => {
    const photos = await Promise.all([10, 11, 12].map((i) => realPhoto(i)));
    await db.addPhotos(photos);
    await db.saveIndexed(photos[0].id, analysis(1), 'dlib@abc');
    expect(await db.dropPending()).toBe(2);
    expect(await db.counts()).toEqual({ photos: 1, faces: 1, pending: 0, failed: 0 });
    expect(await db.nextPending(10)).toEqual([]);
    expect((await db.allPhotos()).map((p) => p.id)).toEqual([photos[0].id]);
  });

  it('removes a photo with everything stored for it; clear empties the library', async () => {
    const photos = await Promise.all([5, 6].map((i) => realPhoto(i)));
    await db.addPhotos(photos);
    await db.saveIndexed(photos[0].id, analysis(2), 'dlib@abc');
    await db.saveIndexed(photos[1].id, analysis(1), 'dlib@abc');
    await db.removePhoto(photos[0].id);
    expect(await db.counts()).toEqual({ photos: 1, faces: 1, pending: 0, failed: 0 });
    expect(await db.facesOf(photos[0].id)).toEqual([]);
    expect(await db.preview(photos[0].id)).toBeUndefined();
    expect((await db.embeddings('dlib@abc')).map((e) => e.photoId)).toEqual([photos[1].id]);
    // a result arriving for a removed photo is dropped, not resurrected
    await db.saveIndexed(photos[0].id, analysis(2), 'dlib@abc');
    expect(await db.counts()).toEqual({ photos: 1, faces: 1, pending: 0, failed: 0 });
    await db.clear();
    expect(await db.counts()).toEqual({ photos: 0, faces: 0, pending: 0, failed: 0 });
  });

  it('reads an indexed photo back as the one Photo model, with the vectors of the model asked for', async () => {
    const [photo, waiting] = await Promise.all([realPhoto(4), realPhoto(5)]);
    await db.addPhotos([photo, waiting]);
    const result = analysis(2, 3);
    await db.saveIndexed(photo.id, result, 'dlib-resnet29@abc');
    expect(await db.photoWithFaces(waiting.id, 'dlib-resnet29')).toBeNull();
    const stored = await db.photoWithFaces(photo.id, 'dlib-resnet29');
    if (!stored || 'otherModel' in stored) throw new Error('expected the photo');
    expect(stored.photo).toMatchObject({ id: photo.id, name: photo.name, width: 450, height: 300, embedder: 'dlib-resnet29' });
    expect(stored.photo.faces.map((f) => [f.box, f.confidence, Array.from(f.embedding)])).toEqual(
      result.faces.map((f) => [f.box, f.confidence, Array.from(f.embedding)]),
    );
    expect(await stored.preview.arrayBuffer()).toEqual(await result.preview.arrayBuffer());
    // a photo whose faces have no vectors of the model in use says so, rather than showing faces without them
    expect(await db.photoWithFaces(photo.id, 'vggface2-mobilenet')).toEqual({ otherModel: true, name: photo.name });
  });

  it('keeps the old model’s vectors until the new model has covered every photo', async () => {
    const photos = await Promise.all([7, 8, 9].map((i) => realPhoto(i)));
    await db.addPhotos(photos);
    await db.saveIndexed(photos[0].id, analysis(2), 'dlib@abc');
    await db.saveIndexed(photos[1].id, analysis(1), 'dlib@abc');
    await db.saveIndexed(photos[2].id, analysis(0), 'dlib@abc');
    // photos without faces need no vectors
    expect((await db.photosMissing('mobilenet@def')).sort()).toEqual([photos[0].id, photos[1].id].sort());
    await db.saveEmbeddings(photos[0].id, 'mobilenet@def', analysis(2, 7).faces.map((f) => f.embedding));
    expect(await db.photosMissing('mobilenet@def')).toEqual([photos[1].id]);
    await expect(db.saveEmbeddings(photos[1].id, 'mobilenet@def', [])).rejects.toThrow(/1 faces stored, 0 vectors/);
    expect(await db.embeddings('dlib@abc')).toHaveLength(3);
    await db.saveEmbeddings(photos[1].id, 'mobilenet@def', analysis(1, 8).faces.map((f) => f.embedding));
    expect(await db.photosMissing('mobilenet@def')).toEqual([]);
    expect(await db.dropEmbeddingsExcept('mobilenet@def')).toBe(3);
    expect(await db.embeddings('dlib@abc')).toEqual([]);
    expect(await db.embeddings('mobilenet@def')).toHaveLength(3);
  });

  it('keeps each face’s source region (what a re-index embeds from) with the face, and a new connection reads it back', async () => {
    const photo = await realPhoto(3);
    await db.addPhotos([photo]);
    const result = analysis(2, 7);
    result.faces.forEach((f, i) => {
      f.source = { image: new Blob([new Uint8Array([9, i])], { type: 'image/jpeg' }), box: [5 + i, 6, 20, 22], keypoints };
    });
    await db.saveIndexed(photo.id, result, 'dlib@abc');
    db.close();
    db = new LibraryDb(name);
    const faces = await db.facesOf(photo.id);
    expect(faces.map((f) => f.source?.box)).toEqual([[5, 6, 20, 22], [6, 6, 20, 22]]);
    expect(await Promise.all(faces.map(async (f) => [...new Uint8Array(await f.source!.image.arrayBuffer())]))).toEqual([[9, 0], [9, 1]]);
    expect(faces[0].source?.keypoints).toEqual(keypoints);
  });
});
