// keras_vggface RESNET50 (include_top=False, pooling='avg') in tfjs-core ops, with each BatchNormalization folded
// into its convolution at load: conv(x, k * s) + (beta - mean * s) with s = gamma / sqrt(var + eps).
import * as tf from '@tensorflow/tfjs-core';
import type { FaceEmbedder } from '../embedder';
import {
  RESNET50_BN_EPSILON,
  RESNET50_INFO,
  RESNET50_SPEC,
  VGGFACE2_RESNET50_BGR_MEAN,
  bnKey,
  kernelKey,
  type BottleneckSpec,
  type ConvLayerSpec,
} from './architecture';
import { validateResnet50Weights, type Resnet50Weights } from './weights';

export interface Vggface2Resnet50Options {
  /** faces per forward pass: bounds the activations held at once (about 40 MB per face at 224) */
  facesPerPass?: number;
}

interface FoldedConv {
  spec: ConvLayerSpec;
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** keras_vggface preprocess_input(version=2): RGB -> BGR, then minus the BGR means. Input 0..255 RGB. */
export function preprocessVggface2Resnet50(faces: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(faces, -1), tf.tensor1d([...VGGFACE2_RESNET50_BGR_MEAN])));
}

function foldConv(spec: ConvLayerSpec, weights: Resnet50Weights): FoldedConv {
  const kernel = weights.get(kernelKey(spec.name))!.data;
  const gamma = weights.get(bnKey(spec.name, 'gamma'))!.data;
  const beta = weights.get(bnKey(spec.name, 'beta'))!.data;
  const mean = weights.get(bnKey(spec.name, 'moving_mean'))!.data;
  const variance = weights.get(bnKey(spec.name, 'moving_variance'))!.data;
  const outChannels = spec.outChannels;
  const scale = new Float64Array(outChannels);
  const bias = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    scale[o] = gamma[o] / Math.sqrt(variance[o] + RESNET50_BN_EPSILON);
    bias[o] = beta[o] - mean[o] * scale[o];
  }
  // HWIO: the output channel is the fastest-moving index
  const folded = new Float32Array(kernel.length);
  for (let row = 0; row < kernel.length; row += outChannels) {
    for (let o = 0; o < outChannels; o++) folded[row + o] = kernel[row + o] * scale[o];
  }
  const size = spec.kernelSize;
  return {
    spec,
    filter: tf.tensor4d(folded, [size, size, spec.inChannels, outChannels]),
    bias: tf.tensor1d(bias),
  };
}

interface FoldedBlock {
  reduce: FoldedConv;
  conv3x3: FoldedConv;
  increase: FoldedConv;
  projection?: FoldedConv;
}

export class Vggface2Resnet50 implements FaceEmbedder {
  readonly info = RESNET50_INFO;
  private readonly stem: FoldedConv;
  private readonly blocks: FoldedBlock[];
  private readonly facesPerPass: number;
  private disposed = false;

  constructor(weights: Resnet50Weights, options: Vggface2Resnet50Options = {}) {
    validateResnet50Weights(weights);
    this.facesPerPass = Math.max(1, Math.floor(options.facesPerPass ?? 8));
    const fold = (spec: ConvLayerSpec) => foldConv(spec, weights);
    this.stem = fold(RESNET50_SPEC.stem);
    this.blocks = RESNET50_SPEC.blocks.map((b: BottleneckSpec) => ({
      reduce: fold(b.reduce),
      conv3x3: fold(b.conv3x3),
      increase: fold(b.increase),
      projection: b.projection ? fold(b.projection) : undefined,
    }));
  }

  private conv(x: tf.Tensor4D, conv: FoldedConv, relu: boolean): tf.Tensor4D {
    return tf.fused.conv2d({
      x,
      filter: conv.filter,
      strides: conv.spec.stride,
      pad: conv.spec.padding,
      bias: conv.bias,
      activation: relu ? 'relu' : 'linear',
    });
  }

  /**
   * The last convolutional feature map [n, h, w, 2048] of already preprocessed input (any size from 32 up;
   * 224 gives 7x7). Exposed so the architecture can be checked on small inputs.
   */
  featureMap(preprocessed: tf.Tensor4D): tf.Tensor4D {
    this.assertUsable();
    // Keras MaxPooling2D((3, 3), strides=(2, 2)) keeps the default 'valid' padding
    let x = tf.tidy(() => tf.maxPool(this.conv(preprocessed, this.stem, true), 3, 2, 'valid'));
    for (const block of this.blocks) {
      const input = x;
      // one block's intermediates at a time, instead of the whole network's
      x = tf.tidy(() => {
        const reduced = this.conv(input, block.reduce, true);
        const mixed = this.conv(reduced, block.conv3x3, true);
        const increased = this.conv(mixed, block.increase, false);
        const shortcut = block.projection ? this.conv(input, block.projection, false) : input;
        return tf.relu(tf.add(increased, shortcut)) as tf.Tensor4D;
      });
      input.dispose();
    }
    return x;
  }

  async embed(faces: tf.Tensor4D): Promise<Float32Array[]> {
    this.assertUsable();
    const size = this.info.inputSize;
    const [n, height, width, channels] = faces.shape;
    if (faces.rank !== 4 || height !== size || width !== size || channels !== 3) {
      throw new Error(`${this.info.id} expects faces [n, ${size}, ${size}, 3], got [${faces.shape.join(', ')}]`);
    }
    const embeddings: Float32Array[] = [];
    for (let start = 0; start < n; start += this.facesPerPass) {
      const count = Math.min(this.facesPerPass, n - start);
      const input = tf.tidy(() => preprocessVggface2Resnet50(tf.slice(faces, [start, 0, 0, 0], [count, size, size, 3])));
      const features = this.featureMap(input);
      input.dispose();
      // AveragePooling2D((7, 7)) as in keras_vggface, then pooling='avg' over what remains (1x1 at 224)
      const pooled = tf.tidy(() => tf.mean(tf.avgPool(features, 7, 7, 'valid'), [1, 2]));
      features.dispose();
      const values = await pooled.data<'float32'>();
      pooled.dispose();
      const dim = this.info.dim;
      for (let i = 0; i < count; i++) embeddings.push(values.slice(i * dim, (i + 1) * dim));
    }
    return embeddings;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const conv of this.convs()) {
      conv.filter.dispose();
      conv.bias.dispose();
    }
  }

  private *convs(): Generator<FoldedConv> {
    yield this.stem;
    for (const b of this.blocks) {
      yield b.reduce;
      yield b.conv3x3;
      yield b.increase;
      if (b.projection) yield b.projection;
    }
  }

  private assertUsable() {
    if (this.disposed) throw new Error(`${this.info.id} was disposed`);
  }
}

/** Builds the embedder from mapped weights (from the .h5 reader or from storage); dispose() frees its tensors. */
export function createVggface2Resnet50(weights: Resnet50Weights, options?: Vggface2Resnet50Options): Vggface2Resnet50 {
  return new Vggface2Resnet50(weights, options);
}
