// Reading an embedder's stored LFW calibration: distance -> same-person probability, and the false-match and miss
// rates at a threshold. Pure TypeScript (no tfjs, no model run): the UI calls it on every slider move.
import type { DistanceCalibration, ErrorRateTable } from '../types';

/** Probabilities in [UNCERTAIN_LOW, UNCERTAIN_HIGH] are shown as uncertain rather than as a clear answer. */
export const UNCERTAIN_LOW = 0.2;
export const UNCERTAIN_HIGH = 0.8;

/** P(same person | distance) under the calibration; the prior is LFW's, half the pairs the same person. */
export function sameProbability(fit: DistanceCalibration, distance: number): number {
  if (fit.kind === 'logistic') return 1 / (1 + Math.exp(-(fit.intercept + fit.slope * distance)));
  const { distances: xs, probabilities: ps } = fit;
  if (distance <= xs[0]) return ps[0];
  if (distance >= xs[xs.length - 1]) return ps[ps.length - 1];
  // binary search for the segment xs[lo] <= distance < xs[lo + 1]
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= distance) lo = mid;
    else hi = mid;
  }
  const t = (distance - xs[lo]) / (xs[hi] - xs[lo]);
  return ps[lo] + t * (ps[hi] - ps[lo]);
}

export function isUncertain(probability: number): boolean {
  return probability >= UNCERTAIN_LOW && probability <= UNCERTAIN_HIGH;
}

export interface ErrorRates {
  /** share of different-person pairs with distance <= threshold */
  falseMatchRate: number;
  /** share of same-person pairs with distance > threshold */
  missRate: number;
}

/** The LFW rates at a threshold, interpolated linearly between the table's grid points. */
export function errorRatesAt(table: ErrorRateTable, threshold: number): ErrorRates {
  const { start, step, falseMatches, misses, samePairs, differentPairs } = table;
  const last = falseMatches.length - 1;
  const at = (i: number) => ({
    falseMatchRate: i < 0 ? 0 : i > last ? 1 : falseMatches[i] / differentPairs,
    missRate: i < 0 ? 1 : i > last ? 0 : misses[i] / samePairs,
  });
  const position = (threshold - start) / step;
  // thresholds on the grid (the slider's) read one entry exactly; the epsilon absorbs float steps like 0.1 + 0.2
  const nearest = Math.round(position);
  if (Math.abs(position - nearest) < 1e-6) return at(nearest);
  if (position < 0) return at(-1);
  if (position > last) return at(last + 1);
  const i = Math.floor(position);
  const t = position - i;
  const [lower, upper] = [at(i), at(i + 1)];
  return {
    falseMatchRate: lower.falseMatchRate + t * (upper.falseMatchRate - lower.falseMatchRate),
    missRate: lower.missRate + t * (upper.missRate - lower.missRate),
  };
}

/** "71%", with the ends said as "<1%" and ">99%": a finite sample never shows certainty. */
export function formatProbability(probability: number): string {
  if (probability < 0.005) return '<1%';
  if (probability > 0.995) return '>99%';
  return `${Math.round(probability * 100)}%`;
}

/** A rate in words a person reads at a glance: "1 in 1,000", "2.5%", "none". */
export function formatRate(rate: number): string {
  if (rate <= 0) return 'none';
  if (rate >= 0.995) return 'all';
  if (rate < 0.01) {
    // two significant figures: "1 in 3,300", not "1 in 3,333"
    const n = 1 / rate;
    const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
    return `1 in ${(Math.round(n / unit) * unit).toLocaleString('en-US')}`;
  }
  return `${(rate * 100).toFixed(rate < 0.1 ? 1 : 0)}%`;
}
