// What the Library view does: hand files to the worker's indexing queue, steer it, and switch views with the address.
import type { EmbedderId } from '../../ml/types';
import type { LibraryFileIn, PhotoSlot } from '../../worker/protocol';
import { pushAlert, useStore, type View } from '../store';
import { libraryClient, showStoredPhoto } from '../actions';
import { modelOfKey } from '../../storage/library-db';
import { libraryDb } from './library-data';
import { userMessage } from '../worker-client';

const LIBRARY_PATH = '/library';

export function viewFromAddress(): View {
  return location.pathname.replace(/\/+$/, '') === LIBRARY_PATH ? 'library' : 'compare';
}

/** Shows a view and puts it in the address (a new history entry, so back and forward move between views). */
export function showView(view: View): void {
  if (useStore.getState().view === view) return;
  history.pushState(null, '', view === 'library' ? LIBRARY_PATH : '/');
  useStore.setState({ view });
}

let routing = false;
export function followAddress(): void {
  useStore.setState({ view: viewFromAddress() });
  if (routing) return;
  routing = true;
  window.addEventListener('popstate', () => useStore.setState({ view: viewFromAddress() }));
}

/** Runs a Library action; what fails is said in the alert region ("Could not …"). */
async function steer(step: () => Promise<void>, what: string): Promise<void> {
  try {
    await step();
  } catch (error) {
    pushAlert(`Could not ${what}: ${userMessage(error)}`);
  }
}

/** Queues files for indexing; a folder's files keep their folder path. Thousands go over in one message. */
export async function addToLibrary(files: LibraryFileIn[]): Promise<void> {
  if (files.length === 0) return;
  // ask once that the browser keep the library rather than evict it under storage pressure
  void navigator.storage?.persist?.().catch(() => false);
  await steer(async () => {
    useStore.setState({ libraryAdded: await libraryClient().libraryAdd(files) });
  }, 'add the photos to the library');
}

export const folderOf = (file: File): string => {
  const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
  return relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
};

/** Every file in a drop, descending into dropped folders. */
export async function droppedLibraryFiles(items: DataTransferItemList): Promise<LibraryFileIn[]> {
  const entries = Array.from(items)
    .map((item) => item.webkitGetAsEntry?.() ?? null)
    .filter((entry): entry is FileSystemEntry => entry !== null);
  const files: LibraryFileIn[] = [];
  const visit = async (entry: FileSystemEntry, folder: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      files.push({ file, folder });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    const path = folder ? `${folder}/${entry.name}` : entry.name;
    // readEntries returns at most ~100 entries a call: read until it returns none
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await visit(child, path);
    }
  };
  for (const entry of entries) await visit(entry, '');
  return files;
}

export const pauseIndexing = () => steer(() => libraryClient().libraryPause(), 'pause indexing');
export const resumeIndexing = () => steer(() => libraryClient().libraryResume(), 'resume indexing');
export const cancelIndexing = () => steer(() => libraryClient().libraryCancel(), 'cancel indexing');

/** Opens a Library photo in a Compare slot, with the vectors of the model in use, and switches to Compare. */
export async function openInCompare(photoId: string, slot: PhotoSlot): Promise<void> {
  const db = libraryDb();
  const embedder = useStore.getState().embedder?.id;
  const [photo, preview, faces, vectors] = await Promise.all([db.photo(photoId), db.preview(photoId), db.facesOf(photoId), db.vectorsOf(photoId)]);
  const byFace = new Map(vectors.filter((v) => modelOfKey(v.embedder) === embedder).map((v) => [v.faceId, v.vector]));
  if (!photo || !preview || !embedder || photo.width === undefined || photo.height === undefined) return;
  if (faces.some((f) => !byFace.has(f.id))) {
    pushAlert(`“${photo.name}” was indexed with another face model; it can be compared once it is indexed again.`);
    return;
  }
  showView('compare');
  await showStoredPhoto(slot, {
    name: photo.name,
    width: photo.width,
    height: photo.height,
    preview,
    embedder: embedder as EmbedderId,
    faces: faces.map((f) => ({ box: f.box, keypoints: f.keypoints, confidence: f.confidence, crop: f.crop, embedding: byFace.get(f.id)! })),
  });
}

/** Removes one photo and everything stored for it. */
export const removeFromLibrary = (photoId: string) => steer(() => libraryDb().removePhoto(photoId), 'remove the photo');

/** Empties the library: the queue is stopped first, so nothing is written after the clear. */
export const clearLibrary = () =>
  steer(async () => {
    await libraryClient().libraryCancel();
    await libraryDb().clear();
    useStore.setState({ libraryAdded: null });
  }, 'clear the library');
