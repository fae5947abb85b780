// What the Library view does: hand files to the worker's indexing queue, steer it, and switch views with the address.
import type { LibraryFileIn } from '../../worker/protocol';
import { pushAlert, useStore, type LibrarySection, type PhotoSlot, type View } from '../store';
import { libraryClient, showStoredPhoto } from '../actions';
import { libraryDb } from './library-data';
import { userMessage } from '../worker-client';

const LIBRARY_PATH = '/library';
const PEOPLE_PATH = '/library/people';

function placeFromAddress(): { view: View; librarySection: LibrarySection } {
  const path = location.pathname.replace(/\/+$/, '');
  if (path === PEOPLE_PATH) return { view: 'library', librarySection: 'people' };
  return { view: path === LIBRARY_PATH ? 'library' : 'compare', librarySection: 'photos' };
}

export function viewFromAddress(): View {
  return placeFromAddress().view;
}

/** Shows a view and puts it in the address (a new history entry, so back and forward move between views). */
export function showView(view: View): void {
  if (useStore.getState().view === view) return;
  const section = useStore.getState().librarySection;
  history.pushState(null, '', view === 'library' ? (section === 'people' ? PEOPLE_PATH : LIBRARY_PATH) : '/');
  useStore.setState({ view });
}

/** Switches between the Library's photos and its people, in the address too. */
export function showLibrarySection(librarySection: LibrarySection): void {
  const state = useStore.getState();
  if (state.view === 'library' && state.librarySection === librarySection) return;
  history.pushState(null, '', librarySection === 'people' ? PEOPLE_PATH : LIBRARY_PATH);
  useStore.setState({ view: 'library', librarySection });
}

let routing = false;
export function followAddress(): void {
  useStore.setState(placeFromAddress());
  if (routing) return;
  routing = true;
  window.addEventListener('popstate', () => useStore.setState(placeFromAddress()));
}

/** Runs a Library or People action; what fails is said in the alert region ("Could not …") and gives undefined. */
export async function act<T>(step: () => Promise<T>, what: string): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    pushAlert(`Could not ${what}: ${userMessage(error)}`);
    return undefined;
  }
}

/** Queues files for indexing; a folder's files keep their folder path. Thousands go over in one message. */
export async function addToLibrary(files: LibraryFileIn[]): Promise<void> {
  if (files.length === 0) return;
  // ask once that the browser keep the library rather than evict it under storage pressure
  void navigator.storage?.persist?.().catch(() => false);
  await act(async () => {
    useStore.setState({ libraryAdded: await libraryClient().libraryAdd(files) });
  }, 'add the photos to the library');
}

export const folderOf = (file: File): string => {
  const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath ?? '';
  return relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
};

type DirectoryPicker = (options?: { id?: string; mode?: 'read' }) => Promise<FileSystemDirectoryHandle>;
type IterableDirectory = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

/** Whether the browser has the File System Access directory picker (Chromium); elsewhere the folder input is used. */
export const hasDirectoryPicker = (): boolean => typeof (window as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker === 'function';

/**
 * A folder chosen with the File System Access picker, every file in it and its sub-folders with its folder path.
 * Resolves null when the person closes the picker.
 */
export async function pickFolder(): Promise<LibraryFileIn[] | null> {
  let root: FileSystemDirectoryHandle;
  try {
    root = await (window as unknown as { showDirectoryPicker: DirectoryPicker }).showDirectoryPicker({ id: 'facematch-library', mode: 'read' });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    throw error;
  }
  const files: LibraryFileIn[] = [];
  const visit = async (directory: FileSystemDirectoryHandle, folder: string): Promise<void> => {
    for await (const handle of (directory as IterableDirectory).values()) {
      if (handle.kind === 'file') files.push({ file: await (handle as FileSystemFileHandle).getFile(), folder });
      else await visit(handle as FileSystemDirectoryHandle, folder ? `${folder}/${handle.name}` : handle.name);
    }
  };
  await visit(root, root.name);
  return files;
}

/** Adds a folder through the directory picker; what fails is said in the alert region. */
export const addFolderWithPicker = () =>
  act(async () => {
    const files = await pickFolder();
    if (files) await addToLibrary(files);
  }, 'read the folder');

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

export const pauseIndexing = () => act(() => libraryClient().libraryPause(), 'pause indexing');
export const resumeIndexing = () => act(() => libraryClient().libraryResume(), 'resume indexing');
export const cancelIndexing = () => act(() => libraryClient().libraryCancel(), 'cancel indexing');

/** Opens a Library photo in a Compare slot, with the vectors of the model in use, and switches to Compare. */
export async function openInCompare(photoId: string, slot: PhotoSlot): Promise<void> {
  const embedder = useStore.getState().embedder?.id;
  if (!embedder) return;
  const stored = await libraryDb().photoWithFaces(photoId, embedder);
  if (stored === null) return;
  if ('otherModel' in stored) {
    pushAlert(`“${stored.name}” was indexed with another face model; it can be compared once it is indexed again.`);
    return;
  }
  showView('compare');
  await showStoredPhoto(slot, stored.photo, stored.preview);
}

/** Removes one photo and everything stored for it. */
export const removeFromLibrary = (photoId: string) =>
  act(async () => {
    await libraryDb().removePhoto(photoId);
    // the worker's face index lets go of the photo's faces
    await libraryClient().people('peopleCatchUp');
  }, 'remove the photo');

/** Empties the library: the queue is stopped first, so nothing is written after the clear. */
export const clearLibrary = () =>
  act(async () => {
    await libraryClient().libraryCancel();
    await libraryDb().clear();
    await libraryClient().people('peopleCatchUp');
    useStore.setState({ libraryAdded: null });
  }, 'clear the library');
