// Turns the photo file the UI sends into the RGB layout the ML core reads.
// Full resolution is kept: the detector downscales for itself, and crops come from these pixels.
import type { RgbImage } from '../ml/types';
import { USER_ERROR_PREFIX, type PhotoSource } from './protocol';

/**
 * Starts decoding at once: createImageBitmap decodes on a browser thread, so a photo queued behind another one's
 * analysis is decoded while that analysis runs.
 */
/** The browser could not decode the file (not an image, damaged, or a format it lacks); its message is for people. */
export class UndecodableFile extends Error {
  constructor() {
    super(`${USER_ERROR_PREFIX}this file is not an image the browser can decode`);
    this.name = 'UndecodableFile';
  }
}

export function decodeBitmap(source: PhotoSource): Promise<ImageBitmap> {
  return decodeFile(new Blob([source.bytes]));
}

/** The same, for a file the worker holds (the Library's queue). */
export async function decodeFile(file: Blob): Promise<ImageBitmap> {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new UndecodableFile();
  }
}

/** The decoded photo as RGB bytes; closes the bitmap, after showing it to `onBitmap` if given. */
export async function decodeToRgb(decoding: Promise<ImageBitmap>, onBitmap?: (bitmap: ImageBitmap) => void): Promise<RgbImage> {
  const bitmap = await decoding;
  try {
    onBitmap?.(bitmap);
    const { width, height } = bitmap;
    if (width === 0 || height === 0) throw new Error(`${USER_ERROR_PREFIX}the image is empty (0 pixels)`);
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new Error('no 2D context on OffscreenCanvas');
    context.drawImage(bitmap, 0, 0);
    const rgba = context.getImageData(0, 0, width, height).data;
    const rgb = new Uint8Array(width * height * 3);
    for (let i = 0, j = 0; j < rgba.length; i += 3, j += 4) {
      rgb[i] = rgba[j];
      rgb[i + 1] = rgba[j + 1];
      rgb[i + 2] = rgba[j + 2];
    }
    return { data: rgb, width, height };
  } finally {
    bitmap.close();
  }
}
