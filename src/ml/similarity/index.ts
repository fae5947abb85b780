// Distances between face embeddings and the pairing of faces across two photos.
// Pure TypeScript with no tfjs import: the UI re-thresholds and re-pairs instantly on the main thread.
import type { MatchMode, MatchPair, SimilarityMetric } from '../types';

export type DistanceMatrix = number[][];

function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** 1 - cos(a, b); a zero vector is at distance 1 from everything (cos taken as 0). */
export function cosineDistance(a: Float32Array, b: Float32Array, normA = norm(a), normB = norm(b)): number {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`);
  if (normA === 0 || normB === 0) return 1;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  return 1 - dot / (normA * normB);
}

/** Euclidean distance on the raw vectors (dlib's descriptors are compared unnormalised, threshold 0.6). */
export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`dimension mismatch: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

/** matrix[i][j] = distance between a[i] and b[j]. */
export function distanceMatrix(a: Float32Array[], b: Float32Array[], metric: SimilarityMetric): DistanceMatrix {
  if (metric === 'cosine') {
    const normsB = b.map(norm);
    return a.map((va) => {
      const na = norm(va);
      return b.map((vb, j) => cosineDistance(va, vb, na, normsB[j]));
    });
  }
  return a.map((va) => b.map((vb) => euclideanDistance(va, vb)));
}

function byDistance(p: MatchPair, q: MatchPair): number {
  return p.distance - q.distance || p.a - q.a || p.b - q.b;
}

/**
 * Minimum-cost assignment on a rectangular cost matrix (Kuhn-Munkres with potentials, O(n^2 m) for n <= m).
 * Returns, for each row, its column, or -1 when there are more rows than columns and the row is left out.
 */
export function solveAssignment(cost: DistanceMatrix): number[] {
  const rows = cost.length;
  const cols = rows ? cost[0].length : 0;
  if (rows === 0 || cols === 0) return new Array<number>(rows).fill(-1);
  if (rows > cols) {
    const transposed = Array.from({ length: cols }, (_, j) => cost.map((row) => row[j]));
    const colToRow = solveAssignment(transposed);
    const rowToCol = new Array<number>(rows).fill(-1);
    colToRow.forEach((r, j) => (rowToCol[r] = j));
    return rowToCol;
  }
  // 1-based arrays: u/v are row/column potentials, owner[j] the row holding column j (0 = free).
  const u = new Float64Array(rows + 1);
  const v = new Float64Array(cols + 1);
  const owner = new Int32Array(cols + 1);
  const way = new Int32Array(cols + 1);
  for (let i = 1; i <= rows; i++) {
    owner[0] = i;
    let j0 = 0;
    const minv = new Float64Array(cols + 1).fill(Infinity);
    const used = new Uint8Array(cols + 1);
    do {
      used[j0] = 1;
      const i0 = owner[j0];
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= cols; j++) {
        if (used[j]) continue;
        const reduced = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= cols; j++) {
        if (used[j]) {
          u[owner[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (owner[j0] !== 0);
    do {
      const j1 = way[j0];
      owner[j0] = owner[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Array<number>(rows).fill(-1);
  for (let j = 1; j <= cols; j++) if (owner[j] > 0) rowToCol[owner[j] - 1] = j;
  return rowToCol.map((j) => (j > 0 ? j - 1 : -1));
}

/**
 * Pairs of faces whose distance is <= threshold, best first.
 * 'all-under-threshold': every such pair (a face may appear in several).
 * 'one-to-one': each face at most once, by an exact assignment. Costs above the threshold are clamped to it,
 * so pairs that cannot match do not steer the assignment (a plain Hungarian on raw distances could give up a
 * good pair to avoid one very bad one that is dropped afterwards anyway).
 */
export function matchPairs(matrix: DistanceMatrix, threshold: number, mode: MatchMode): MatchPair[] {
  const pairs: MatchPair[] = [];
  if (mode === 'all-under-threshold') {
    matrix.forEach((row, a) => row.forEach((distance, b) => distance <= threshold && pairs.push({ a, b, distance })));
  } else {
    // Just above the threshold, so that a pair at exactly the threshold still beats leaving both faces unmatched.
    const noMatch = threshold + 1e-9 * Math.max(1, Math.abs(threshold));
    const clamped = matrix.map((row) => row.map((d) => (d <= threshold ? d : noMatch)));
    solveAssignment(clamped).forEach((b, a) => {
      if (b >= 0 && matrix[a][b] <= threshold) pairs.push({ a, b, distance: matrix[a][b] });
    });
  }
  return pairs.sort(byDistance);
}

export { sameProbability, isUncertain, errorRatesAt, formatProbability, formatRate, UNCERTAIN_LOW, UNCERTAIN_HIGH, type ErrorRates } from './calibration';
