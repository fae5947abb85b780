import { describe, expect, it } from 'vitest';
import { distanceMatrix, matchPairs, solveAssignment } from '../../src/ml/similarity';

const v = (...xs: number[]) => Float32Array.from(xs);

/** Brute force over all injective row->column maps (rows <= cols), for checking the assignment solver. */
function bruteForceMinCost(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0].length;
  let best = Infinity;
  const used = new Array<boolean>(cols).fill(false);
  const visit = (i: number, sum: number) => {
    if (i === rows) return void (best = Math.min(best, sum));
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = true;
      visit(i + 1, sum + cost[i][j]);
      used[j] = false;
    }
  };
  visit(0, 0);
  return best;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('distanceMatrix', () => {
  it('computes cosine distance as 1 - cos, independent of vector length', () => {
    const m = distanceMatrix([v(1, 0), v(3, 3)], [v(2, 0), v(0, 5), v(-1, 0)], 'cosine');
    expect(m).toHaveLength(2);
    expect(m[0][0]).toBeCloseTo(0, 6);
    expect(m[0][1]).toBeCloseTo(1, 6);
    expect(m[0][2]).toBeCloseTo(2, 6);
    expect(m[1][0]).toBeCloseTo(1 - Math.SQRT1_2, 6);
    expect(m[1][1]).toBeCloseTo(1 - Math.SQRT1_2, 6);
  });

  it('computes raw Euclidean distance', () => {
    const m = distanceMatrix([v(0, 0, 0), v(1, 2, 2)], [v(3, 4, 0)], 'euclidean');
    expect(m).toEqual([[5], [Math.sqrt(4 + 4 + 4)]]);
  });

  it('treats a zero vector as unrelated under cosine and rejects mismatched dimensions', () => {
    expect(distanceMatrix([v(0, 0)], [v(1, 0)], 'cosine')[0][0]).toBe(1);
    expect(() => distanceMatrix([v(1, 0)], [v(1, 0, 0)], 'euclidean')).toThrow(/dimension/);
  });

  it('handles empty sides', () => {
    expect(distanceMatrix([], [v(1)], 'cosine')).toEqual([]);
    expect(distanceMatrix([v(1)], [], 'cosine')).toEqual([[]]);
  });
});

describe('solveAssignment', () => {
  it('finds the minimum-cost assignment on square, wide and tall matrices', () => {
    const rand = random(7);
    for (const [rows, cols] of [
      [4, 4],
      [3, 6],
      [6, 3],
      [1, 5],
      [5, 1],
      [6, 6],
    ]) {
      for (let trial = 0; trial < 20; trial++) {
        const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rand() * 20) / 10));
        const assignment = solveAssignment(cost);
        expect(assignment).toHaveLength(rows);
        const assigned = assignment.filter((j) => j >= 0);
        expect(assigned).toHaveLength(Math.min(rows, cols));
        expect(new Set(assigned).size).toBe(assigned.length);
        const total = assignment.reduce((s, j, i) => s + (j >= 0 ? cost[i][j] : 0), 0);
        const optimum = rows <= cols ? bruteForceMinCost(cost) : bruteForceMinCost(cost[0].map((_, j) => cost.map((r) => r[j])));
        expect(total).toBeCloseTo(optimum, 9);
      }
    }
  });

  it('returns a valid assignment when every cost ties', () => {
    const assignment = solveAssignment([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    expect(new Set(assignment).size).toBe(2);
    expect(assignment.every((j) => j >= 0 && j < 3)).toBe(true);
  });
});

describe('matchPairs', () => {
  const matrix = [
    [0.1, 0.6, 0.9],
    [0.3, 5.0, 0.45],
  ];

  it("lists every pair under the threshold in 'all-under-threshold' mode, best first", () => {
    expect(matchPairs(matrix, 0.5, 'all-under-threshold')).toEqual([
      { a: 0, b: 0, distance: 0.1 },
      { a: 1, b: 0, distance: 0.3 },
      { a: 1, b: 2, distance: 0.45 },
    ]);
  });

  it("uses each face once in 'one-to-one' mode, by exact assignment", () => {
    expect(matchPairs(matrix, 0.5, 'one-to-one')).toEqual([
      { a: 0, b: 0, distance: 0.1 },
      { a: 1, b: 2, distance: 0.45 },
    ]);
  });

  it('keeps a good pair that a raw-distance assignment would give up to avoid a bad one', () => {
    // raw sums: 0.1 + 5.0 vs 0.6 + 0.3; the latter keeps only 0.3 after thresholding, the former 0.1.
    const m = [
      [0.1, 0.6],
      [0.3, 5.0],
    ];
    expect(matchPairs(m, 0.5, 'one-to-one')).toEqual([{ a: 0, b: 0, distance: 0.1 }]);
  });

  it('includes a pair at exactly the threshold and breaks distance ties by index', () => {
    expect(matchPairs([[0.5]], 0.5, 'one-to-one')).toEqual([{ a: 0, b: 0, distance: 0.5 }]);
    expect(
      matchPairs(
        [
          [0.2, 0.9],
          [0.9, 0.2],
        ],
        0.5,
        'all-under-threshold',
      ),
    ).toEqual([
      { a: 0, b: 0, distance: 0.2 },
      { a: 1, b: 1, distance: 0.2 },
    ]);
  });

  it('matches a tall matrix (more faces in A than in B) and an empty one', () => {
    const tall = [[0.9], [0.2], [0.3]];
    expect(matchPairs(tall, 0.5, 'one-to-one')).toEqual([{ a: 1, b: 0, distance: 0.2 }]);
    expect(matchPairs([], 0.5, 'one-to-one')).toEqual([]);
    expect(matchPairs([[], []], 0.5, 'one-to-one')).toEqual([]);
  });
});
