// The keras_vggface (rcmalli) RESNET50 layout: layer names, shapes, strides and padding as its models.py builds them,
// so a user's .h5 can be checked against it and the network built from it. Pure data, no tfjs.
import type { EmbedderInfo } from '../../types';

export const RESNET50_INFO: EmbedderInfo = {
  id: 'vggface2-resnet50',
  label: 'VGGFace2 ResNet50 (your weights file)',
  inputSize: 224,
  dim: 2048,
  crop: 'tight',
  metric: 'cosine',
  // the original recipe's cosine-distance threshold
  defaultThreshold: 0.4,
};

/** keras_vggface `preprocess_input(version=2)` means, in BGR order (applied after RGB->BGR). */
export const VGGFACE2_RESNET50_BGR_MEAN: readonly [number, number, number] = [91.4953, 103.8827, 131.0912];

/** Keras BatchNormalization's default epsilon, which keras_vggface RESNET50 keeps. */
export const RESNET50_BN_EPSILON = 1e-3;

/** Parameters of the include_top=False model (53 convs without bias + 53 BNs with 4 vectors each). */
export const RESNET50_PARAMETER_COUNT = 23_561_152;

/** The four BatchNormalization vectors, in the order Keras stores them. */
export const BN_VECTOR_NAMES = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;
export type BnVectorName = (typeof BN_VECTOR_NAMES)[number];

/** One convolution (always followed by a BatchNormalization layer named `${name}/bn`). */
export interface ConvLayerSpec {
  name: string;
  kernelSize: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  padding: 'same' | 'valid';
}

/** A bottleneck block: reduce 1x1 -> 3x3 -> increase 1x1, plus a projection on each stage's first block. */
export interface BottleneckSpec {
  reduce: ConvLayerSpec;
  conv3x3: ConvLayerSpec;
  increase: ConvLayerSpec;
  projection?: ConvLayerSpec;
}

export interface Resnet50Spec {
  stem: ConvLayerSpec;
  blocks: BottleneckSpec[];
}

/** [stage number, blocks, bottleneck width, output width, stride of the first block] */
const STAGES: ReadonlyArray<readonly [number, number, number, number, number]> = [
  [2, 3, 64, 256, 1],
  [3, 4, 128, 512, 2],
  [4, 6, 256, 1024, 2],
  [5, 3, 512, 2048, 2],
];

function buildSpec(): Resnet50Spec {
  const stem: ConvLayerSpec = {
    name: 'conv1/7x7_s2',
    kernelSize: 7,
    inChannels: 3,
    outChannels: 64,
    stride: 2,
    padding: 'same',
  };
  const blocks: BottleneckSpec[] = [];
  let channels = stem.outChannels;
  for (const [stage, count, width, outWidth, firstStride] of STAGES) {
    for (let block = 1; block <= count; block++) {
      const prefix = `conv${stage}_${block}`;
      // keras_vggface strides the first 1x1 (and the projection), not the 3x3; 1x1 convs use 'valid'
      const stride = block === 1 ? firstStride : 1;
      blocks.push({
        reduce: { name: `${prefix}_1x1_reduce`, kernelSize: 1, inChannels: channels, outChannels: width, stride, padding: 'valid' },
        conv3x3: { name: `${prefix}_3x3`, kernelSize: 3, inChannels: width, outChannels: width, stride: 1, padding: 'same' },
        increase: { name: `${prefix}_1x1_increase`, kernelSize: 1, inChannels: width, outChannels: outWidth, stride: 1, padding: 'valid' },
        projection:
          block === 1
            ? { name: `${prefix}_1x1_proj`, kernelSize: 1, inChannels: channels, outChannels: outWidth, stride, padding: 'valid' }
            : undefined,
      });
      channels = outWidth;
    }
  }
  return { stem, blocks };
}

export const RESNET50_SPEC: Resnet50Spec = buildSpec();

/** Every convolution in forward order (53 of them). */
export const RESNET50_CONV_LAYERS: readonly ConvLayerSpec[] = [
  RESNET50_SPEC.stem,
  ...RESNET50_SPEC.blocks.flatMap((b) => (b.projection ? [b.reduce, b.conv3x3, b.increase, b.projection] : [b.reduce, b.conv3x3, b.increase])),
];

export const bnLayerName = (convName: string) => `${convName}/bn`;

/** Key of a weight array in Resnet50Weights: `${layer}/kernel` or `${layer}/bn/${vector}`. */
export const kernelKey = (convName: string) => `${convName}/kernel`;
export const bnKey = (convName: string, vector: BnVectorName) => `${bnLayerName(convName)}/${vector}`;

/** Every weight array the model needs, with its shape, in a fixed order (the serialisation order). */
export const RESNET50_WEIGHT_SHAPES: ReadonlyArray<{ key: string; shape: readonly number[] }> = RESNET50_CONV_LAYERS.flatMap(
  (conv) => [
    { key: kernelKey(conv.name), shape: [conv.kernelSize, conv.kernelSize, conv.inChannels, conv.outChannels] },
    ...BN_VECTOR_NAMES.map((vector) => ({ key: bnKey(conv.name, vector), shape: [conv.outChannels] })),
  ],
);
