// Colours that tie a matched pair together across both photos, the strip, the matrix and the list.
// Saturated hues that read on light and dark photos; unmatched faces stay neutral.
import type { MatchPair } from '../ml/types';

export const PAIR_COLORS = ['#f59e0b', '#22c55e', '#3b82f6', '#ec4899', '#a855f7', '#14b8a6', '#ef4444', '#84cc16'];
export const UNMATCHED_COLOR = '#e2e8f0';
export const HIGHLIGHT_COLOR = '#facc15';

export interface FaceColors {
  A: string[];
  B: string[];
}

/** Each face takes the colour of the best pair it belongs to (pairs come best first). */
export function faceColors(pairs: MatchPair[], countA: number, countB: number): FaceColors {
  const A = new Array<string>(countA).fill(UNMATCHED_COLOR);
  const B = new Array<string>(countB).fill(UNMATCHED_COLOR);
  const seenA = new Set<number>();
  const seenB = new Set<number>();
  pairs.forEach((pair, rank) => {
    const color = PAIR_COLORS[rank % PAIR_COLORS.length];
    if (!seenA.has(pair.a)) A[pair.a] = color;
    if (!seenB.has(pair.b)) B[pair.b] = color;
    seenA.add(pair.a);
    seenB.add(pair.b);
  });
  return { A, B };
}
