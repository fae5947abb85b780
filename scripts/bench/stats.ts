// Small numeric helpers for the bench report, and the parity check of detections against the reference.

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const min = (values: readonly number[]): number => (values.length ? Math.min(...values) : NaN);
export const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

export interface Spread {
  median: number;
  min: number;
  n: number;
}

export const spread = (values: readonly number[]): Spread => ({ median: median(values), min: min(values), n: values.length });

export type XYWH = [number, number, number, number];

export function iou(a: XYWH, b: XYWH): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** One-to-one greedy matching by IoU (best pairs first); returns how many reference boxes found a partner. */
export function matchCount(reference: readonly XYWH[], found: readonly XYWH[], threshold: number): number {
  const pairs: { i: number; j: number; v: number }[] = [];
  reference.forEach((r, i) =>
    found.forEach((f, j) => {
      const v = iou(r, f);
      if (v >= threshold) pairs.push({ i, j, v });
    }),
  );
  pairs.sort((p, q) => q.v - p.v);
  const usedR = new Set<number>();
  const usedF = new Set<number>();
  for (const p of pairs) {
    if (usedR.has(p.i) || usedF.has(p.j)) continue;
    usedR.add(p.i);
    usedF.add(p.j);
  }
  return usedR.size;
}

export interface ParityImage {
  reference: XYWH[];
  /** the float64 variant the reference carries for numerically unstable images */
  alternative?: XYWH[];
  found: XYWH[];
}

export interface Parity {
  images: number;
  referenceFaces: number;
  matched: number;
  /** detections with no reference partner */
  extra: number;
  matchedFraction: number;
  /** images where every reference face is matched and nothing extra was found */
  exactImages: number;
}

export function parity(items: readonly ParityImage[], threshold = 0.85): Parity {
  let referenceFaces = 0;
  let matched = 0;
  let extra = 0;
  let exactImages = 0;
  for (const item of items) {
    // unstable images: score against whichever reference variant fits better
    const variants = [item.reference, ...(item.alternative ? [item.alternative] : [])];
    const best = variants
      .map((ref) => ({ ref, m: matchCount(ref, item.found, threshold) }))
      .sort((a, b) => b.m / Math.max(1, b.ref.length) - a.m / Math.max(1, a.ref.length))[0];
    referenceFaces += best.ref.length;
    matched += best.m;
    extra += item.found.length - best.m;
    if (best.m === best.ref.length && item.found.length === best.ref.length) exactImages++;
  }
  return {
    images: items.length,
    referenceFaces,
    matched,
    extra,
    matchedFraction: referenceFaces ? matched / referenceFaces : 1,
    exactImages,
  };
}
