// The one interface every face embedder implements (tfjs-models style: a factory returns it, dispose() frees it).
import type * as tf from '@tensorflow/tfjs-core';
import type { EmbedderInfo } from '../types';

export interface FaceEmbedder {
  readonly info: EmbedderInfo;
  /**
   * Embeds a batch of face crops, already cut by `info.crop` and sized `info.inputSize`:
   * `faces` is [n, inputSize, inputSize, 3], RGB, float32 in 0..255. The model's own preprocessing
   * (channel order, mean subtraction) happens inside. Returns one vector per face, not normalised;
   * the caller does not dispose anything it did not create.
   */
  embed(faces: tf.Tensor4D): Promise<Float32Array[]>;
  dispose(): void;
}
