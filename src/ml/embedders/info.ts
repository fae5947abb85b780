// The built-in embedders' descriptions, importable by the UI without pulling in tfjs.
import type { EmbedderId, EmbedderInfo } from '../types';
import { VGGFACE2_MOBILENET_INFO } from './vggface2-mobilenet/info';
import { DLIB_RESNET29_INFO } from './dlib-resnet29/info';

/**
 * The default first: dlib ResNet-29 is the most accurate built-in on LFW (0.9910 vs 0.9742, README table) and the
 * only one that pairs the cast photos without a wrong pair at its calibrated threshold.
 */
export const BUILTIN_EMBEDDERS: EmbedderInfo[] = [DLIB_RESNET29_INFO, VGGFACE2_MOBILENET_INFO];

/** The app's default embedder (its crop rule and threshold come with it); the UI starts with BUILTIN_EMBEDDERS[0]. */
export const DEFAULT_EMBEDDER_ID: EmbedderId = BUILTIN_EMBEDDERS[0].id;
