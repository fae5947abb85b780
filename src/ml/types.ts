// Shared shapes of the ML core. Pure types: importing this file pulls in no tfjs code.

/** An 8-bit RGB image, row-major H x W x 3 (the layout of the reference `rgb_sha256`). */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export type Point = [number, number];

export interface FaceKeypoints {
  left_eye: Point;
  right_eye: Point;
  nose: Point;
  mouth_left: Point;
  mouth_right: Point;
}

/** One face in original-image pixels, the shape ipazc `mtcnn` returns. Boxes are not clamped. */
export interface FaceDetection {
  box: [x: number, y: number, width: number, height: number];
  confidence: number;
  keypoints: FaceKeypoints;
}

/**
 * Reads a model asset by its path relative to the models folder (for example "mtcnn/weights.json").
 * The browser passes a fetch-based reader, Node tests a file-system one.
 */
export type AssetReader = (relativePath: string) => Promise<ArrayBuffer>;

export type SimilarityMetric = 'cosine' | 'euclidean';

/** How an embedder wants its face cut out of the photo. */
export type CropRule =
  /** the recipe's tight MTCNN box resized to the input size (keras `extract_face_from_image`) */
  | 'tight'
  /** the VGGFace2 convention: box enlarged by 0.3, short side 256, centre crop of the input size */
  | 'vggface2'
  /** 5-point similarity transform from the MTCNN keypoints to a canonical template */
  | 'aligned';

export type EmbedderId = 'vggface2-mobilenet' | 'dlib-resnet29' | 'vggface2-resnet50';

/** What the UI needs to know about an embedder; plain data, safe to post across the worker boundary. */
export interface EmbedderInfo {
  id: EmbedderId;
  label: string;
  inputSize: number;
  dim: number;
  crop: CropRule;
  metric: SimilarityMetric;
  /** calibrated on LFW (see README: rule and figures); distances <= this match */
  defaultThreshold: number;
  /** distance -> same-person probability, error rates and operating points, fitted on LFW; absent: not calibrated */
  calibration?: EmbedderCalibration;
}

/**
 * P(same person | distance) as measured on LFW's verification pairs, half of which are the same person.
 * 'logistic': 1 / (1 + exp(-(intercept + slope * distance))). 'isotonic': piecewise linear through the knots
 * (distances ascending, probabilities non-increasing), flat beyond the ends.
 */
export type DistanceCalibration =
  | { kind: 'logistic'; intercept: number; slope: number }
  | { kind: 'isotonic'; distances: number[]; probabilities: number[] };

/**
 * LFW error counts on a threshold grid: at threshold start + i * step, falseMatches[i] different-person pairs have
 * distance <= it and misses[i] same-person pairs have distance > it. Past the grid's end everything matches.
 */
export interface ErrorRateTable {
  start: number;
  step: number;
  samePairs: number;
  differentPairs: number;
  falseMatches: number[];
  misses: number[];
}

export type OperatingPointId = 'strict' | 'balanced' | 'loose';

export interface EmbedderCalibration {
  /** where the figures come from (data set, protocol, command) */
  source: string;
  fit: DistanceCalibration;
  rates: ErrorRateTable;
  /** strict: false match rate <= 1/1000 on LFW; balanced: the best-accuracy default; loose: misses <= 1/100 */
  operatingPoints: Record<OperatingPointId, number>;
}

/** A small RGBA image of one face, for the UI's strips, matrix axes and export. */
export interface FaceCrop {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

export interface AnalyzedFace {
  detection: FaceDetection;
  embedding: Float32Array;
  crop: FaceCrop;
}

export type MatchMode = 'all-under-threshold' | 'one-to-one';

export interface MatchPair {
  /** face index in photo A */
  a: number;
  /** face index in photo B */
  b: number;
  distance: number;
}
