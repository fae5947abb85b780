// dlib ResNet-29 face descriptor: 150x150 aligned chips -> 128-d, compared by Euclidean distance.
// Weights: face-api's uint8-quantized export of dlib's model, dequantized by tf.io.decodeWeights at load.
import * as tf from '@tensorflow/tfjs-core';
import { loadWeightMap, readModelIndex } from '../../assets';
import type { AssetReader } from '../../types';
import type { FaceEmbedder } from '../embedder';
import { checkInput, runDescriptors, type EmbedderOptions } from '../descriptors';
import { DLIB_RESNET29_INFO } from './info';
import { buildParams, disposeParams, runDlibResnet } from './network';

export { DLIB_RESNET29_INFO };

/** Flip averaging is on by default: measured on LFW (see info.ts) it lowers the error at 2x the time. */
export const DLIB_RESNET29_DEFAULTS: Required<EmbedderOptions> = { flip: true, centre: false };

export async function createDlibResnet29(readAsset: AssetReader, options: EmbedderOptions = {}): Promise<FaceEmbedder> {
  const { flip } = { ...DLIB_RESNET29_DEFAULTS, ...options };
  const weights = await loadWeightMap(readAsset, await readModelIndex(readAsset), DLIB_RESNET29_INFO.id);
  const params = buildParams(weights);
  tf.dispose(Object.values(weights));
  const { inputSize, dim } = DLIB_RESNET29_INFO;
  return {
    info: DLIB_RESNET29_INFO,
    async embed(faces) {
      checkInput(faces, inputSize);
      return runDescriptors(faces, dim, flip, (x) => runDlibResnet(params, x));
    },
    dispose: () => disposeParams(params),
  };
}
