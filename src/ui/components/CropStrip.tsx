import { highlightFace, useStore, type PhotoSlot, type ShownFace } from '../store';
import { CropImage } from './CropImage';

/** Every face of one photo as a focusable crop; hover or focus highlights it in the photo, matrix and list. */
export function CropStrip({ slot, faces, colors }: { slot: PhotoSlot; faces: ShownFace[]; colors: string[] }) {
  const highlighted = useStore((s) => s.highlight[slot]);
  if (faces.length === 0) return null;
  return (
    <ul className="crop-strip" aria-label={`Faces in photo ${slot}`}>
      {faces.map((face, i) => (
        <li key={i}>
          <button
            type="button"
            className={`crop-button${highlighted === i ? ' is-highlighted' : ''}`}
            style={{ '--face-color': colors[i] } as React.CSSProperties}
            aria-label={`Face ${slot}${i + 1}, detection confidence ${(face.confidence * 100).toFixed(1)}%`}
            data-box={face.box.join(',')}
            onPointerEnter={() => highlightFace(slot, i)}
            onPointerLeave={() => highlightFace(slot, null)}
            onFocus={() => highlightFace(slot, i)}
            onBlur={() => highlightFace(slot, null)}
          >
            <CropImage src={face.cropUrl} label="" />
            <span className="face-number">
              {slot}
              {i + 1}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
