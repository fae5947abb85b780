// What the UI knows about the VGGFace2 MobileNet embedder (plain data, no tfjs).
import type { EmbedderCalibration, EmbedderInfo } from '../../types';
import calibration from './calibration.json' with { type: 'json' };

export const VGGFACE2_MOBILENET_INFO: EmbedderInfo = {
  id: 'vggface2-mobilenet',
  label: 'VGGFace2 MobileNet (built-in, 7 MB)',
  inputSize: 224,
  dim: 1024,
  crop: 'vggface2',
  metric: 'cosine',
  // LFW 10-fold, MTCNN + 'vggface2' crop, FDDB mean subtracted (its defaults): the mean of the 10 per-fold best
  // thresholds (each chosen on the other 9 folds) is 0.7262; accuracy 0.9742 ± 0.0065, AUC 0.9969, EER 0.0253.
  // Command: npm run eval:lfw -- --embedder vggface2-mobilenet. Stored on the UI slider's 0.005 grid.
  defaultThreshold: 0.725,
  // Distance -> P(same person), the LFW error-rate table and the Strict/Balanced/Loose thresholds, all written by
  // npm run eval:lfw -- --embedder vggface2-mobilenet --write-calibration (README: "Calibration").
  calibration: calibration as EmbedderCalibration,
};
