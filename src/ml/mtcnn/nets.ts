// P-Net, R-Net and O-Net as tfjs ops over the weights of public/models/mtcnn (layer layout of ipazc's
// PNet/RNet/ONet._config). Inputs are already W/H-transposed, as the Caffe-trained weights expect:
// P-Net takes [1, W, H, 3], R-/O-Net take patches [N, x, y, 3]; flattening is NHWC of that layout.
import * as tf from '@tensorflow/tfjs-core';

export type WeightMap = tf.NamedTensorMap;

function weight(weights: WeightMap, name: string): tf.Tensor {
  const t = weights[name];
  if (!t) throw new Error(`MTCNN weight ${name} is missing`);
  return t;
}

function convPrelu(weights: WeightMap, x: tf.Tensor4D, net: string, layer: number): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: weight(weights, `${net}/conv${layer}/weights`) as tf.Tensor4D,
    strides: 1,
    pad: 'valid',
    bias: weight(weights, `${net}/conv${layer}/bias`),
    activation: 'prelu',
    preluActivationWeights: weight(weights, `${net}/prelu${layer}/alpha`),
  });
}

function conv(weights: WeightMap, x: tf.Tensor4D, name: string): tf.Tensor4D {
  return tf.fused.conv2d({
    x,
    filter: weight(weights, `${name}/weights`) as tf.Tensor4D,
    strides: 1,
    pad: 'valid',
    bias: weight(weights, `${name}/bias`),
  });
}

function dense(weights: WeightMap, x: tf.Tensor2D, name: string, preluName?: string): tf.Tensor2D {
  return tf.fused.matMul({
    a: x,
    b: weight(weights, `${name}/weights`) as tf.Tensor2D,
    bias: weight(weights, `${name}/bias`),
    ...(preluName ? { activation: 'prelu' as const, preluActivationWeights: weight(weights, preluName) } : {}),
  }) as tf.Tensor2D;
}

/** A max-pool after a conv layer: window, stride, padding. */
type Pool = readonly [size: number, stride: number, pad: 'same' | 'valid'];

/**
 * The shared body of R-Net and O-Net: conv+PReLU layers 1..n of `net`, each followed by its pool (null: none),
 * then flattened into the PReLU dense layer n+1 (`${net}/conv${n + 1}`, `${net}/prelu${n + 1}/alpha`).
 */
function features(weights: WeightMap, patches: tf.Tensor4D, net: string, pools: readonly (Pool | null)[]): tf.Tensor2D {
  let x = patches;
  pools.forEach((pool, i) => {
    x = convPrelu(weights, x, net, i + 1);
    if (pool) x = tf.maxPool(x, pool[0], pool[1], pool[2]);
  });
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  const layer = pools.length + 1;
  return dense(weights, flat, `${net}/conv${layer}`, `${net}/prelu${layer}/alpha`);
}

// Output shapes are type aliases, not interfaces, so tf.tidy accepts them as TensorContainers.
export type PnetOutput = {
  /** [1, mapW, mapH, 2] softmax over face/no-face */
  prob: tf.Tensor4D;
  /** [1, mapW, mapH, 4] box regression */
  reg: tf.Tensor4D;
}

/** P-Net on a transposed, normalised image [1, W, H, 3]. */
export function runPnet(weights: WeightMap, input: tf.Tensor4D): PnetOutput {
  return tf.tidy(() => {
    let x = convPrelu(weights, input, 'pnet', 1);
    x = tf.maxPool(x, 2, 2, 'same');
    x = convPrelu(weights, x, 'pnet', 2);
    x = convPrelu(weights, x, 'pnet', 3);
    const prob = tf.softmax(conv(weights, x, 'pnet/conv4-1')) as tf.Tensor4D;
    const reg = conv(weights, x, 'pnet/conv4-2');
    return { prob, reg };
  });
}

export type RnetOutput = {
  /** [N, 2] */
  prob: tf.Tensor2D;
  /** [N, 4] */
  reg: tf.Tensor2D;
}

/** R-Net on transposed, normalised 24x24 patches [N, 24, 24, 3]. */
export function runRnet(weights: WeightMap, patches: tf.Tensor4D): RnetOutput {
  return tf.tidy(() => {
    const body = features(weights, patches, 'rnet', [[3, 2, 'same'], [3, 2, 'valid'], null]);
    const prob = tf.softmax(dense(weights, body, 'rnet/conv5-1'));
    const reg = dense(weights, body, 'rnet/conv5-2');
    return { prob, reg };
  });
}

export type OnetOutput = {
  /** [N, 2] */
  prob: tf.Tensor2D;
  /** [N, 4] */
  reg: tf.Tensor2D;
  /** [N, 10]: 5 x then 5 y, relative to the box */
  landmarks: tf.Tensor2D;
}

/** O-Net on transposed, normalised 48x48 patches [N, 48, 48, 3]. */
export function runOnet(weights: WeightMap, patches: tf.Tensor4D): OnetOutput {
  return tf.tidy(() => {
    const body = features(weights, patches, 'onet', [[3, 2, 'same'], [3, 2, 'valid'], [2, 2, 'same'], null]);
    const prob = tf.softmax(dense(weights, body, 'onet/conv6-1'));
    const reg = dense(weights, body, 'onet/conv6-2');
    const landmarks = dense(weights, body, 'onet/conv6-3');
    return { prob, reg, landmarks };
  });
}
