// dlib ResNet-29 face descriptor weights from @vladmandic/face-api: a uint8-quantized tfjs weights manifest
// (no topology; src/ml/embedders/dlib-resnet29 builds the net). Kept quantized, 6.4 MB instead of 23 MB as float32:
// tf.io.decodeWeights dequantizes at load to the very values face-api itself runs, so nothing is lost by keeping them.
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from './npm-package.mjs';

export const DLIB_PACKAGE = '@vladmandic/face-api@1.7.15';
const MANIFEST = 'package/model/face_recognition_model-weights_manifest.json';
const BIN = 'package/model/face_recognition_model.bin';
export const DLIB_FILES = {
  [MANIFEST]: 'cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b',
  [BIN]: 'b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589',
};

/** Writes weights.json (the manifest, read by loadWeightMap) + the .bin it names, and returns the index entry. */
export function writeDlib(outDir, id, files, extra = {}) {
  const dir = path.join(outDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = JSON.parse(files[MANIFEST].toString('utf8'));
  const paths = manifest.flatMap((group) => group.paths);
  const binName = path.basename(BIN);
  if (paths.length !== 1 || paths[0] !== binName) throw new Error(`dlib: unexpected weight paths ${paths}`);
  const outputs = { 'weights.json': files[MANIFEST], [binName]: files[BIN] };
  const entry = { id, files: {}, ...extra };
  for (const [name, bytes] of Object.entries(outputs)) {
    fs.writeFileSync(path.join(dir, name), bytes);
    entry.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  return entry;
}
