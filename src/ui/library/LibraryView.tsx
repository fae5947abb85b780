import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { LibraryPhoto } from '../../storage/library-db';
import { useStore } from '../store';
import {
  addFolderWithPicker,
  addToLibrary,
  cancelIndexing,
  clearLibrary,
  droppedLibraryFiles,
  folderOf,
  hasDirectoryPicker,
  pauseIndexing,
  resumeIndexing,
  showLibrarySection,
} from './library-actions';
import { PhotoDetail } from './PhotoDetail';
import { PeopleView } from './PeopleView';
import { useDropTarget } from '../components/use-drop-target';
import { FileButton } from '../components/FileButton';
import { libraryDb, useBlobUrl, useLive } from './library-data';

const TILE = 168;

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

/** The bar of a progressbar: its name, done of total, and the words a screen reader says for the value. */
function ProgressTrack({ label, done, total, text }: { label: string; done: number; total: number; text: string }) {
  return (
    <div role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={done} aria-valuetext={text} className="progress-track">
      <div className="progress-fill" style={{ width: `${(100 * done) / Math.max(1, total)}%` }} />
    </div>
  );
}

function IndexingProgress() {
  const progress = useStore((s) => s.libraryProgress);
  if (!progress || progress.queued === 0 || progress.otherTab || (progress.state === 'idle' && progress.done >= progress.queued)) return null;
  const rate = progress.photosPerSecond;
  const text = [
    `${progress.done} of ${plural(progress.queued, 'photo')}`,
    plural(progress.faces, 'face') + ' found',
    rate ? `${rate.toFixed(1)} photos/s` : null,
    progress.secondsLeft !== null && progress.state === 'indexing' ? `about ${duration(progress.secondsLeft)} left` : null,
    progress.state === 'paused' ? 'paused' : null,
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <div className="library-progress">
      <ProgressTrack label="Indexing photos" done={progress.done} total={progress.queued} text={text} />
      <span className="progress-text">{text}</span>
      {progress.state === 'paused' ? (
        <button type="button" className="button small" onClick={() => void resumeIndexing()}>
          Resume indexing
        </button>
      ) : (
        <button type="button" className="button small" onClick={() => void pauseIndexing()}>
          Pause indexing
        </button>
      )}
      <button type="button" className="button small subtle" onClick={() => void cancelIndexing()}>
        Cancel
      </button>
    </div>
  );
}

/** A change of model caught up with in the background; and a note while another tab does the indexing. */
function ReindexProgress() {
  const reindex = useStore((s) => s.libraryProgress?.reindex ?? null);
  const otherTab = useStore((s) => s.libraryProgress?.otherTab ?? false);
  const label = useStore((s) => (reindex ? s.embedders.find((e) => e.id === reindex.model)?.label ?? reindex.model : ''));
  if (otherTab) return <p className="muted library-added">Another tab is indexing this library; this one takes over when it closes.</p>;
  if (!reindex) return null;
  const text = `${reindex.done} of ${plural(reindex.total, 'photo')}`;
  return (
    <div className="library-progress">
      <ProgressTrack label={`Re-indexing for ${label}`} done={reindex.done} total={reindex.total} text={text} />
      <span className="progress-text">Re-indexing for {label}: {text}</span>
    </div>
  );
}

function PhotoTile({ photo, style, onOpen }: { photo: LibraryPhoto; style: React.CSSProperties; onOpen(id: string): void }) {
  const url = useBlobUrl(() => libraryDb().preview(photo.id), `${photo.id}:${photo.status}`);
  const faces = photo.faceCount ?? 0;
  const label =
    photo.status === 'indexed' ? `${photo.name}, ${plural(faces, 'face')}` : photo.status === 'failed' ? `${photo.name}, skipped` : `${photo.name}, waiting`;
  return (
    <li className={`library-tile is-${photo.status}`} style={style} data-id={photo.id} data-faces={photo.status === 'indexed' ? faces : undefined}>
      <button type="button" className="tile-button" aria-label={label} disabled={photo.status !== 'indexed'} onClick={() => onOpen(photo.id)}>
        {url ? <img src={url} alt="" loading="lazy" decoding="async" /> : <span className="tile-placeholder" aria-hidden="true" />}
        <span className="tile-caption" aria-hidden="true">
          {photo.status === 'indexed' ? plural(faces, 'face') : photo.status === 'failed' ? 'skipped' : '…'}
        </span>
      </button>
    </li>
  );
}

/** The library's photos in a virtualised grid: only the rows near the viewport are in the page. */
function PhotoGrid({ photos, onOpen }: { photos: LibraryPhoto[]; onOpen(id: string): void }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(960);
  const columns = Math.max(1, Math.floor(width / TILE));
  const rows = Math.ceil(photos.length / columns);
  const virtualizer = useVirtualizer({ count: rows, getScrollElement: () => scroller.current, estimateSize: () => TILE, overscan: 3 });
  return (
    <div
      className="library-grid-scroll"
      ref={(node) => {
        scroller.current = node;
        if (node && node.clientWidth && Math.floor(node.clientWidth / TILE) !== columns) setWidth(node.clientWidth);
      }}
    >
      <ul className="library-grid" aria-label="Library photos" data-count={photos.length} style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().flatMap((row) =>
          photos.slice(row.index * columns, row.index * columns + columns).map((photo, column) => (
            <PhotoTile key={photo.id} photo={photo} onOpen={onOpen} style={{ top: row.start, left: column * TILE, width: TILE - 8, height: TILE - 8 }} />
          )),
        )}
      </ul>
    </div>
  );
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** How much this site stores and may store, re-read as the library changes; whether the browser keeps it for good. */
function StorageUse({ photos }: { photos: number }) {
  const [use, setUse] = useState<{ usage: number; quota: number; persisted: boolean } | null>(null);
  useEffect(() => {
    let live = true;
    const storage = navigator.storage;
    if (!storage?.estimate) return;
    void Promise.all([storage.estimate(), storage.persisted?.() ?? Promise.resolve(false)]).then(([estimate, persisted]) => {
      if (live) setUse({ usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted });
    });
    return () => {
      live = false;
    };
  }, [photos]);
  if (!use) return null;
  return (
    <p className="muted library-storage">
      Stored in this browser: {megabytes(use.usage)} of {megabytes(use.quota)} available
      {use.persisted ? ' · kept until you clear it' : ' · the browser may clear it when space runs low'}
    </p>
  );
}

/** The Library: add photos or folders, watch them being indexed, see every photo with its face count. */
export function LibraryView() {
  const counts = useLive((db) => db.counts(), [], { photos: 0, faces: 0, pending: 0, failed: 0 });
  const photos = useLive((db) => db.allPhotos(), [], [] as LibraryPhoto[]);
  // the skipped files are rows of the grid's own query: no third live query
  const failures = useMemo(() => photos.filter((p) => p.status === 'failed'), [photos]);
  const added = useStore((s) => s.libraryAdded);
  const error = useStore((s) => s.libraryProgress?.error ?? null);
  const analysedThisSession = useStore((s) => s.libraryProgress?.analysedThisSession ?? 0);
  const drop = useDropTarget((data) => void droppedLibraryFiles(data.items).then(addToLibrary));
  const [openId, setOpenId] = useState<string | null>(null);
  const [confirmingClear, setConfirmingClear] = useState(false);
  const opened = openId ? photos.find((p) => p.id === openId) ?? null : null;
  const section = useStore((s) => s.librarySection);

  return (
    <section
      className={`library${drop.dragging ? ' is-dragging' : ''}`}
      aria-label="Library"
      data-analysed-this-session={analysedThisSession}
      {...drop.handlers}
    >
      <header className="library-header">
        <h2>Library</h2>
        <p className="library-status" role="status" aria-label="Library status">
          {plural(counts.photos, 'photo')} · {plural(counts.faces, 'face')}
        </p>
        <div className="panel-actions">
          <FileButton label="Add photos to the library" accept="image/*" multiple onFiles={(files) => void addToLibrary(files.map((file) => ({ file, folder: '' })))}>
            Add photos
          </FileButton>
          <FileButton
            label="Add a folder to the library"
            className="button subtle"
            multiple
            folder
            onLabelClick={(event) => {
              // the File System Access picker where there is one: it lists folders as folders, and reads files lazily
              if (!hasDirectoryPicker()) return;
              event.preventDefault();
              void addFolderWithPicker();
            }}
            onFiles={(files) => void addToLibrary(files.map((file) => ({ file, folder: folderOf(file) })))}
          >
            Add a folder
          </FileButton>
        </div>
      </header>
      <div role="tablist" aria-label="Library sections" className="library-tabs">
        {(['photos', 'people'] as const).map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={section === name}
            className={`tab${section === name ? ' is-current' : ''}`}
            onClick={() => showLibrarySection(name)}
          >
            {name === 'photos' ? 'Photos' : 'People'}
          </button>
        ))}
      </div>
      <IndexingProgress />
      <ReindexProgress />
      {added && (added.added > 0 || added.duplicates > 0 || added.refused === 0) && (
        <p className="muted library-added">
          Added {plural(added.added, 'photo')}
          {added.duplicates > 0 ? `; ${plural(added.duplicates, 'file')} already in the library` : ''}.
        </p>
      )}
      {added && added.refused > 0 && (
        <p className="error-text" role="alert">
          {plural(added.refused, 'file')} not added: {added.refusal}. What is in the library is kept; free some space or remove photos, then add them
          again.
        </p>
      )}
      {error && (
        <p className="error-text">
          Indexing stopped: {error}. What is indexed is kept; free some space or remove photos, then{' '}
          <button type="button" className="button small" onClick={() => void resumeIndexing()}>
            Resume indexing
          </button>
        </p>
      )}
      {section === 'people' && <PeopleView />}
      {section === 'photos' && opened && <PhotoDetail photo={opened} onClose={() => setOpenId(null)} />}
      {section === 'people' ? null : photos.length === 0 ? (
        <p className="results-placeholder">Add photos or a whole folder (or drop them here). They are indexed on this device and kept in this browser.</p>
      ) : (
        <PhotoGrid photos={photos} onOpen={setOpenId} />
      )}
      {failures.length > 0 && (
        <details className="library-skipped" open>
          <summary>{plural(failures.length, 'file')} skipped</summary>
          <ul aria-label="Skipped files">
            {failures.map((photo) => (
              <li key={photo.id}>
                <strong>{photo.folder ? `${photo.folder}/${photo.name}` : photo.name}</strong>: {photo.failure}
              </li>
            ))}
          </ul>
        </details>
      )}
      <footer className="library-footer">
        <p className="muted">{counts.pending > 0 ? `${plural(counts.pending, 'photo')} waiting to be indexed.` : ''}</p>
        <StorageUse photos={counts.photos + counts.pending} />
        {photos.length > 0 &&
          (confirmingClear ? (
            <p role="group" aria-label="Confirm clearing the library">
              Remove all {plural(photos.length, 'photo')} and their faces from this browser?{' '}
              <button
                type="button"
                className="button small danger"
                onClick={() => {
                  setConfirmingClear(false);
                  setOpenId(null);
                  void clearLibrary();
                }}
              >
                Clear everything
              </button>{' '}
              <button type="button" className="button small subtle" onClick={() => setConfirmingClear(false)}>
                Keep the library
              </button>
            </p>
          ) : (
            <button type="button" className="button small subtle" onClick={() => setConfirmingClear(true)}>
              Clear the library
            </button>
          ))}
      </footer>
    </section>
  );
}
