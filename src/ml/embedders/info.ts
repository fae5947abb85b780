// The built-in embedders' descriptions, importable by the UI without pulling in tfjs.
import type { EmbedderId, EmbedderInfo } from '../types';
import { VGGFACE2_MOBILENET_INFO } from './vggface2-mobilenet/info';
import { DLIB_RESNET29_INFO } from './dlib-resnet29/info';

export const BUILTIN_EMBEDDERS: EmbedderInfo[] = [VGGFACE2_MOBILENET_INFO, DLIB_RESNET29_INFO];

/** The app's default embedder (its crop rule and threshold come with it). */
export const DEFAULT_EMBEDDER_ID: EmbedderId = 'vggface2-mobilenet';
