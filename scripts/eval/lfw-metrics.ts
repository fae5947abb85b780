// Scoring for the LFW verification protocol (pure functions, unit-tested in test/embedders/lfw-metrics.test.ts).
import type { FaceDetection, Point } from '../../src/ml/types';

export interface ScoredPair {
  fold: number;
  same: boolean;
  distance: number;
}

/** The detected face whose box centre is nearest the image centre (LFW centres the named person). */
export function nearestToCentre(faces: readonly FaceDetection[], width: number, height: number): FaceDetection | undefined {
  const offset = ({ box: [x, y, w, h] }: FaceDetection) => Math.hypot(x + w / 2 - width / 2, y + h / 2 - height / 2);
  return faces.reduce<FaceDetection | undefined>((best, f) => (!best || offset(f) < offset(best) ? f : best), undefined);
}

/**
 * A fixed central box for photos where MTCNN finds nothing, with keypoints at their average box-relative places.
 * Box size and keypoints are the means of MTCNN's own LFW detections (eval-lfw --template-stats).
 */
export function fallbackDetection(width: number, height: number): FaceDetection {
  const w = 0.372 * width;
  const h = 0.497 * height;
  const x = 0.494 * width - w / 2;
  const y = 0.504 * height - h / 2;
  const at = (u: number, v: number): Point => [x + u * w, y + v * h];
  return {
    box: [x, y, w, h],
    confidence: 0,
    keypoints: { left_eye: at(0.29, 0.39), right_eye: at(0.743, 0.382), nose: at(0.521, 0.585), mouth_left: at(0.324, 0.76), mouth_right: at(0.726, 0.754) },
  };
}

/** Accuracy of "distance <= threshold means same" on the pairs. */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  return pairs.filter((p) => (p.distance <= threshold) === p.same).length / pairs.length;
}

/** The threshold with the best accuracy on `pairs`: a midpoint between consecutive distinct distances. */
export function bestThreshold(pairs: readonly ScoredPair[]): number {
  const sorted = [...pairs].sort((p, q) => p.distance - q.distance);
  // Start with "nothing matches" (all pairs rejected) and accept one more pair at each step.
  let correct = sorted.filter((p) => !p.same).length;
  let best = correct;
  let bestThreshold = sorted[0].distance - 1e-6;
  for (let i = 0; i < sorted.length; i++) {
    correct += sorted[i].same ? 1 : -1;
    const next = sorted[i + 1]?.distance;
    if (next === sorted[i].distance) continue;
    if (correct > best) {
      best = correct;
      bestThreshold = next === undefined ? sorted[i].distance + 1e-6 : (sorted[i].distance + next) / 2;
    }
  }
  return bestThreshold;
}

/** 10-fold protocol: for each fold, the threshold is chosen on the others and accuracy scored on it. */
export function lfwFoldScores(pairs: readonly ScoredPair[]) {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  const thresholds: number[] = [];
  const accuracies: number[] = [];
  for (const fold of folds) {
    const train = pairs.filter((p) => p.fold !== fold);
    const test = pairs.filter((p) => p.fold === fold);
    // A single fold has nothing to train on: its own best threshold is used (optimistic; said in the output).
    const threshold = bestThreshold(train.length ? train : test);
    thresholds.push(threshold);
    accuracies.push(accuracyAt(test, threshold));
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const accuracyMean = mean(accuracies);
  const accuracyStd = Math.sqrt(mean(accuracies.map((a) => (a - accuracyMean) ** 2)));
  return { folds, thresholds, accuracies, accuracyMean, accuracyStd, thresholdMean: mean(thresholds) };
}

/** ROC figures over all pairs: AUC (ties count half), EER, and TAR at a given FAR. */
export function rocSummary(pairs: readonly ScoredPair[]) {
  const positives = pairs.filter((p) => p.same).map((p) => p.distance).sort((a, b) => a - b);
  const negatives = pairs.filter((p) => !p.same).map((p) => p.distance).sort((a, b) => a - b);
  // count of values in a sorted array that are < x, and <= x
  const below = (xs: number[], x: number, inclusive: boolean) => {
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < x || (inclusive && xs[mid] === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let wins = 0;
  for (const d of positives) wins += negatives.length - below(negatives, d, true) + (below(negatives, d, true) - below(negatives, d, false)) / 2;
  const auc = wins / (positives.length * negatives.length);
  // Sweep the thresholds at every distance; EER where FAR and FRR cross (the mean of the two at the closest point).
  const all = [...new Set([...positives, ...negatives])].sort((a, b) => a - b);
  let eer = 1;
  let gap = Infinity;
  for (const t of all) {
    const far = below(negatives, t, true) / negatives.length;
    const frr = 1 - below(positives, t, true) / positives.length;
    if (Math.abs(far - frr) < gap) {
      gap = Math.abs(far - frr);
      eer = (far + frr) / 2;
    }
  }
  /** True accept rate at the loosest threshold whose false accept rate is <= far. */
  const tarAtFar = (far: number) => {
    const allowed = Math.floor(far * negatives.length);
    // Accept distances strictly below the (allowed+1)-th smallest negative.
    const limit = allowed < negatives.length ? negatives[allowed] : Infinity;
    return below(positives, limit, false) / positives.length;
  };
  return { auc, eer, tarAtFar };
}
