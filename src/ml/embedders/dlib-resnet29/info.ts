// What the UI knows about the dlib ResNet-29 embedder (plain data, no tfjs).
import type { EmbedderCalibration, EmbedderInfo } from '../../types';
import calibration from './calibration.json' with { type: 'json' };

export const DLIB_RESNET29_INFO: EmbedderInfo = {
  id: 'dlib-resnet29',
  label: 'dlib ResNet-29 (built-in, 6 MB, most accurate)',
  inputSize: 150,
  dim: 128,
  crop: 'aligned',
  metric: 'euclidean',
  // LFW 10-fold, MTCNN + 'aligned' + flip averaging: the mean of the 10 per-fold best thresholds (each chosen on the
  // other 9 folds) is 0.5953 (dlib's own is 0.6); accuracy 0.9910 ± 0.0037, AUC 0.9993, EER 0.0087.
  // Command: npm run eval:lfw -- --embedder dlib-resnet29 (its defaults: crop aligned, flip on).
  defaultThreshold: 0.595,
  // Distance -> P(same person), the LFW error-rate table and the Strict/Balanced/Loose thresholds, all written by
  // npm run eval:lfw -- --embedder dlib-resnet29 --write-calibration (README: "Calibration").
  calibration: calibration as EmbedderCalibration,
};
