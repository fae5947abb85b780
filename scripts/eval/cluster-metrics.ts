// Clustering scores against the true identities: BCubed (per face, Bagga & Baldwin 1998) and pairwise
// precision/recall/F. An unsorted face (label null) counts as a cluster of its own.
export interface ClusterScores {
  bcubed_precision: number;
  bcubed_recall: number;
  bcubed_f: number;
  pairwise_precision: number;
  pairwise_recall: number;
  pairwise_f: number;
  /** predicted clusters, singletons and unsorted faces included */
  clusters: number;
  /** clusters of 2 or more faces (people the app would show) */
  people: number;
  unsorted: number;
}

const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const pairs = (n: number) => (n * (n - 1)) / 2;

export function scoreClustering(predicted: (string | null)[], truth: string[]): ClusterScores {
  if (predicted.length !== truth.length) throw new Error('scoreClustering: length mismatch');
  const n = truth.length;
  const labels = predicted.map((p, i) => p ?? `\u0000unsorted:${i}`);
  const clusterSize = new Map<string, number>();
  const truthSize = new Map<string, number>();
  const joint = new Map<string, number>();
  labels.forEach((c, i) => {
    clusterSize.set(c, (clusterSize.get(c) ?? 0) + 1);
    truthSize.set(truth[i], (truthSize.get(truth[i]) ?? 0) + 1);
    const key = `${c}\u0001${truth[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
  });
  let bp = 0;
  let br = 0;
  let truePairs = 0;
  for (const [key, count] of joint) {
    const [c, t] = key.split('\u0001');
    bp += (count * count) / clusterSize.get(c)!;
    br += (count * count) / truthSize.get(t)!;
    truePairs += pairs(count);
  }
  let predictedPairs = 0;
  for (const size of clusterSize.values()) predictedPairs += pairs(size);
  let actualPairs = 0;
  for (const size of truthSize.values()) actualPairs += pairs(size);
  const pp = predictedPairs ? truePairs / predictedPairs : 1;
  const pr = actualPairs ? truePairs / actualPairs : 1;
  return {
    bcubed_precision: bp / n,
    bcubed_recall: br / n,
    bcubed_f: f1(bp / n, br / n),
    pairwise_precision: pp,
    pairwise_recall: pr,
    pairwise_f: f1(pp, pr),
    clusters: clusterSize.size,
    people: [...clusterSize.values()].filter((s) => s >= 2).length,
    unsorted: predicted.filter((p) => p === null).length,
  };
}
