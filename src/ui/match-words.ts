// How a pair is said, in one place for the match list, the matrix and the export: the distance first (the pattern
// "A1 matches B2, distance 0.563" stays as it was), then the calibrated probability and, between 20% and 80%, "uncertain".
import { formatProbability, isUncertain, sameProbability } from '../ml/similarity';
import type { DistanceCalibration, MatchPair } from '../ml/types';

export interface PairCertainty {
  probability: number;
  /** "71%", ">99%", "<1%" */
  said: string;
  uncertain: boolean;
}

/** null when the embedder is not calibrated. */
export function pairCertainty(fit: DistanceCalibration | undefined, distance: number): PairCertainty | null {
  if (!fit) return null;
  const probability = sameProbability(fit, distance);
  return { probability, said: formatProbability(probability), uncertain: isUncertain(probability) };
}

/** The match's accessible name: "A1 matches B2, distance 0.563, 71% same person, uncertain". */
export function matchLabel(pair: MatchPair, fit: DistanceCalibration | undefined): string {
  const sure = pairCertainty(fit, pair.distance);
  const said = sure ? `, ${sure.said} same person${sure.uncertain ? ', uncertain' : ''}` : '';
  return `A${pair.a + 1} matches B${pair.b + 1}, distance ${pair.distance.toFixed(3)}${said}`;
}

/** The export's line for a pair: "A1 <-> B2: distance 0.338, 97% same person". */
export function pairLine(pair: MatchPair, fit: DistanceCalibration | undefined): string {
  const sure = pairCertainty(fit, pair.distance);
  const said = sure ? `, ${sure.said} same person${sure.uncertain ? ' (uncertain)' : ''}` : '';
  return `A${pair.a + 1} <-> B${pair.b + 1}: distance ${pair.distance.toFixed(3)}${said}`;
}
