// Large photos are embedded face by face from cut-out regions: each region must give the embedding the whole
// photo gives, at full size and when it is shrunk, so the shortcut never changes who matches whom.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../ml/embedders';
import type { FaceEmbedder } from '../ml/embedders/embedder';
import { createMtcnn, type MtcnnDetector } from '../ml/mtcnn';
import { analyzeDetections } from '../ml/pipeline';
import { cosineDistance } from '../ml/similarity';
import { resizeArea } from '../ml/image/resize-area';
import type { FaceDetection, Point, RgbImage } from '../ml/types';
import { loadSharedImage, readModelAsset, useBackend } from '../../test/support/node-ml';
import { faceRegion } from './face-regions';

let detector: MtcnnDetector;
let embedder: FaceEmbedder;
let photo: RgbImage;
let detections: FaceDetection[];

beforeAll(async () => {
  await useBackend();
  detector = await createMtcnn(readModelAsset);
  embedder = await createEmbedder('vggface2-mobilenet', readModelAsset);
  photo = loadSharedImage('datasets/faceapi-js-images/examples/images/bbt4.jpg');
  detections = await detector.detect(photo);
});

afterAll(() => {
  detector?.dispose();
  embedder?.dispose();
});

describe('faceRegion', () => {
  it('keeps the face and its keypoints in place, inside the region', () => {
    for (const detection of detections) {
      const { image, detection: moved } = faceRegion(photo, detection, 10_000);
      const [x, y, w, h] = moved.box;
      expect(w).toBeCloseTo(detection.box[2]);
      expect(h).toBeCloseTo(detection.box[3]);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(image.data.length).toBe(image.width * image.height * 3);
      // the region's pixel at the nose is the photo's pixel at the nose
      const [nx, ny] = moved.keypoints.nose.map(Math.round);
      const [px, py] = detection.keypoints.nose.map(Math.round);
      const at = (img: RgbImage, u: number, v: number) => Array.from(img.data.subarray((v * img.width + u) * 3, (v * img.width + u) * 3 + 3));
      expect(at(image, nx, ny)).toEqual(at(photo, px, py));
    }
  });

  it('shrinks a region that is longer than asked, by a whole factor', () => {
    const detection = detections[0];
    const full = faceRegion(photo, detection, 10_000).image;
    const shrunk = faceRegion(photo, detection, 150);
    expect(Math.max(shrunk.image.width, shrunk.image.height)).toBeLessThanOrEqual(150);
    const factor = Math.ceil(Math.max(full.width, full.height) / 150);
    expect(shrunk.image.width).toBe(Math.floor(full.width / factor));
    expect(shrunk.detection.box[2]).toBeCloseTo((detection.box[2] * shrunk.image.width) / full.width);
  });

  it('gives the embeddings the whole photo gives, on a large photo where regions are shrunk', async () => {
    // bbt4 grown 4x (a 5.4 MP photo with faces of 400-560 px) and its detections scaled to match
    const scale = 4;
    const large: RgbImage = {
      width: photo.width * scale,
      height: photo.height * scale,
      data: resizeArea(photo.data, photo.width, photo.height, photo.width * scale, photo.height * scale),
    };
    const up = ([x, y]: Point): Point => [x * scale, y * scale];
    const scaled: FaceDetection[] = detections.map((d) => ({
      confidence: d.confidence,
      box: d.box.map((v) => v * scale) as FaceDetection['box'],
      keypoints: {
        left_eye: up(d.keypoints.left_eye),
        right_eye: up(d.keypoints.right_eye),
        nose: up(d.keypoints.nose),
        mouth_left: up(d.keypoints.mouth_left),
        mouth_right: up(d.keypoints.mouth_right),
      },
    }));
    const whole = await analyzeDetections(large, scaled, embedder);
    const maxSide = 6 * embedder.info.inputSize;
    let shrunk = 0;
    for (const [i, detection] of scaled.entries()) {
      const region = faceRegion(large, detection, maxSide);
      if (region.detection.box[2] < detection.box[2] - 1) shrunk++;
      const [face] = await analyzeDetections(region.image, [region.detection], embedder);
      expect(cosineDistance(face.embedding, whole[i].embedding)).toBeLessThan(0.02);
    }
    expect(shrunk).toBeGreaterThan(0);
  });
});
