import type { LibraryPhoto } from '../../storage/library-db';
import { openInCompare, removeFromLibrary } from './library-actions';
import { libraryDb, useBlobUrl, useLive } from './library-data';

const plural = (n: number, word: string) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

/** One Library photo large, its faces marked; from here it opens in Compare or leaves the library. */
export function PhotoDetail({ photo, onClose }: { photo: LibraryPhoto; onClose(): void }) {
  const url = useBlobUrl(() => libraryDb().preview(photo.id), photo.id);
  const faces = useLive((db) => db.facesOf(photo.id), [photo.id], []);
  const width = photo.width ?? 1;
  const height = photo.height ?? 1;
  const stroke = Math.max(width, height) / 300;
  return (
    <section className="library-detail" aria-label="Photo">
      <header className="library-header">
        <h3>{photo.name}</h3>
        <span className="muted">
          {photo.folder ? `${photo.folder} · ` : ''}
          {width} × {height} · {plural(photo.faceCount ?? 0, 'face')}
        </span>
        <div className="panel-actions">
          <button type="button" className="button small" onClick={() => void openInCompare(photo.id, 'A')}>
            Open as photo A in Compare
          </button>
          <button type="button" className="button small" onClick={() => void openInCompare(photo.id, 'B')}>
            Open as photo B in Compare
          </button>
          <button
            type="button"
            className="button small subtle"
            onClick={() => {
              onClose();
              void removeFromLibrary(photo.id);
            }}
          >
            Remove from the library
          </button>
          <button type="button" className="button small subtle" onClick={onClose}>
            Close
          </button>
        </div>
      </header>
      <div className="library-detail-frame">
        {url && <img src={url} alt={`${photo.name}, ${plural(faces.length, 'face')} marked`} />}
        <svg viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
          {faces.map((face) => (
            <g key={face.id}>
              <rect x={face.box[0]} y={face.box[1]} width={face.box[2]} height={face.box[3]} fill="none" stroke="var(--highlight)" strokeWidth={stroke} />
              <text x={face.box[0]} y={face.box[1] - stroke} fontSize={stroke * 7} fill="var(--highlight)">
                {face.index + 1}
              </text>
            </g>
          ))}
        </svg>
      </div>
    </section>
  );
}

