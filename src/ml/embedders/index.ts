// Registry of the built-in face embedders: one factory per id, each returning the FaceEmbedder interface.
import type { AssetReader, EmbedderId } from '../types';
import type { FaceEmbedder } from './embedder';
import type { EmbedderOptions } from './descriptors';
import { createVggface2Mobilenet, VGGFACE2_MOBILENET_DEFAULTS } from './vggface2-mobilenet';
import { createDlibResnet29, DLIB_RESNET29_DEFAULTS } from './dlib-resnet29';

export type { FaceEmbedder } from './embedder';
export type { EmbedderOptions } from './descriptors';
export { BUILTIN_EMBEDDERS, DEFAULT_EMBEDDER_ID } from './info';
export { createVggface2Mobilenet, createDlibResnet29 };

const FACTORIES: Partial<Record<EmbedderId, (read: AssetReader, options?: EmbedderOptions) => Promise<FaceEmbedder>>> = {
  'vggface2-mobilenet': createVggface2Mobilenet,
  'dlib-resnet29': createDlibResnet29,
};

const DEFAULTS: Partial<Record<EmbedderId, Required<EmbedderOptions>>> = {
  'vggface2-mobilenet': VGGFACE2_MOBILENET_DEFAULTS,
  'dlib-resnet29': DLIB_RESNET29_DEFAULTS,
};

/** The options a built-in embedder runs with when none are given. */
export function embedderDefaults(id: EmbedderId): Required<EmbedderOptions> {
  const defaults = DEFAULTS[id];
  if (!defaults) throw new Error(`"${id}" is not a built-in embedder`);
  return defaults;
}

export function isBuiltinEmbedder(id: string): id is EmbedderId {
  return id in FACTORIES;
}

/** A built-in embedder with its measured default options (flip averaging where it helps); `options` override them. */
export async function createEmbedder(id: EmbedderId, readAsset: AssetReader, options?: EmbedderOptions): Promise<FaceEmbedder> {
  const factory = FACTORIES[id];
  if (!factory) throw new Error(`"${id}" is not a built-in embedder`);
  return factory(readAsset, options);
}
