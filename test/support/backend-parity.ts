// Backend parity, written once: the faces one backend finds and embeds in a photo against another's (WASM is the
// reference: it is the backend the MTCNN and LFW figures were measured on). Used by the Node test (CPU vs WASM)
// and the browser specs (WebGPU and WebGL vs WASM). Plain data in, plain data out: no tfjs, no DOM.

export type XYWH = [number, number, number, number];

export interface ParityFace {
  box: XYWH;
  confidence: number;
  /** the five keypoints in ipazc's order: left_eye, right_eye, nose, mouth_left, mouth_right */
  keypoints: [number, number][];
  embedding: ArrayLike<number>;
  /** the face's thumbnail (RGBA), warped from the photo in JS: identical on every backend */
  thumbnail?: ArrayLike<number>;
}

export interface ParityTolerances {
  minIou: number;
  maxKeypointPx: number;
  maxConfidenceDiff: number;
  minCosine: number;
}

/** The bar (#14): every face at IoU >= 0.85, keypoints within 1.5 px, embeddings at cosine >= 0.999. */
export const PARITY_TOLERANCES: ParityTolerances = { minIou: 0.85, maxKeypointPx: 1.5, maxConfidenceDiff: 1e-3, minCosine: 0.999 };

export interface ParityImageResult {
  image: string;
  referenceFaces: number;
  candidateFaces: number;
  /** reference faces with a candidate face at or above minIou */
  matched: number;
  minIou: number;
  maxKeypointPx: number;
  maxConfidenceDiff: number;
  minCosine: number;
  /** largest per-channel difference between the thumbnails (0 = identical) */
  maxThumbnailDiff: number;
  failures: string[];
}

export function iou(a: XYWH, b: XYWH): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -1;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** Pairs each reference face with the candidate face it overlaps most, and checks every tolerance. */
export function compareFaces(image: string, reference: ParityFace[], candidate: ParityFace[], tol: ParityTolerances = PARITY_TOLERANCES): ParityImageResult {
  const result: ParityImageResult = {
    image,
    referenceFaces: reference.length,
    candidateFaces: candidate.length,
    matched: 0,
    minIou: reference.length ? Infinity : 1,
    maxKeypointPx: 0,
    maxConfidenceDiff: 0,
    minCosine: reference.length ? Infinity : 1,
    maxThumbnailDiff: 0,
    failures: [],
  };
  if (candidate.length !== reference.length) result.failures.push(`${candidate.length} faces, reference ${reference.length}`);
  const used = new Set<number>();
  reference.forEach((ref, r) => {
    let best = -1;
    let bestIou = 0;
    candidate.forEach((c, i) => {
      const overlap = iou(ref.box, c.box);
      if (!used.has(i) && overlap > bestIou) {
        best = i;
        bestIou = overlap;
      }
    });
    result.minIou = Math.min(result.minIou, bestIou);
    if (best < 0 || bestIou < tol.minIou) {
      result.failures.push(`reference face ${r} [${ref.box}]: best IoU ${bestIou.toFixed(3)}`);
      return;
    }
    used.add(best);
    result.matched++;
    const c = candidate[best];
    const px = Math.max(...ref.keypoints.map(([x, y], k) => Math.hypot(x - c.keypoints[k][0], y - c.keypoints[k][1])));
    const conf = Math.abs(ref.confidence - c.confidence);
    const cos = cosine(ref.embedding, c.embedding);
    result.maxKeypointPx = Math.max(result.maxKeypointPx, px);
    result.maxConfidenceDiff = Math.max(result.maxConfidenceDiff, conf);
    result.minCosine = Math.min(result.minCosine, cos);
    if (px > tol.maxKeypointPx) result.failures.push(`face ${r}: keypoint off by ${px.toFixed(2)} px`);
    if (conf > tol.maxConfidenceDiff) result.failures.push(`face ${r}: confidence differs by ${conf.toExponential(2)}`);
    if (!(cos >= tol.minCosine)) result.failures.push(`face ${r}: embedding cosine ${cos.toFixed(5)}`);
    if (ref.thumbnail && c.thumbnail) {
      let diff = 0;
      for (let i = 0; i < ref.thumbnail.length; i++) diff = Math.max(diff, Math.abs(ref.thumbnail[i] - c.thumbnail[i]));
      result.maxThumbnailDiff = Math.max(result.maxThumbnailDiff, diff);
    }
  });
  return result;
}

/** One line per backend for logs and reports: worst figures over all images. */
export function summariseParity(results: ParityImageResult[]): string {
  const faces = results.reduce((n, r) => n + r.referenceFaces, 0);
  const matched = results.reduce((n, r) => n + r.matched, 0);
  const worst = (pick: (r: ParityImageResult) => number, f: (a: number, b: number) => number, start: number) =>
    results.filter((r) => r.referenceFaces > 0).reduce((acc, r) => f(acc, pick(r)), start);
  return (
    `${results.length} images, ${matched}/${faces} faces matched; min IoU ${worst((r) => r.minIou, Math.min, 1).toFixed(4)}, ` +
    `max keypoint ${worst((r) => r.maxKeypointPx, Math.max, 0).toFixed(2)} px, max confidence diff ${worst((r) => r.maxConfidenceDiff, Math.max, 0).toExponential(2)}, ` +
    `min cosine ${worst((r) => r.minCosine, Math.min, 1).toFixed(6)}, max thumbnail diff ${worst((r) => r.maxThumbnailDiff, Math.max, 0)}`
  );
}

/**
 * A fixed set of reference images for the parity runs: the 150 x 150 portraits and the smallest multi-face photos
 * of ../shared/fixtures/mtcnn-reference (SwiftShader WebGPU takes seconds per small photo). By size, then path.
 */
export function paritySubset<T extends { image: string; width: number; height: number; faces: unknown[] }>(images: T[], portraits: number, groups: number): T[] {
  const bySize = [...images].sort((a, b) => a.width * a.height - b.width * b.height || (a.image < b.image ? -1 : 1));
  const small = bySize.filter((r) => r.faces.length === 1).slice(0, portraits);
  const multi = bySize.filter((r) => r.faces.length > 1).slice(0, groups);
  return [...small, ...multi];
}
