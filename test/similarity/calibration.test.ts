// The LFW calibration: the fitting and scoring functions on small hand-checked cases, then each built-in embedder's
// stored calibration against the LFW distances the eval derived (test/similarity/lfw-distances/, written by
// `npm run eval:lfw -- --embedder ID --write-calibration` together with the stored calibration.json).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  errorRateTable,
  fitIsotonic,
  gridValue,
  fitLogistic,
  FITTERS,
  heldOutOperatingRates,
  heldOutPredictions,
  LOOSE_MISS_RATE,
  operatingThresholds,
  ratesOn,
  scoreCalibration,
  STRICT_FALSE_MATCH_RATE,
} from '../../scripts/eval/calibration';
import type { ScoredPair } from '../../scripts/eval/lfw-metrics';
import { BUILTIN_EMBEDDERS } from '../../src/ml/embedders/info';
import { errorRatesAt, formatProbability, formatRate, isUncertain, sameProbability } from '../../src/ml/similarity';

const pair = (distance: number, same: boolean, fold = 1): ScoredPair => ({ distance, same, fold });

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('calibration functions', () => {
  it('pools adjacent violators into a non-increasing curve and interpolates between its knots', () => {
    const fit = fitIsotonic([pair(0.1, true), pair(0.2, false), pair(0.3, true), pair(0.4, false)]);
    expect(fit).toEqual({ kind: 'isotonic', distances: [0.1, 0.25, 0.4], probabilities: [1, 0.5, 0] });
    expect(sameProbability(fit, 0)).toBe(1);
    expect(sameProbability(fit, 0.175)).toBeCloseTo(0.75, 12);
    expect(sameProbability(fit, 0.25)).toBe(0.5);
    expect(sameProbability(fit, 9)).toBe(0);
  });

  it('recovers the parameters of a logistic model from a sample drawn from it', () => {
    const rand = random(3);
    const pairs = Array.from({ length: 20000 }, () => {
      const d = rand() * 1.2;
      return pair(d, rand() < 1 / (1 + Math.exp(-(9 - 15 * d))));
    });
    const fit = fitLogistic(pairs);
    if (fit.kind !== 'logistic') throw new Error('not logistic');
    expect(fit.intercept).toBeCloseTo(9, 0);
    expect(fit.slope).toBeCloseTo(-15, 0);
  });

  it('scores ECE and Brier by their definitions', () => {
    // bin [0.2, 0.3): predicted 0.2, observed 1/2; bin [0.9, 1]: predicted 0.9, observed 1
    const score = scoreCalibration([
      { probability: 0.2, same: true },
      { probability: 0.2, same: false },
      { probability: 0.9, same: true },
      { probability: 0.9, same: true },
    ]);
    expect(score.ece).toBeCloseTo(0.5 * 0.3 + 0.5 * 0.1, 12);
    expect(score.brier).toBeCloseTo((0.64 + 0.04 + 0.01 + 0.01) / 4, 12);
    expect(score.bins[2]).toMatchObject({ pairs: 2, observed: 0.5 });
    expect(score.bins[9]).toMatchObject({ pairs: 2, observed: 1 });
    expect(score.bins.reduce((s, b) => s + b.pairs, 0)).toBe(4);
  });

  it('counts errors on the threshold grid and reads rates between grid points', () => {
    const pairs = [pair(0.1, true), pair(0.3, true), pair(0.2, false), pair(0.5, false)];
    const table = errorRateTable(pairs, 0.1);
    expect(table.falseMatches).toEqual([0, 0, 1, 1, 1, 2]);
    expect(table.misses).toEqual([2, 1, 1, 0, 0, 0]);
    expect(errorRatesAt(table, 0.2)).toEqual({ falseMatchRate: 0.5, missRate: 0.5 });
    expect(errorRatesAt(table, 0.25).missRate).toBeCloseTo(0.25, 12);
    expect(errorRatesAt(table, -1)).toEqual({ falseMatchRate: 0, missRate: 1 });
    expect(errorRatesAt(table, 7)).toEqual({ falseMatchRate: 1, missRate: 0 });
  });

  it('says probabilities and rates in words, never as certainty', () => {
    expect(formatProbability(0.7149)).toBe('71%');
    expect(formatProbability(1)).toBe('>99%');
    expect(formatProbability(0)).toBe('<1%');
    expect(formatRate(1 / 1000)).toBe('1 in 1,000');
    expect(formatRate(1 / 3333)).toBe('1 in 3,300');
    expect(formatRate(0.0123)).toBe('1.2%');
    expect(formatRate(0)).toBe('none');
    expect([0.19, 0.2, 0.5, 0.8, 0.81].map(isUncertain)).toEqual([false, true, true, true, false]);
  });
});

interface LfwDistances {
  embedder: string;
  fold: number[];
  same: (0 | 1)[];
  distance: number[];
}

const distancesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lfw-distances');

describe.each(BUILTIN_EMBEDDERS.map((info) => [info.id, info] as const))('%s calibration on LFW', (id, info) => {
  const file = path.join(distancesDir, `${id}.json`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as LfwDistances;
  const pairs: ScoredPair[] = data.distance.map((distance, i) => ({ distance, same: data.same[i] === 1, fold: data.fold[i] }));
  const calibration = info.calibration!;

  it('is stored, and is the fit of these 6,000 distances', () => {
    expect(calibration).toBeDefined();
    expect(pairs).toHaveLength(6000);
    expect(new Set(data.fold).size).toBe(10);
    expect(data.same.filter((s) => s === 1)).toHaveLength(3000);
    const refit = FITTERS[calibration.fit.kind](pairs);
    if (refit.kind === 'logistic' && calibration.fit.kind === 'logistic') {
      expect(calibration.fit.intercept).toBeCloseTo(refit.intercept, 4);
      expect(calibration.fit.slope).toBeCloseTo(refit.slope, 4);
    } else {
      expect(calibration.fit).toEqual(refit);
    }
    expect(calibration.rates).toEqual(errorRateTable(pairs));
  });

  it('is monotone: a larger distance never means a likelier match', () => {
    const largest = Math.max(...data.distance);
    let previous = Infinity;
    for (let i = 0; i <= 2000; i++) {
      const p = sameProbability(calibration.fit, (i / 2000) * largest * 1.2);
      expect(p).toBeLessThanOrEqual(previous);
      previous = p;
    }
    expect(sameProbability(calibration.fit, 0)).toBeGreaterThan(0.95);
    expect(sameProbability(calibration.fit, largest)).toBeLessThan(0.05);
  });

  it('maps the default (best-accuracy) threshold to about 50%', () => {
    expect(sameProbability(calibration.fit, info.defaultThreshold)).toBeGreaterThan(0.35);
    expect(sameProbability(calibration.fit, info.defaultThreshold)).toBeLessThan(0.65);
  });

  it('is calibrated on held-out folds: ECE <= 0.02', () => {
    const score = scoreCalibration(heldOutPredictions(pairs, FITTERS[calibration.fit.kind]));
    expect(score.ece).toBeLessThanOrEqual(0.02);
    // far below the 0.25 of always saying 50%
    expect(score.brier).toBeLessThan(0.05);
  });

  it('has operating points that reproduce their stated rates on LFW', () => {
    const { strict, balanced, loose } = calibration.operatingPoints;
    expect(balanced).toBe(info.defaultThreshold);
    expect(strict).toBeLessThan(balanced);
    expect(loose).toBeGreaterThan(balanced);
    expect({ strict, loose }).toEqual(operatingThresholds(calibration.rates));
    // On all 6,000 pairs: strict admits at most 3 of 3,000 different-person pairs (and is the loosest that does:
    // one grid step more admits more), loose misses at most 30 of 3,000 same-person pairs.
    const atStrict = ratesOn(pairs, strict);
    expect(atStrict.falseMatchRate).toBeLessThanOrEqual(STRICT_FALSE_MATCH_RATE);
    const step = (t: number) => gridValue(Math.round(t / calibration.rates.step), calibration.rates.step);
    expect(ratesOn(pairs, step(strict + calibration.rates.step)).falseMatchRate).toBeGreaterThan(STRICT_FALSE_MATCH_RATE);
    const atLoose = ratesOn(pairs, loose);
    expect(atLoose.missRate).toBeLessThanOrEqual(LOOSE_MISS_RATE);
    expect(ratesOn(pairs, step(loose - calibration.rates.step)).missRate).toBeGreaterThan(LOOSE_MISS_RATE);
    // the app's table says the same rates at those points
    expect(errorRatesAt(calibration.rates, strict)).toEqual(atStrict);
    expect(errorRatesAt(calibration.rates, loose)).toEqual(atLoose);
    // chosen on 9 folds and measured on the 10th, they hold within a factor of two
    const heldOut = heldOutOperatingRates(pairs);
    expect(heldOut.strictFalseMatchRate).toBeLessThanOrEqual(2 * STRICT_FALSE_MATCH_RATE);
    expect(heldOut.looseMissRate).toBeLessThanOrEqual(2 * LOOSE_MISS_RATE);
  });
});
