// Fitting an embedder's LFW calibration (distance -> same-person probability), scoring it on held-out folds, and
// deriving the error-rate table and operating points the app stores. Pure functions over scored pairs; eval-lfw.ts
// runs them, test/similarity/calibration.test.ts checks them on the committed LFW distances.
import type { DistanceCalibration, EmbedderCalibration, ErrorRateTable } from '../../src/ml/types';
import { sameProbability } from '../../src/ml/similarity/calibration';
import type { ScoredPair } from './lfw-metrics';

/** The slider's grid: stored thresholds sit on it so the range input shows them exactly. */
export const THRESHOLD_STEP = 0.005;
export const STRICT_FALSE_MATCH_RATE = 1 / 1000;
export const LOOSE_MISS_RATE = 1 / 100;

/** Logistic regression of `same` on the distance (Newton's method on the log loss; two parameters). */
export function fitLogistic(pairs: readonly ScoredPair[]): DistanceCalibration {
  // Work on the standardised distance for a well-conditioned Hessian, then map back.
  const n = pairs.length;
  const mean = pairs.reduce((s, p) => s + p.distance, 0) / n;
  const sd = Math.sqrt(pairs.reduce((s, p) => s + (p.distance - mean) ** 2, 0) / n) || 1;
  let a = 0;
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = 0;
    let haa = 0;
    let hab = 0;
    let hbb = 0;
    for (const p of pairs) {
      const z = (p.distance - mean) / sd;
      const q = 1 / (1 + Math.exp(-(a + b * z)));
      const r = q - (p.same ? 1 : 0);
      const w = Math.max(q * (1 - q), 1e-12);
      ga += r;
      gb += r * z;
      haa += w;
      hab += w * z;
      hbb += w * z * z;
    }
    // a tiny ridge keeps a perfectly separable sample from diverging
    haa += 1e-9;
    hbb += 1e-9;
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-12) break;
  }
  return { kind: 'logistic', intercept: a - (b * mean) / sd, slope: b / sd };
}

/**
 * Isotonic regression (pool adjacent violators) of `same` on the distance, non-increasing; each pooled block becomes
 * a knot at its mean distance, and the curve is linear between knots.
 */
export function fitIsotonic(pairs: readonly ScoredPair[]): DistanceCalibration {
  const sorted = [...pairs].sort((p, q) => p.distance - q.distance);
  const blocks: { sumD: number; sumY: number; n: number }[] = [];
  for (let i = 0; i < sorted.length; ) {
    // equal distances form one block from the start: the curve is a function of the distance
    const block = { sumD: 0, sumY: 0, n: 0 };
    const d = sorted[i].distance;
    for (; i < sorted.length && sorted[i].distance === d; i++) {
      block.sumD += d;
      block.sumY += sorted[i].same ? 1 : 0;
      block.n++;
    }
    blocks.push(block);
    // a block above its predecessor breaks "non-increasing": pool them
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1];
      const previous = blocks[blocks.length - 2];
      if (previous.sumY / previous.n > last.sumY / last.n) break;
      previous.sumD += last.sumD;
      previous.sumY += last.sumY;
      previous.n += last.n;
      blocks.pop();
    }
  }
  return {
    kind: 'isotonic',
    distances: blocks.map((b) => round(b.sumD / b.n, 5)),
    probabilities: blocks.map((b) => round(b.sumY / b.n, 5)),
  };
}

export type Fitter = (pairs: readonly ScoredPair[]) => DistanceCalibration;
export const FITTERS: Record<'logistic' | 'isotonic', Fitter> = { logistic: fitLogistic, isotonic: fitIsotonic };

export interface Prediction {
  probability: number;
  same: boolean;
}

/** 10-fold protocol: each fold's pairs are predicted by a calibration fitted on the other folds. */
export function heldOutPredictions(pairs: readonly ScoredPair[], fit: Fitter): Prediction[] {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  return folds.flatMap((fold) => {
    const calibration = fit(pairs.filter((p) => p.fold !== fold));
    return pairs.filter((p) => p.fold === fold).map((p) => ({ probability: sameProbability(calibration, p.distance), same: p.same }));
  });
}

export interface ReliabilityBin {
  /** bin's probability range [from, to) (the last bin includes 1) */
  from: number;
  to: number;
  /** mean predicted probability of the pairs in it (null when empty) */
  predicted: number | null;
  /** share of them that are the same person (null when empty) */
  observed: number | null;
  pairs: number;
}

export interface CalibrationScore {
  /** expected calibration error: sum over bins of (pairs in bin / all) * |predicted - observed| */
  ece: number;
  /** mean squared error of the probability against 0/1 */
  brier: number;
  bins: ReliabilityBin[];
}

export function scoreCalibration(predictions: readonly Prediction[], binCount = 10): CalibrationScore {
  const bins = Array.from({ length: binCount }, (_, i) => ({ from: i / binCount, to: (i + 1) / binCount, sumP: 0, sumY: 0, n: 0 }));
  let brier = 0;
  for (const { probability, same } of predictions) {
    const bin = bins[Math.min(binCount - 1, Math.floor(probability * binCount))];
    bin.sumP += probability;
    bin.sumY += same ? 1 : 0;
    bin.n++;
    brier += (probability - (same ? 1 : 0)) ** 2;
  }
  const n = predictions.length;
  const ece = bins.reduce((s, b) => s + (b.n ? (b.n / n) * Math.abs(b.sumP / b.n - b.sumY / b.n) : 0), 0);
  return {
    ece,
    brier: brier / n,
    bins: bins.map((b) => ({ from: b.from, to: b.to, predicted: b.n ? b.sumP / b.n : null, observed: b.n ? b.sumY / b.n : null, pairs: b.n })),
  };
}

/** Counts of false matches and misses at every grid threshold from 0 to just past the largest distance. */
export function errorRateTable(pairs: readonly ScoredPair[], step = THRESHOLD_STEP): ErrorRateTable {
  const same = pairs.filter((p) => p.same).map((p) => p.distance);
  const different = pairs.filter((p) => !p.same).map((p) => p.distance);
  const largest = Math.max(...pairs.map((p) => p.distance));
  const count = Math.ceil(largest / step - 1e-9) + 1;
  const falseMatches: number[] = [];
  const misses: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = gridValue(i, step);
    falseMatches.push(different.filter((d) => d <= t).length);
    misses.push(same.filter((d) => d > t).length);
  }
  return { start: 0, step, samePairs: same.length, differentPairs: different.length, falseMatches, misses };
}

/** i * step rounded to the grid's decimals, so 0.595 is 0.595 and not 0.5950000000000001. */
export function gridValue(i: number, step = THRESHOLD_STEP): number {
  return round(i * step, 6);
}

/** Strict: the loosest grid threshold whose false match rate is <= 1/1000; loose: the strictest that misses <= 1/100. */
export function operatingThresholds(table: ErrorRateTable): { strict: number; loose: number } {
  let strict = 0;
  let loose = gridValue(table.misses.length - 1, table.step);
  table.falseMatches.forEach((fm, i) => {
    if (fm / table.differentPairs <= STRICT_FALSE_MATCH_RATE) strict = gridValue(i, table.step);
  });
  for (let i = table.misses.length - 1; i >= 0; i--) if (table.misses[i] / table.samePairs <= LOOSE_MISS_RATE) loose = gridValue(i, table.step);
  return { strict, loose };
}

/** Rates of a rule "distance <= threshold" on some pairs. */
export function ratesOn(pairs: readonly ScoredPair[], threshold: number): { falseMatchRate: number; missRate: number } {
  const same = pairs.filter((p) => p.same);
  const different = pairs.filter((p) => !p.same);
  return {
    falseMatchRate: different.filter((p) => p.distance <= threshold).length / different.length,
    missRate: same.filter((p) => p.distance > threshold).length / same.length,
  };
}

/** Operating points chosen on 9 folds and measured on the 10th, pooled over the 10 held-out folds. */
export function heldOutOperatingRates(pairs: readonly ScoredPair[]) {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  let falseMatches = 0;
  let different = 0;
  let misses = 0;
  let same = 0;
  for (const fold of folds) {
    const { strict, loose } = operatingThresholds(errorRateTable(pairs.filter((p) => p.fold !== fold)));
    const test = pairs.filter((p) => p.fold === fold);
    falseMatches += test.filter((p) => !p.same && p.distance <= strict).length;
    different += test.filter((p) => !p.same).length;
    misses += test.filter((p) => p.same && p.distance > loose).length;
    same += test.filter((p) => p.same).length;
  }
  return { strictFalseMatchRate: falseMatches / different, looseMissRate: misses / same };
}

/** Everything the app stores for one embedder: the chosen fit on all folds, the rate table and the three points. */
export function embedderCalibration(pairs: readonly ScoredPair[], method: keyof typeof FITTERS, balanced: number, source: string): EmbedderCalibration {
  const rates = errorRateTable(pairs);
  return { source, fit: FITTERS[method](pairs), rates, operatingPoints: { ...operatingThresholds(rates), balanced } };
}

function round(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}
