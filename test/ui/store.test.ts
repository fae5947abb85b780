// The UI store's one collection of photos: Compare's slots select photos by id; a photo leaves the collection (its
// object URLs revoked) only when no slot shows it, and the matrix belongs to the two photos and runs it came from.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentMatrix, newPhoto, placeInSlot, slotPhoto, updatePhoto, useStore, type PhotoEntry } from '../../src/ui/store';

function analysed(id: string, faces: number, run = 1): PhotoEntry {
  return {
    ...newPhoto(id, `${id}.jpg`),
    status: 'done',
    width: 100,
    height: 80,
    embedder: 'dlib-resnet29',
    requestId: run,
    imageUrl: `blob:image-${id}-${run}`,
    faces: Array.from({ length: faces }, (_, i) => ({
      box: [i * 10, 0, 10, 10] as [number, number, number, number],
      keypoints: { left_eye: [1, 1], right_eye: [2, 1], nose: [1, 2], mouth_left: [1, 3], mouth_right: [2, 3] },
      confidence: 0.9,
      embedding: new Float32Array(4),
      crop: new Blob(),
      cropUrl: `blob:crop-${id}-${run}-${i}`,
    })),
  };
}

const revoked = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
afterEach(() => {
  placeInSlot('A', null);
  placeInSlot('B', null);
  revoked.mockClear();
});

describe('the photo collection', () => {
  it('shows a photo in a slot by id and drops the one it replaces, with its object URLs', () => {
    placeInSlot('A', analysed('one', 2));
    expect(slotPhoto(useStore.getState(), 'A').name).toBe('one.jpg');
    expect(slotPhoto(useStore.getState(), 'B').status).toBe('empty');
    placeInSlot('A', analysed('two', 1));
    expect(Object.keys(useStore.getState().photos)).toEqual(['two']);
    expect(revoked.mock.calls.map(([url]) => url).sort()).toEqual(['blob:crop-one-1-0', 'blob:crop-one-1-1', 'blob:image-one-1']);
  });

  it('keeps a photo both slots show until neither does; a new entry of the same id replaces it in both', () => {
    placeInSlot('A', analysed('lib', 1));
    // the same Library photo opened again, in B: one entry, shown in both, the first run's URLs revoked
    placeInSlot('B', analysed('lib', 1, 2));
    expect(slotPhoto(useStore.getState(), 'A')).toBe(slotPhoto(useStore.getState(), 'B'));
    expect(slotPhoto(useStore.getState(), 'A').requestId).toBe(2);
    expect(revoked.mock.calls.map(([url]) => url).sort()).toEqual(['blob:crop-lib-1-0', 'blob:image-lib-1']);
    revoked.mockClear();
    placeInSlot('A', null);
    expect(Object.keys(useStore.getState().photos)).toEqual(['lib']);
    expect(revoked).not.toHaveBeenCalled();
    placeInSlot('B', null);
    expect(useStore.getState().photos).toEqual({});
    expect(revoked.mock.calls.map(([url]) => url).sort()).toEqual(['blob:crop-lib-2-0', 'blob:image-lib-2']);
  });

  it('updates only photos still in the collection', () => {
    updatePhoto('gone', { status: 'error' });
    expect(useStore.getState().photos).toEqual({});
  });

  it('uses the matrix only for the photos and runs it was computed from', () => {
    placeInSlot('A', analysed('a', 1));
    placeInSlot('B', analysed('b', 1));
    useStore.setState({ matrix: { a: { id: 'a', requestId: 1 }, b: { id: 'b', requestId: 1 }, values: [[0.3]] } });
    expect(currentMatrix(useStore.getState())).toEqual([[0.3]]);
    updatePhoto('b', { requestId: 2 });
    expect(currentMatrix(useStore.getState())).toBeNull();
    updatePhoto('b', { requestId: 1 });
    placeInSlot('B', { ...analysed('c', 1), requestId: 1 });
    expect(currentMatrix(useStore.getState())).toBeNull();
  });
});
