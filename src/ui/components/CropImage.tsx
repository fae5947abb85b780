import { memo, useEffect, useRef } from 'react';
import type { FaceCrop } from '../../ml/types';

/** Paints a face crop (RGBA from the worker) into a small canvas; CSS decides its shown size. */
export const CropImage = memo(function CropImage({ crop, label, className }: { crop: FaceCrop; label: string; className?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    canvas.width = crop.width;
    canvas.height = crop.height;
    canvas.getContext('2d')?.putImageData(new ImageData(new Uint8ClampedArray(crop.rgba), crop.width, crop.height), 0, 0);
  }, [crop]);
  return <canvas ref={ref} className={className ?? 'crop'} role="img" aria-label={label} />;
});
