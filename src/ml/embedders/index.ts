// Registry of the built-in face embedders: one factory per id, each returning the FaceEmbedder interface.
import type { AssetReader, EmbedderId } from '../types';
import type { FaceEmbedder } from './embedder';
import { createVggface2Mobilenet } from './vggface2-mobilenet';
import { createDlibResnet29 } from './dlib-resnet29';

export type { FaceEmbedder } from './embedder';
export { BUILTIN_EMBEDDERS, DEFAULT_EMBEDDER_ID } from './info';
export { createVggface2Mobilenet, createDlibResnet29 };

const FACTORIES: Partial<Record<EmbedderId, (read: AssetReader) => Promise<FaceEmbedder>>> = {
  'vggface2-mobilenet': createVggface2Mobilenet,
  'dlib-resnet29': createDlibResnet29,
};

export function isBuiltinEmbedder(id: string): id is EmbedderId {
  return id in FACTORIES;
}

export async function createEmbedder(id: EmbedderId, readAsset: AssetReader): Promise<FaceEmbedder> {
  const factory = FACTORIES[id];
  if (!factory) throw new Error(`"${id}" is not a built-in embedder`);
  return factory(readAsset);
}
