// What the UI knows about the dlib ResNet-29 embedder (plain data, no tfjs).
import type { EmbedderInfo } from '../../types';

export const DLIB_RESNET29_INFO: EmbedderInfo = {
  id: 'dlib-resnet29',
  label: 'dlib ResNet-29 (built-in, 6 MB)',
  inputSize: 150,
  dim: 128,
  crop: 'aligned',
  metric: 'euclidean',
  // dlib's published threshold until the LFW calibration below replaces it
  defaultThreshold: 0.6,
};
