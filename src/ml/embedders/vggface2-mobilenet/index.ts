// VGGFace2 MobileNet ("faceres" of HSE / A. Savchenko, converted to a tfjs graph model by vladmandic/human).
// The identity descriptor is the 1024-d global average pool of the MobileNet backbone; the age/gender heads
// that follow it are never run.
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { readModelIndex, readVerified } from '../../assets';
import type { AssetReader } from '../../types';
import type { FaceEmbedder } from '../embedder';
import { checkInput, runDescriptors, type EmbedderOptions } from '../descriptors';
import { VGGFACE2_MOBILENET_INFO } from './info';
import meanDescriptor from './mean-descriptor.json';

export { VGGFACE2_MOBILENET_INFO };

const DESCRIPTOR_NODE = 'global_pooling/Mean';
const INPUT_NODE = 'input_1';
/** Keras VGGFace/caffe convention the network was trained with: BGR, minus these per-channel means. */
export const BGR_MEAN = [103.939, 116.779, 123.68] as const;

/** RGB 0..255 faces -> the package graph's input (BGR, mean-subtracted), as the network was trained. */
export function preprocessVggface2(faces: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(faces, -1), tf.tensor1d([...BGR_MEAN])));
}

/**
 * RGB 0..255 faces -> the built graph's input: the same values as preprocessVggface2 in RGB order, because
 * scripts/weights/faceres.mjs reverses the first convolution's input channels instead (one subtraction per face
 * rather than a channel reversal too, which is slow on WASM).
 */
export function preprocessVggface2Rgb(faces: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(faces, tf.tensor1d([...BGR_MEAN].reverse())));
}

async function loadVerifiedGraphModel(read: AssetReader, id: string): Promise<GraphModel> {
  const index = await readModelIndex(read);
  const entry = index.models[id];
  if (!entry) throw new Error(`model "${id}" is not in the model index`);
  const modelJson = JSON.parse(new TextDecoder().decode(await readVerified(read, entry, 'model.json'))) as tf.io.ModelJSON;
  // An older build (or the package's own graph) reads BGR: fed RGB it would give plausible but wrong descriptors.
  if (modelJson.userDefinedMetadata?.reversedInputChannels !== INPUT_NODE) {
    throw new Error(`model "${id}": model.json does not take RGB input (an older weights build? run npm run weights)`);
  }
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const specs = manifest.flatMap((group) => group.weights);
    const buffers = await Promise.all(manifest.flatMap((group) => group.paths.map((p) => readVerified(read, entry, p))));
    return [specs, tf.io.concatenateArrayBuffers(buffers)];
  });
  return loadGraphModel({ load: async () => artifacts });
}

/**
 * centre: subtract the mean descriptor of FDDB faces (mean-descriptor.json, from scripts/eval/faceres-mean.ts), so
 * that cosine distance measures what differs between faces rather than what all faces share.
 */
export const VGGFACE2_MOBILENET_DEFAULTS: Required<EmbedderOptions> = { flip: false, centre: true };

export async function createVggface2Mobilenet(readAsset: AssetReader, options: EmbedderOptions = {}): Promise<FaceEmbedder> {
  const { flip, centre } = { ...VGGFACE2_MOBILENET_DEFAULTS, ...options };
  const model = await loadVerifiedGraphModel(readAsset, VGGFACE2_MOBILENET_INFO.id);
  const mean = centre ? tf.tensor1d(meanDescriptor.mean) : undefined; // after the load, which may throw
  const { inputSize, dim } = VGGFACE2_MOBILENET_INFO;
  return {
    info: VGGFACE2_MOBILENET_INFO,
    async embed(faces) {
      checkInput(faces, inputSize);
      return runDescriptors(faces, dim, flip, (x) => {
        const descriptors = model.execute(preprocessVggface2Rgb(x), DESCRIPTOR_NODE) as tf.Tensor2D;
        return mean ? tf.sub(descriptors, mean) : descriptors;
      });
    },
    dispose: () => {
      model.dispose();
      mean?.dispose();
    },
  };
}
