import { useDeferredValue, useRef, useState } from 'react';
import { removePhoto, retryStalledAnalysis, setPhoto, setPhotoFromUrl } from '../actions';
import type { FaceColors } from '../colors';
import { pushAlert, slotPhoto, useStore, type PhotoSlot } from '../store';
import { CropStrip } from './CropStrip';
import { FileButton } from './FileButton';
import { useDropTarget } from './use-drop-target';
import { FacePhoto } from './FacePhoto';

function firstImageFile(items: DataTransfer | null): File | null {
  if (!items) return null;
  return Array.from(items.files).find((f) => f.type.startsWith('image/')) ?? items.files[0] ?? null;
}

/** Image files in a drop (by MIME type; if none says image, the first file, so a bad one gets its message). */
function droppedFiles(items: DataTransfer | null): File[] {
  if (!items) return [];
  const files = Array.from(items.files);
  const images = files.filter((f) => f.type.startsWith('image/'));
  return images.length > 0 ? images : files.slice(0, 1);
}

function statusText(status: string, faces: number, modelsReady: boolean): string {
  switch (status) {
    case 'decoding':
      return 'Opening the photo…';
    case 'analyzing':
      return modelsReady ? 'Finding faces…' : 'Waiting for the face models…';
    case 'done':
      return faces === 0 ? 'No faces found' : `${faces} face${faces === 1 ? '' : 's'} found`;
    default:
      return '';
  }
}

/** One photo slot: choose, drop, paste or fetch a photo; see its faces; remove or replace it. */
export function PhotoPanel({ slot, colors }: { slot: PhotoSlot; colors: FaceColors }) {
  const photo = useStore((s) => slotPhoto(s, slot));
  // The marks and the crop strip of a crowded photo render at transition priority (in slices), so the
  // status line and the match list update at once and no long task blocks the page.
  const deferredFaces = useDeferredValue(photo.faces);
  const modelsReady = useStore((s) => s.modelsReady);
  // Several photos dropped at once: the first goes here, the second into the other panel (the two-photo
  // comparison people mean); any more are ignored, and the alert says so.
  const drop = useDropTarget((data) => {
    const [first, second, ...rest] = droppedFiles(data);
    accept(first ?? null);
    if (second) void setPhoto(slot === 'A' ? 'B' : 'A', second, second.name);
    if (rest.length > 0) {
      pushAlert(
        `Only two photos are compared at a time: used “${first.name}” and “${second.name}”, ` +
          `ignored ${rest.length} more (${rest.map((f) => f.name).join(', ')}).`,
      );
    }
  });
  const [url, setUrl] = useState('');
  const fileInput = useRef<HTMLInputElement>(null);
  const busy = photo.status === 'decoding' || photo.status === 'analyzing';
  const hasPhoto = photo.imageUrl !== null;

  const accept = (file: File | null) => {
    if (file) void setPhoto(slot, file, file.name || 'pasted image');
  };

  return (
    <section
      className={`photo-panel${drop.dragging ? ' is-dragging' : ''}`}
      aria-label={`Photo ${slot}`}
      tabIndex={0}
      aria-busy={busy}
      onPaste={(event) => {
        const file = firstImageFile(event.clipboardData);
        if (file) {
          event.preventDefault();
          accept(file);
          return;
        }
        const text = event.clipboardData.getData('text/plain').trim();
        const target = event.target as HTMLElement;
        if (/^https?:\/\//i.test(text) && target.tagName !== 'INPUT') {
          event.preventDefault();
          void setPhotoFromUrl(slot, text);
        }
      }}
      {...drop.handlers}
    >
      <header className="panel-header">
        <h2>
          <span className="slot-badge" aria-hidden="true">
            {slot}
          </span>
          Photo {slot}
        </h2>
        {photo.name && (
          <span className="file-name" title={photo.name}>
            {photo.name}
          </span>
        )}
        <div className="panel-actions">
          <FileButton label={`Choose photo ${slot}`} accept="image/*" inputRef={fileInput} onFiles={([file]) => accept(file)}>
            {hasPhoto ? 'Replace' : 'Choose file'}
          </FileButton>
          {(hasPhoto || photo.status === 'error') && (
            <button type="button" className="button subtle" onClick={() => removePhoto(slot)}>
              Remove<span className="visually-hidden"> photo {slot}</span>
            </button>
          )}
        </div>
      </header>

      <div className="stage">
        {hasPhoto ? (
          <div className="photo-frame">
            <FacePhoto slot={slot} photo={photo} marks={deferredFaces} colors={colors[slot]} />
            {busy && (
              <div className="busy-veil" aria-hidden="true">
                <span className="spinner" />
              </div>
            )}
          </div>
        ) : (
          <button type="button" className="dropzone" onClick={() => fileInput.current?.click()}>
            <svg viewBox="0 0 48 48" aria-hidden="true" className="dropzone-icon">
              <rect x="6" y="10" width="36" height="28" rx="4" fill="none" stroke="currentColor" strokeWidth="2.5" />
              <circle cx="18" cy="21" r="4" fill="none" stroke="currentColor" strokeWidth="2.5" />
              <path d="M8 36l11-10 8 7 6-5 9 8" fill="none" stroke="currentColor" strokeWidth="2.5" />
            </svg>
            <span className="dropzone-title">Drop a photo here</span>
            <span className="dropzone-hint">or click to choose one · paste with Ctrl+V after selecting this panel</span>
          </button>
        )}
      </div>

      <p className="panel-status" role="status" data-status={photo.status}>
        {photo.status === 'error' ? <span className="error-text">{photo.error}</span> : statusText(photo.status, photo.faces.length, modelsReady)}
        {photo.status === 'done' && photo.timings && (
          <span
            className="muted"
            title={`decode ${Math.round(photo.timings.decode)} ms · detect ${Math.round(photo.timings.detect)} ms · embed ${Math.round(photo.timings.embed)} ms`}
          >
            {' '}
            · {(photo.timings.total / 1000).toFixed(1)} s
          </span>
        )}
      </p>

      {photo.status === 'analyzing' && photo.stalled && (
        <div className="stall-notice">
          <span>This is taking much longer than it should; the analysis may be stuck.</span>
          <button type="button" className="button small" onClick={() => void retryStalledAnalysis()}>
            Retry<span className="visually-hidden"> the analysis of photo {slot}</span>
          </button>
        </div>
      )}

      <CropStrip slot={slot} faces={deferredFaces} colors={colors[slot]} />

      <form
        className="url-form"
        onSubmit={(event) => {
          event.preventDefault();
          if (url.trim()) void setPhotoFromUrl(slot, url).then(() => setUrl(''));
        }}
      >
        <input
          type="url"
          placeholder="…or an image address (https://…)"
          aria-label={`Image URL for photo ${slot}`}
          value={url}
          onChange={(event) => setUrl(event.target.value)}
        />
        <button type="submit" className="button subtle" disabled={!url.trim()}>
          Load<span className="visually-hidden"> URL into photo {slot}</span>
        </button>
      </form>
    </section>
  );
}
