// Loads tfjs weight manifests through an AssetReader and verifies every file against
// public/models/index.json, so a corrupted or stale cached model is refused rather than run.
import * as tf from '@tensorflow/tfjs-core';
import type { AssetReader } from './types';

export interface ModelIndexEntry {
  id: string;
  source: string;
  files: Record<string, { bytes: number; sha256: string }>;
  [extra: string]: unknown;
}
export interface ModelIndex {
  models: Record<string, ModelIndexEntry>;
}

export class ModelIntegrityError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const digest = await crypto.subtle.digest('SHA-256', view as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function readModelIndex(read: AssetReader): Promise<ModelIndex> {
  return JSON.parse(new TextDecoder().decode(await read('index.json'))) as ModelIndex;
}

/** Reads one file of a model and checks its size and sha256 against the index. */
export async function readVerified(read: AssetReader, entry: ModelIndexEntry, file: string): Promise<ArrayBuffer> {
  const expected = entry.files[file];
  const path = `${entry.id}/${file}`;
  if (!expected) throw new ModelIntegrityError(path, `${path} is not listed in the model index`);
  const bytes = await read(path);
  if (bytes.byteLength !== expected.bytes) {
    throw new ModelIntegrityError(path, `${path}: ${bytes.byteLength} bytes, expected ${expected.bytes}`);
  }
  const actual = await sha256Hex(bytes);
  if (actual !== expected.sha256) throw new ModelIntegrityError(path, `${path}: sha256 ${actual} != ${expected.sha256}`);
  return bytes;
}

/** Loads a weights manifest written by scripts/weights/tfjs-artifacts.mjs into named tensors. */
export async function loadWeightMap(read: AssetReader, index: ModelIndex, id: string): Promise<tf.NamedTensorMap> {
  const entry = index.models[id];
  if (!entry) throw new Error(`model "${id}" is not in the model index`);
  const manifest = JSON.parse(
    new TextDecoder().decode(await readVerified(read, entry, 'weights.json')),
  ) as tf.io.WeightsManifestConfig;
  const specs = manifest.flatMap((group) => group.weights);
  const buffers = await Promise.all(manifest.flatMap((group) => group.paths.map((p) => readVerified(read, entry, p))));
  return tf.io.decodeWeights(tf.io.concatenateArrayBuffers(buffers), specs);
}
