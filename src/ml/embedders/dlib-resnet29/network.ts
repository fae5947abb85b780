// dlib's face recognition ResNet ("dlib_face_recognition_resnet_model_v1", public domain), built from its published
// layer definition: 150x150 RGB -> conv 7x7/2 (32) -> max pool 3x3/2 -> residual levels of 32 (x3), 64 (down + x3),
// 128 (down + x2), 256 (down + x2), 256 (down) -> global average pool -> fc 128 without bias.
// dlib convolutions and pools with stride 2 have no padding; stride 1 convolutions pad by half the kernel.
// Each conv has a bias followed by an affine (per-channel scale and shift); both are folded into the conv here.
import * as tf from '@tensorflow/tfjs-core';

/** dlib's input_rgb_image: per-channel means subtracted, then divided by 256. */
export const DLIB_RGB_MEAN = [122.782, 117.001, 104.298] as const;

interface ConvLayer {
  filters: tf.Tensor4D;
  bias: tf.Tensor1D;
}

export interface DlibParams {
  stem: ConvLayer;
  blocks: { name: string; down: boolean; conv1: ConvLayer; conv2: ConvLayer }[];
  fc: tf.Tensor2D;
}

/** The residual blocks, in order; "down" blocks halve the resolution and widen the channels. */
export const BLOCKS: readonly { name: string; down: boolean }[] = [
  ...['conv32_1', 'conv32_2', 'conv32_3'].map((name) => ({ name, down: false })),
  { name: 'conv64_down', down: true },
  ...['conv64_1', 'conv64_2', 'conv64_3'].map((name) => ({ name, down: false })),
  { name: 'conv128_down', down: true },
  ...['conv128_1', 'conv128_2'].map((name) => ({ name, down: false })),
  { name: 'conv256_down', down: true },
  ...['conv256_1', 'conv256_2'].map((name) => ({ name, down: false })),
  { name: 'conv256_down_out', down: true },
];

/** Folds conv bias and the following affine layer into one conv: w*s, b*s + t. Disposes nothing it was given. */
function foldConv(weights: tf.NamedTensorMap, prefix: string): ConvLayer {
  const get = (name: string) => {
    const t = weights[`${prefix}/${name}`];
    if (!t) throw new Error(`dlib-resnet29: missing weight ${prefix}/${name}`);
    return t;
  };
  const scale = get('scale/weights');
  return {
    filters: tf.tidy(() => tf.mul(get('conv/filters'), scale) as tf.Tensor4D),
    bias: tf.tidy(() => tf.add(tf.mul(get('conv/bias'), scale), get('scale/biases')) as tf.Tensor1D),
  };
}

/** Builds the network's folded parameters; the caller still owns (and disposes) `weights`. */
export function buildParams(weights: tf.NamedTensorMap): DlibParams {
  if (!weights.fc) throw new Error('dlib-resnet29: missing weight fc');
  return {
    stem: foldConv(weights, 'conv32_down'),
    blocks: BLOCKS.map(({ name, down }) => ({ name, down, conv1: foldConv(weights, `${name}/conv1`), conv2: foldConv(weights, `${name}/conv2`) })),
    fc: tf.clone(weights.fc) as tf.Tensor2D,
  };
}

export function disposeParams(params: DlibParams) {
  tf.dispose([params.stem.filters, params.stem.bias, params.fc, ...params.blocks.flatMap((b) => [b.conv1.filters, b.conv1.bias, b.conv2.filters, b.conv2.bias])]);
}

function conv(x: tf.Tensor4D, layer: ConvLayer, stride: 1 | 2, relu: boolean): tf.Tensor4D {
  return tf.fused.conv2d({ x, filter: layer.filters, strides: stride, pad: stride === 1 ? 'same' : 'valid', bias: layer.bias, activation: relu ? 'relu' : 'linear' });
}

/**
 * dlib's add_prev: when the two branches differ in size, the result takes the larger size in every dimension and
 * the missing part of the smaller one counts as zero (down blocks: pooled shortcut vs strided conv, 32 vs 64 channels).
 */
function addPadded(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const size = a.shape.map((d, i) => Math.max(d, b.shape[i]));
  const grow = (t: tf.Tensor4D) => (t.shape.every((d, i) => d === size[i]) ? t : tf.pad(t, t.shape.map((d, i) => [0, size[i] - d] as [number, number])));
  return tf.add(grow(a), grow(b));
}

/** [n, 150, 150, 3] RGB 0..255 -> [n, 128] descriptors. */
export function runDlibResnet(params: DlibParams, faces: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.div(tf.sub(faces, tf.tensor1d([...DLIB_RGB_MEAN])), 256);
    x = conv(x, params.stem, 2, true);
    x = tf.maxPool(x, 3, 2, 'valid');
    for (const block of params.blocks) {
      const stride = block.down ? 2 : 1;
      const main = conv(conv(x, block.conv1, stride, true), block.conv2, 1, false);
      const shortcut = block.down ? tf.avgPool(x, 2, 2, 'valid') : x;
      x = tf.relu(addPadded(main, shortcut));
    }
    const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
    return tf.matMul(pooled, params.fc);
  });
}
