// One photo -> its faces: detect, cut each face by the embedder's crop rule, embed in batches, and keep a small
// RGBA crop per face for the UI. Runs in the worker and in Node (no DOM).
import * as tf from '@tensorflow/tfjs-core';
import { DLIB_CHIP_TEMPLATE, VGGFACE2_TEMPLATE, cropTransform, thumbnailTransform, type AlignmentTemplate } from './align/transform';
import { warpFaces } from './align/warp';
import type { FaceEmbedder } from './embedders/embedder';
import type { AnalyzedFace, CropRule, EmbedderInfo, FaceCrop, FaceDetection, RgbImage } from './types';

/** All the pipeline needs of a detector (the MTCNN port implements it). */
export interface FaceDetector {
  detect(image: RgbImage): Promise<FaceDetection[]>;
}

export interface AnalyzeOptions {
  /** faces per embed call: bounds memory on crowded photos (default 8) */
  batchSize?: number;
  /** side of the UI's RGBA thumbnail in pixels (default 112) */
  thumbnailSize?: number;
  /** overrides the embedder's own crop rule (for evaluation) */
  crop?: CropRule;
  /** overrides the 'aligned' template (for evaluation) */
  template?: AlignmentTemplate;
  /** overrides the 'vggface2' box enlargement (for evaluation) */
  boxScale?: number;
}

/** The canonical 5-point layout each embedder's 'aligned' crop uses. */
export function alignmentTemplate(info: EmbedderInfo): AlignmentTemplate {
  return info.id === 'dlib-resnet29' ? DLIB_CHIP_TEMPLATE : VGGFACE2_TEMPLATE;
}

/** Cuts every face for the embedder: [n, inputSize, inputSize, 3] float32 RGB 0..255; the caller disposes it. */
export function cropFaces(photo: RgbImage, detections: readonly FaceDetection[], info: EmbedderInfo, options: AnalyzeOptions = {}): tf.Tensor4D {
  const rule = options.crop ?? info.crop;
  const template = options.template ?? alignmentTemplate(info);
  return warpFaces(photo, detections.map((d) => cropTransform(d, rule, info.inputSize, template, options.boxScale)), info.inputSize);
}

async function thumbnails(photo: RgbImage, detections: readonly FaceDetection[], size: number): Promise<FaceCrop[]> {
  const crops = warpFaces(photo, detections.map((d) => thumbnailTransform(d, size)), size);
  const rgb = await crops.data();
  crops.dispose();
  return detections.map((_, n) => {
    const rgba = new Uint8ClampedArray(size * size * 4);
    for (let p = 0, src = n * size * size * 3; p < size * size; p++, src += 3) {
      rgba[p * 4] = rgb[src];
      rgba[p * 4 + 1] = rgb[src + 1];
      rgba[p * 4 + 2] = rgb[src + 2];
      rgba[p * 4 + 3] = 255;
    }
    return { width: size, height: size, rgba };
  });
}

/** Embeds already-detected faces of a photo (the second half of analyzePhoto). */
export async function analyzeDetections(image: RgbImage, detections: readonly FaceDetection[], embedder: FaceEmbedder, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
  if (detections.length === 0) return [];
  const batchSize = Math.max(1, options.batchSize ?? 8);
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < detections.length; start += batchSize) {
    const faces = cropFaces(image, detections.slice(start, start + batchSize), embedder.info, options);
    try {
      embeddings.push(...(await embedder.embed(faces)));
    } finally {
      faces.dispose();
    }
  }
  const crops = await thumbnails(image, detections, options.thumbnailSize ?? 112);
  return detections.map((detection, i) => ({ detection, embedding: embeddings[i], crop: crops[i] }));
}

/** A face and the image it is cut from (the Library embeds faces of several photos, each from its own region). */
export interface FaceInImage {
  image: RgbImage;
  detection: FaceDetection;
}

/**
 * analyzeDetections for faces of different images: `batchSize` faces per embed call whichever image each comes from,
 * so the faces of several photos share one call (fewer, fuller batches).
 */
export async function analyzeFacesInImages(faces: readonly FaceInImage[], embedder: FaceEmbedder, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
  const batchSize = Math.max(1, options.batchSize ?? 8);
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < faces.length; start += batchSize) {
    const batch = tf.tidy(() => tf.concat(faces.slice(start, start + batchSize).map((f) => cropFaces(f.image, [f.detection], embedder.info, options))));
    try {
      embeddings.push(...(await embedder.embed(batch)));
    } finally {
      batch.dispose();
    }
  }
  const size = options.thumbnailSize ?? 112;
  const crops = await Promise.all(faces.map(async (f) => (await thumbnails(f.image, [f.detection], size))[0]));
  return faces.map((f, i) => ({ detection: f.detection, embedding: embeddings[i], crop: crops[i] }));
}

/** Detects the faces of one photo and returns each with its embedding and a small crop, in detection order. */
export async function analyzePhoto(image: RgbImage, detector: FaceDetector, embedder: FaceEmbedder, options: AnalyzeOptions = {}): Promise<AnalyzedFace[]> {
  return analyzeDetections(image, await detector.detect(image), embedder, options);
}
