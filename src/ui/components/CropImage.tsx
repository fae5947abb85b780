import { memo } from 'react';

/** A face crop (a PNG object URL from the worker); CSS decides its shown size. An empty label marks it decorative. */
export const CropImage = memo(function CropImage({ src, label, className }: { src: string; label: string; className?: string }) {
  return <img src={src} alt={label} className={className ?? 'crop'} width={112} height={112} decoding="async" draggable={false} />;
});
