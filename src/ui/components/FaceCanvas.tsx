import { useEffect, useRef, useState } from 'react';
import type { PhotoSlot } from '../../worker/protocol';
import { HIGHLIGHT_COLOR } from '../colors';
import { highlightFace, useStore, type PhotoState } from '../store';

/** Display resolution cap: the overlay does not need a 24-megapixel canvas. */
const MAX_CANVAS_SIDE = 1600;

interface Props {
  slot: PhotoSlot;
  photo: PhotoState;
  colors: string[];
}

/** The photo with a box, five keypoints and a number per face; hovering a face highlights it everywhere. */
export function FaceCanvas({ slot, photo, colors }: Props) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [cssWidth, setCssWidth] = useState(0);
  const highlighted = useStore((s) => s.highlight[slot]);
  const { display, faces } = photo;
  // Large photos are drawn from a copy scaled to the canvas, made once off the main thread: redrawing a
  // 50 MP bitmap on every hover or status change stalls the page for seconds.
  const [preview, setPreview] = useState<{ of: ImageBitmap; bitmap: ImageBitmap } | null>(null);

  useEffect(() => {
    if (!display || Math.max(display.width, display.height) <= MAX_CANVAS_SIDE) return;
    const scale = MAX_CANVAS_SIDE / Math.max(display.width, display.height);
    let made: ImageBitmap | null = null;
    let live = true;
    createImageBitmap(display, {
      resizeWidth: Math.round(display.width * scale),
      resizeHeight: Math.round(display.height * scale),
      resizeQuality: 'high',
    })
      .then((bitmap) => {
        made = bitmap;
        if (live) setPreview({ of: display, bitmap });
        else bitmap.close();
      })
      .catch(() => undefined);
    return () => {
      live = false;
      made?.close();
    };
  }, [display]);

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const observer = new ResizeObserver(([entry]) => setCssWidth(entry.contentRect.width));
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !display) return;
    const scale = Math.min(1, MAX_CANVAS_SIDE / Math.max(display.width, display.height));
    canvas.width = Math.round(display.width * scale);
    canvas.height = Math.round(display.height * scale);
    const g = canvas.getContext('2d');
    if (!g) return;
    const source = scale === 1 ? display : preview?.of === display ? preview.bitmap : null;
    if (source) g.drawImage(source, 0, 0, canvas.width, canvas.height);
    // Keep strokes about 2.5 CSS pixels wide whatever the photo's size on screen.
    const px = cssWidth > 0 ? canvas.width / cssWidth : 1;
    const order = faces.map((_, i) => i).sort((i, j) => Number(i === highlighted) - Number(j === highlighted));
    for (const i of order) {
      const face = faces[i];
      const [x, y, w, h] = face.box.map((v) => v * scale);
      const isHighlighted = i === highlighted;
      const color = isHighlighted ? HIGHLIGHT_COLOR : colors[i];
      const line = (isHighlighted ? 4 : 2.5) * px;
      g.lineWidth = line + 2 * px;
      g.strokeStyle = 'rgba(0,0,0,0.55)';
      g.strokeRect(x, y, w, h);
      g.lineWidth = line;
      g.strokeStyle = color;
      g.strokeRect(x, y, w, h);
      for (const [kx, ky] of Object.values(face.keypoints)) {
        g.beginPath();
        g.arc(kx * scale, ky * scale, 2.5 * px, 0, Math.PI * 2);
        g.fillStyle = color;
        g.fill();
        g.lineWidth = 1 * px;
        g.strokeStyle = 'rgba(0,0,0,0.7)';
        g.stroke();
      }
      const label = String(i + 1);
      g.font = `600 ${Math.round(13 * px)}px system-ui, sans-serif`;
      const tagW = g.measureText(label).width + 10 * px;
      const tagH = 18 * px;
      const tagY = y - tagH >= 0 ? y - tagH : y;
      g.fillStyle = color;
      g.fillRect(x - line / 2, tagY, tagW, tagH);
      g.fillStyle = '#0f172a';
      g.fillText(label, x - line / 2 + 5 * px, tagY + 13.5 * px);
    }
  }, [display, preview, faces, colors, highlighted, cssWidth]);

  const faceAt = (event: React.PointerEvent<HTMLCanvasElement>): number | null => {
    const canvas = ref.current;
    if (!canvas || !display) return null;
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) / rect.width) * display.width;
    const y = ((event.clientY - rect.top) / rect.height) * display.height;
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

  const count = faces.length;
  return (
    <canvas
      ref={ref}
      className="photo-canvas"
      role="img"
      aria-label={`Photo ${slot}: ${photo.name}${photo.status === 'done' ? `, ${count} face${count === 1 ? '' : 's'} marked` : ''}`}
      data-faces={photo.status === 'done' ? count : undefined}
      onPointerMove={(event) => highlightFace(slot, faceAt(event))}
      onPointerLeave={() => highlightFace(slot, null)}
    />
  );
}
