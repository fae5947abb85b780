// Node-side helpers for the ML tests and eval scripts: the tfjs backend, model assets from
// public/models, and photos from ../shared decoded to the reference's RGB layout.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import mozjpegFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { PNG } from 'pngjs';
import type { AssetReader, RgbImage } from '../../src/ml/types';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = path.resolve(repoRoot, process.env.SHARED_DIR ?? '../shared');
export const sharedPath = (relative: string) => path.join(sharedDir, relative);

export const readModelAsset: AssetReader = async (relative) => {
  const bytes = fs.readFileSync(path.join(repoRoot, 'public/models', relative));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
};

/** Selects a tfjs backend ('wasm' by default, as the app uses without a GPU) and asserts it took. */
export async function useBackend(name: 'wasm' | 'cpu' = (process.env.TFJS_BACKEND as 'wasm' | 'cpu') ?? 'wasm') {
  if (name === 'wasm') {
    setWasmPaths(path.join(repoRoot, 'node_modules/@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  }
  const ok = await tf.setBackend(name);
  await tf.ready();
  if (!ok || tf.getBackend() !== name) throw new Error(`tfjs backend ${name} failed; got ${tf.getBackend()}`);
  return name;
}

// JPEGs go through libjpeg-turbo (mozjpeg's decoder, WASM), the library OpenCV used for the reference, so
// pixels match its `rgb_sha256` (jpeg-js matched 46 of 230 images). Instantiated synchronously once, so
// decodeImageBytes stays synchronous.
interface MozjpegDecoder {
  decode(data: BufferSource, preserveOrientation: boolean): { data: Uint8ClampedArray; width: number; height: number } | null;
}
const mozjpegWasm = new WebAssembly.Module(
  fs.readFileSync(path.join(repoRoot, 'node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm')),
);
const mozjpeg = await (mozjpegFactory as unknown as (options: object) => Promise<MozjpegDecoder>)({
  noInitialRun: true,
  instantiateWasm(imports: WebAssembly.Imports, ready: (instance: WebAssembly.Instance) => void) {
    const instance = new WebAssembly.Instance(mozjpegWasm, imports);
    ready(instance);
    return instance.exports;
  },
});

function decodeJpeg(bytes: Uint8Array) {
  const image = mozjpeg.decode(bytes as Uint8Array<ArrayBuffer>, false);
  if (!image) throw new Error('JPEG decoding failed');
  return image;
}

/** Decodes a JPEG or PNG by its content (not its extension) to RGB: alpha dropped, grey replicated. */
export function decodeImageBytes(bytes: Uint8Array): RgbImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const rgba = isPng
    ? (() => {
        const png = PNG.sync.read(Buffer.from(bytes), { skipRescale: false });
        return { data: png.data, width: png.width, height: png.height };
      })()
    : decodeJpeg(bytes);
  const { width, height } = rgba;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 4) {
    data[i * 3] = rgba.data[j];
    data[i * 3 + 1] = rgba.data[j + 1];
    data[i * 3 + 2] = rgba.data[j + 2];
  }
  return { data, width, height };
}

export function loadSharedImage(relative: string): RgbImage {
  return decodeImageBytes(fs.readFileSync(sharedPath(relative)));
}
