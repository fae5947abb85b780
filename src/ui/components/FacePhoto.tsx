import { memo, useEffect, useRef, useState } from 'react';
import { HIGHLIGHT_COLOR } from '../colors';
import { highlightFace, useStore, type PhotoEntry, type PhotoSlot } from '../store';

interface Props {
  slot: PhotoSlot;
  photo: PhotoEntry;
  /** the faces to draw: photo.faces, possibly a render behind */
  marks: PhotoEntry['faces'];
  colors: string[];
}

/**
 * The photo with a box, five keypoints and a number per face; hovering a face highlights it everywhere.
 * The photo is a plain <img> of the file: the browser decodes it at display size and rasterises it on its own
 * threads, so even a 50 MP photo costs the main thread nothing. Boxes live in the SVG overlay below, so hovers
 * and threshold moves never touch the image.
 */
export function FacePhoto({ slot, photo, marks: faces, colors }: Props) {
  const ref = useRef<HTMLImageElement>(null);
  const [cssSize, setCssSize] = useState<[number, number]>([0, 0]);
  const highlighted = useStore((s) => s.highlight[slot]);
  const { imageUrl, width, height } = photo;

  useEffect(() => {
    const image = ref.current;
    if (!image) return;
    const observer = new ResizeObserver(([entry]) => setCssSize([entry.contentRect.width, entry.contentRect.height]));
    observer.observe(image);
    return () => observer.disconnect();
  }, []);

  const faceAt = (event: React.PointerEvent<HTMLImageElement>): number | null => {
    const image = ref.current;
    if (!image || !imageUrl) return null;
    const rect = image.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * width;
    const y = ((event.clientY - rect.top) / rect.height) * height;
    let best: number | null = null;
    let bestArea = Infinity;
    faces.forEach((face, i) => {
      const [bx, by, bw, bh] = face.box;
      if (x >= bx && x <= bx + bw && y >= by && y <= by + bh && bw * bh < bestArea) {
        best = i;
        bestArea = bw * bh;
      }
    });
    return best;
  };

  const count = photo.faces.length;
  // Keep strokes about 2.5 CSS pixels wide whatever the photo's size on screen (overlay units are photo pixels).
  // (the image letterboxes like the overlay's default "meet": the tighter axis sets the scale)
  const px = imageUrl && cssSize[0] > 0 && cssSize[1] > 0 ? Math.max(width / cssSize[0], height / cssSize[1]) : 1;
  return (
    <>
      <img
        ref={ref}
        className="photo-image"
        src={imageUrl ?? undefined}
        width={imageUrl ? width : undefined}
        height={imageUrl ? height : undefined}
        decoding="async"
        draggable={false}
        alt={`Photo ${slot}: ${photo.name}${photo.status === 'done' ? `, ${count} face${count === 1 ? '' : 's'} marked` : ''}`}
        data-faces={photo.status === 'done' ? count : undefined}
        onPointerMove={(event) => highlightFace(slot, faceAt(event))}
        onPointerLeave={() => highlightFace(slot, null)}
      />
      {imageUrl && faces.length > 0 && (
        <FaceOverlay width={width} height={height} faces={faces} colors={colors} highlighted={highlighted} px={px} />
      )}
    </>
  );
}

interface OverlayProps {
  width: number;
  height: number;
  faces: PhotoEntry['faces'];
  colors: string[];
  highlighted: number | null;
  px: number;
}

/** Box, five keypoints and number per face, in photo pixels over the canvas; the highlighted face on top. */
const FaceOverlay = memo(function FaceOverlay({ width, height, faces, colors, highlighted, px }: OverlayProps) {
  const order = faces.map((_, i) => i).sort((i, j) => Number(i === highlighted) - Number(j === highlighted));
  return (
    <svg className="face-overlay" viewBox={`0 0 ${width} ${height}`} aria-hidden="true">
      {order.map((i) => {
        const face = faces[i];
        const [x, y, w, h] = face.box;
        const isHighlighted = i === highlighted;
        const color = isHighlighted ? HIGHLIGHT_COLOR : colors[i];
        const line = (isHighlighted ? 4 : 2.5) * px;
        const tagW = (String(i + 1).length * 8 + 10) * px;
        const tagH = 18 * px;
        const tagY = y - tagH >= 0 ? y - tagH : y;
        return (
          <g key={i} className="face-mark" data-face={i + 1} data-color={color}>
            <rect x={x} y={y} width={w} height={h} fill="none" stroke="rgba(0,0,0,0.55)" strokeWidth={line + 2 * px} />
            <rect x={x} y={y} width={w} height={h} fill="none" stroke={color} strokeWidth={line} />
            {Object.values(face.keypoints).map(([kx, ky], k) => (
              <circle key={k} cx={kx} cy={ky} r={2.5 * px} fill={color} stroke="rgba(0,0,0,0.7)" strokeWidth={px} />
            ))}
            <rect x={x - line / 2} y={tagY} width={tagW} height={tagH} fill={color} />
            <text x={x - line / 2 + 5 * px} y={tagY + 13.5 * px} fontSize={13 * px} fontWeight={600} fill="#0f172a">
              {i + 1}
            </text>
          </g>
        );
      })}
    </svg>
  );
});
