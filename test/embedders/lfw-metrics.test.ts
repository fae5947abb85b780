import { describe, expect, it } from 'vitest';
import { accuracyAt, bestThreshold, fallbackDetection, lfwFoldScores, nearestToCentre, rocSummary, type ScoredPair } from '../../scripts/eval/lfw-metrics';
import type { FaceDetection } from '../../src/ml/types';

const pair = (fold: number, same: boolean, distance: number): ScoredPair => ({ fold, same, distance });

describe('LFW scoring', () => {
  it('picks the threshold between the classes when they separate', () => {
    const pairs = [pair(1, true, 0.1), pair(1, true, 0.2), pair(1, false, 0.5), pair(1, false, 0.7)];
    expect(bestThreshold(pairs)).toBeCloseTo(0.35, 9);
    expect(accuracyAt(pairs, 0.35)).toBe(1);
  });

  it('maximises accuracy when the classes overlap, and handles tied distances', () => {
    const pairs = [pair(1, true, 0.1), pair(1, false, 0.3), pair(1, true, 0.3), pair(1, true, 0.4), pair(1, false, 0.9)];
    const t = bestThreshold(pairs);
    expect(accuracyAt(pairs, t)).toBe(0.8);
    expect(t).toBeCloseTo(0.65, 9);
  });

  it('scores each fold with the threshold learnt on the other folds', () => {
    const pairs = [
      ...[pair(1, true, 0.2), pair(1, false, 0.65)],
      ...[pair(2, true, 0.3), pair(2, false, 0.7)],
      // fold 3 is shifted: the threshold from folds 1-2 (0.475) misclassifies its same pair
      ...[pair(3, true, 0.5), pair(3, false, 0.9)],
    ];
    const r = lfwFoldScores(pairs);
    expect(r.folds).toEqual([1, 2, 3]);
    expect(r.thresholds[2]).toBeCloseTo(0.475, 9);
    expect(r.accuracies).toEqual([1, 1, 0.5]);
    expect(r.accuracyMean).toBeCloseTo(2.5 / 3, 9);
    expect(r.accuracyStd).toBeCloseTo(Math.sqrt(((1 / 6) ** 2 * 2 + (1 / 3) ** 2) / 3), 9);
  });

  it('computes AUC with ties as half, EER and TAR at a FAR', () => {
    const perfect = [pair(1, true, 0.1), pair(1, true, 0.2), pair(1, false, 0.3), pair(1, false, 0.4)];
    expect(rocSummary(perfect).auc).toBe(1);
    expect(rocSummary(perfect).eer).toBe(0);
    const tied = [pair(1, true, 0.5), pair(1, false, 0.5)];
    expect(rocSummary(tied).auc).toBe(0.5);
    // 4 positives, 4 negatives; one negative (0.15) beats two positives
    const mixed = [pair(1, true, 0.1), pair(1, true, 0.2), pair(1, true, 0.25), pair(1, true, 0.3), pair(1, false, 0.15), pair(1, false, 0.5), pair(1, false, 0.6), pair(1, false, 0.7)];
    const r = rocSummary(mixed);
    expect(r.auc).toBeCloseTo(13 / 16, 9);
    // FAR 0: accept only distances below the smallest negative (0.15): 1 of 4 positives
    expect(r.tarAtFar(0)).toBe(0.25);
    // FAR 0.25: one negative may pass, accept below 0.5: all 4 positives
    expect(r.tarAtFar(0.25)).toBe(1);
    expect(r.eer).toBeCloseTo(0.25, 9);
  });

  it('takes the face nearest the image centre, and falls back to a central box', () => {
    const face = (x: number, y: number): FaceDetection => ({ box: [x, y, 50, 50], confidence: 1, keypoints: { left_eye: [0, 0], right_eye: [0, 0], nose: [0, 0], mouth_left: [0, 0], mouth_right: [0, 0] } });
    expect(nearestToCentre([face(0, 0), face(100, 90), face(180, 180)], 250, 250)?.box).toEqual([100, 90, 50, 50]);
    expect(nearestToCentre([], 250, 250)).toBeUndefined();
    const fallback = fallbackDetection(250, 250);
    const [x, y, w, h] = fallback.box;
    expect(x + w / 2).toBeCloseTo(123.5, 9);
    expect(y + h / 2).toBeCloseTo(126, 9);
    expect(fallback.keypoints.left_eye[0]).toBeLessThan(fallback.keypoints.right_eye[0]);
  });
});
