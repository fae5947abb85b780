// Large photos: the embedding pipeline turns the whole photo into float tensors, which for a 30-megapixel photo
// means gigabytes of WASM memory and tens of seconds. Instead each face is cut from the full-resolution pixels
// with a generous margin, area-averaged down when it is far larger than the embedder needs, and embedded alone.
import { resizeArea } from '../ml/image/resize-area';
import type { FaceDetection, Point, RgbImage } from '../ml/types';

/** Above this many pixels a photo is embedded face by face. */
export const WHOLE_PHOTO_MAX_PIXELS = 8_000_000;

/** Context kept around a face, as a fraction of its longer side on each side (the crop rules need up to ~0.65). */
const MARGIN = 1;

export interface FaceRegion {
  image: RgbImage;
  /** the detection in the region's pixels */
  detection: FaceDetection;
}

/**
 * Cuts the face's neighbourhood from the photo; when the region is more than `maxSide` pixels long it is
 * shrunk by an integer factor (block averaging, which does not alias).
 */
export function faceRegion(photo: RgbImage, detection: FaceDetection, maxSide: number, marginFraction = MARGIN): FaceRegion {
  const { cut, width, height, x0, y0 } = cutAround(photo, detection, marginFraction);
  const factor = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  return scaledRegion(cut, width, height, x0, y0, Math.floor(width / factor), Math.floor(height / factor), detection);
}

/** The face's box plus `marginFraction` of its longer side each way, clipped to the photo, as RGB bytes. */
function cutAround(photo: RgbImage, detection: FaceDetection, marginFraction: number) {
  const [bx, by, bw, bh] = detection.box;
  const margin = marginFraction * Math.max(bw, bh);
  const x0 = Math.max(0, Math.floor(bx - margin));
  const y0 = Math.max(0, Math.floor(by - margin));
  const x1 = Math.min(photo.width, Math.ceil(bx + bw + margin));
  const y1 = Math.min(photo.height, Math.ceil(by + bh + margin));
  const width = Math.max(1, x1 - x0);
  const height = Math.max(1, y1 - y0);
  const cut = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const from = ((y0 + row) * photo.width + x0) * 3;
    cut.set(photo.data.subarray(from, from + width * 3), row * width * 3);
  }
  return { cut, width, height, x0, y0 };
}

/** The cut region resized to outWidth x outHeight (INTER_AREA), with the detection mapped into it. */
function scaledRegion(cut: Uint8Array, width: number, height: number, x0: number, y0: number, outW: number, outH: number, detection: FaceDetection): FaceRegion {
  const [bx, by, bw, bh] = detection.box;
  const outWidth = Math.max(1, outW);
  const outHeight = Math.max(1, outH);
  const data = outWidth === width && outHeight === height ? cut : resizeArea(cut, width, height, outWidth, outHeight);
  // resizeArea maps width -> outWidth exactly; the scale per axis follows from the sizes
  const sx = outWidth / width;
  const sy = outHeight / height;
  const map = ([x, y]: Point): Point => [(x - x0) * sx, (y - y0) * sy];
  const k = detection.keypoints;
  return {
    image: { data, width: outWidth, height: outHeight },
    detection: {
      confidence: detection.confidence,
      box: [(bx - x0) * sx, (by - y0) * sy, bw * sx, bh * sy],
      keypoints: {
        left_eye: map(k.left_eye),
        right_eye: map(k.right_eye),
        nose: map(k.nose),
        mouth_left: map(k.mouth_left),
        mouth_right: map(k.mouth_right),
      },
    },
  };
}

/**
 * What the Library keeps of each face so that another embedder can embed it later without the photo: every crop
 * rule reads within ~0.65 of the box's longer side around it (the thumbnail 0.1, 'vggface2' 0.07, dlib's aligned
 * chip ~0.6 at 45 degrees of roll), and none needs the face larger than ~200 px (VGGFace2's 224 px input spans
 * 1.14 box sides, dlib's 150 px chip ~1.1), so larger faces are shrunk to that.
 */
export const SOURCE_MARGIN = 0.65;
export const SOURCE_MAX_FACE_SIDE = 200;

export function sourceRegion(photo: RgbImage, detection: FaceDetection): FaceRegion {
  const { cut, width, height, x0, y0 } = cutAround(photo, detection, SOURCE_MARGIN);
  const scale = Math.min(1, SOURCE_MAX_FACE_SIDE / Math.max(detection.box[2], detection.box[3], 1));
  return scaledRegion(cut, width, height, x0, y0, Math.round(width * scale), Math.round(height * scale), detection);
}

/**
 * The detection in the pixels of its UI thumbnail (thumbnailTransform: a square of 1.2x the box's longer side about
 * its centre, `size` pixels wide): what a face stored without a source is re-embedded from.
 */
export function detectionInThumbnail(detection: FaceDetection, size: number): FaceDetection {
  const [x, y, w, h] = detection.box;
  const side = Math.max(w, h) * 1.2;
  const k = size / side;
  const ox = x + w / 2 - side / 2;
  const oy = y + h / 2 - side / 2;
  const map = ([px, py]: Point): Point => [(px - ox) * k, (py - oy) * k];
  const p = detection.keypoints;
  return {
    confidence: detection.confidence,
    box: [(x - ox) * k, (y - oy) * k, w * k, h * k],
    keypoints: { left_eye: map(p.left_eye), right_eye: map(p.right_eye), nose: map(p.nose), mouth_left: map(p.mouth_left), mouth_right: map(p.mouth_right) },
  };
}
