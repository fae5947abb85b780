// dlib ResNet-29 face descriptor: 150x150 aligned chips -> 128-d, compared by Euclidean distance.
// Weights: face-api's uint8-quantized export of dlib's model, dequantized by tf.io.decodeWeights at load.
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightMap, readModelIndex } from '../../assets';
import type { AssetReader } from '../../types';
import type { FaceEmbedder } from '../embedder';
import { DLIB_RESNET29_INFO } from './info';
import { buildParams, disposeParams, runDlibResnet } from './network';

export { DLIB_RESNET29_INFO };

export async function createDlibResnet29(readAsset: AssetReader): Promise<FaceEmbedder> {
  const weights = await loadWeightMap(readAsset, await readModelIndex(readAsset), DLIB_RESNET29_INFO.id);
  const params = buildParams(weights);
  tf.dispose(Object.values(weights));
  const { inputSize, dim } = DLIB_RESNET29_INFO;
  return {
    info: DLIB_RESNET29_INFO,
    async embed(faces) {
      const [n, h, w, c] = faces.shape;
      if (h !== inputSize || w !== inputSize || c !== 3) throw new Error(`expected [n, ${inputSize}, ${inputSize}, 3], got [${faces.shape}]`);
      if (n === 0) return [];
      const descriptors = runDlibResnet(params, faces);
      const values = (await descriptors.data()) as Float32Array;
      descriptors.dispose();
      return Array.from({ length: n }, (_, i) => values.slice(i * dim, (i + 1) * dim));
    },
    dispose: () => disposeParams(params),
  };
}
