// What the UI knows about the VGGFace2 MobileNet embedder (plain data, no tfjs).
import type { EmbedderInfo } from '../../types';

export const VGGFACE2_MOBILENET_INFO: EmbedderInfo = {
  id: 'vggface2-mobilenet',
  label: 'VGGFace2 MobileNet (built-in, 7 MB)',
  inputSize: 224,
  dim: 1024,
  crop: 'vggface2',
  metric: 'cosine',
  // placeholder until the LFW calibration below replaces it
  defaultThreshold: 0.35,
};
