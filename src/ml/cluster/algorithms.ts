// The three grouping algorithms compared by npm run eval:cluster, on a k-NN graph of local node indices.
// Pure TS (no tfjs): the graph comes from FaceIndex.nearestMany.
import type { SimilarityMetric } from '../types';
import { dot } from './face-index';

/** Undirected candidate edges: for node i, its neighbours (node index, distance), nearest first, self excluded. */
export type NeighbourGraph = { node: number; distance: number }[][];

export interface HacInput {
  metric: SimilarityMetric;
  /** per node (unit length for cosine) */
  vectors: Float32Array[];
  /** per node; groups holding a common photo never merge */
  photos: string[];
  graph: NeighbourGraph;
  mergeDistance: number;
  /** weight of the groups' own spread in the linkage: 1 = average linkage, 0 = centroid linkage (see groupLinkage) */
  spreadWeight?: number;
  /**
   * added to the linkage: sizePenalty x sqrt(1/size_a + 1/size_b), so the bar is tighter for small groups (whose
   * means are noisy) and loosens as both grow (the spread of a difference of two means, as in a two-sample test)
   */
  sizePenalty?: number;
  /** pairs where either group is smaller than this are not merged (default 1) */
  minGroupSize?: number;
  /** only pairs whose smaller group has at most this many faces are merged (default: any) */
  maxSmallerSize?: number;
  /** only pairs whose larger group has at least this many faces are merged (default 1) */
  minLargerSize?: number;
  /**
   * a single face whose nearest group (by linkage, among groups allowed to take it) is not clearly nearer than the
   * next, best > attachMargin x second, stays where it is (an ambiguous face; default: no check)
   */
  attachMargin?: number;
  /**
   * pairs whose average linkage (spread weight 1) is past this are not merged, whatever `spreadWeight` the
   * linkage itself uses (a centroid-linkage stage then cannot join groups whose members are far apart on average)
   */
  maxAverageLinkage?: number;
  /**
   * in a stage that takes single faces only (maxSmallerSize 1), only faces marked here may join a group (groupNewFaces
   * marks the batch's faces: an older unsorted face came in with its own neighbours then, and was judged against all
   * the groups near it; here it would see only the few that the batch brings in, so the ambiguity check would let it
   * through)
   */
  attachable?: Uint8Array;
  /**
   * a pair is merged only when the centroid linkage between them is within envelopeRatio x the larger group's radius
   * (the root mean squared distance of its faces to its mean; for cosine, half the mean squared distance): a face
   * or a piece joins a big person only inside that person's own spread
   */
  envelopeRatio?: number;
  /** optional starting groups: node -> seed number (-1: alone); seeds with a person tag never merge with each other */
  seedOf?: Int32Array;
  seedPerson?: (string | null)[];
  /** node -> people it must never be grouped with */
  rejects?: (Set<string> | undefined)[];
}

// A pair this far past mergeDistance is dropped from the candidates (a linkage of grown groups rarely falls that much).
const FORGET = 1.25;

interface Group {
  size: number;
  sum: Float64Array;
  sumSq: number;
  sumNorm: number;
  /** its photos that hold other faces of this run (only those can clash) */
  photos: Set<string>;
  person: string | null;
  rejects: Set<string>;
  /** groups it has k-NN edges to; may hold merged-away ids (resolved through `forward`) and repeats */
  neighbours: number[];
  version: number;
  alive: boolean;
}

/**
 * Agglomerative clustering, candidates restricted to the k-NN graph, linkage from running sums (groupLinkage:
 * average linkage, centroid linkage or between), so a group of 500 costs no more than a pair. Returns node -> group.
 */
export function averageLinkage(input: HacInput): Int32Array {
  const { metric, vectors, photos, graph, mergeDistance } = input;
  const n = vectors.length;
  const dim = n ? vectors[0].length : 0;
  const groupOf = new Int32Array(n);
  const groups: Group[] = [];
  const facesOnPhoto = new Map<string, number>();
  for (const p of photos) facesOnPhoto.set(p, (facesOnPhoto.get(p) ?? 0) + 1);
  const seedGroup = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const seed = input.seedOf ? input.seedOf[i] : -1;
    let g = seed >= 0 ? seedGroup.get(seed) : undefined;
    if (g === undefined) {
      g = groups.length;
      groups.push({ size: 0, sum: new Float64Array(dim), sumSq: 0, sumNorm: 0, photos: new Set(), person: seed >= 0 ? (input.seedPerson?.[seed] ?? null) : null, rejects: new Set(), neighbours: [], version: 0, alive: true });
      if (seed >= 0) seedGroup.set(seed, g);
    }
    const group = groups[g];
    const v = vectors[i];
    group.size++;
    for (let d = 0; d < dim; d++) group.sum[d] += v[d];
    group.sumSq += dot(v, v);
    if (facesOnPhoto.get(photos[i])! > 1) group.photos.add(photos[i]);
    for (const person of input.rejects?.[i] ?? []) group.rejects.add(person);
    groupOf[i] = g;
  }
  for (const g of groups) g.sumNorm = dot(g.sum, g.sum);
  for (let i = 0; i < n; i++) {
    for (const { node } of graph[i]) {
      const a = groupOf[i];
      const b = groupOf[node];
      if (a === b) continue;
      groups[a].neighbours.push(b);
      groups[b].neighbours.push(a);
    }
  }
  const spread = input.spreadWeight ?? 1;
  const penalty = input.sizePenalty ?? 0;
  const plain = penalty ? (a: Group, b: Group) => groupLinkage(metric, spread, a, b) + penalty * Math.sqrt(1 / a.size + 1 / b.size) : (a: Group, b: Group) => groupLinkage(metric, spread, a, b);
  const maxAverage = input.maxAverageLinkage;
  const capped = maxAverage === undefined || spread === 1 ? plain : (a: Group, b: Group) => (groupLinkage(metric, 1, a, b) > maxAverage ? Infinity : plain(a, b));
  const envelope = input.envelopeRatio;
  const radius = (g: Group) => {
    const spreadSq = Math.max(0, g.sumSq / g.size - g.sumNorm / (g.size * g.size));
    return metric === 'cosine' ? spreadSq / 2 : Math.sqrt(spreadSq);
  };
  const linkage = envelope === undefined ? capped : (a: Group, b: Group) => (groupLinkage(metric, 0, a, b) > envelope * radius(a.size >= b.size ? a : b) ? Infinity : capped(a, b));
  const heap = new PairHeap();
  const minGroupSize = input.minGroupSize ?? 1;
  const maxSmaller = input.maxSmallerSize ?? Infinity;
  const minLarger = input.minLargerSize ?? 1;
  const allowed = (a: Group, b: Group) => {
    const [small, large] = a.size <= b.size ? [a.size, b.size] : [b.size, a.size];
    return small >= minGroupSize && small <= maxSmaller && large >= minLarger;
  };
  // Ambiguous single faces (attachMargin): judged once, on the groups as they start.
  const blocked = new Uint8Array(groups.length);
  if (input.attachable && maxSmaller === 1) {
    for (let i = 0; i < n; i++) if (!input.attachable[i] && groups[groupOf[i]].size === 1) blocked[groupOf[i]] = 1;
  }
  if (input.attachMargin !== undefined) {
    for (let g = 0; g < groups.length; g++) {
      if (groups[g].size !== 1) continue;
      let best = Infinity;
      let second = Infinity;
      for (const m of new Set(groups[g].neighbours)) {
        if (m === g || !allowed(groups[g], groups[m]) || !compatible(groups[g], groups[m])) continue;
        const d = linkage(groups[g], groups[m]);
        if (d < best) [best, second] = [d, best];
        else if (d < second) second = d;
      }
      if (second < Infinity && best > input.attachMargin * second) blocked[g] = 1;
    }
  }
  const push = (a: number, b: number) => {
    if (blocked[a] || blocked[b] || !allowed(groups[a], groups[b])) return;
    const d = linkage(groups[a], groups[b]);
    if (d <= mergeDistance) heap.push(d, a, b, groups[a].version, groups[b].version);
  };
  // Between two single faces the linkage is their distance: no need to score those pairs again.
  for (let i = 0; i < n; i++) {
    for (const { node, distance } of graph[i]) {
      const a = groupOf[i];
      const b = groupOf[node];
      const pair = groups[a].size === 1 && groups[b].size === 1 && !penalty && minLarger <= 1 && maxAverage === undefined && envelope === undefined;
      if (a === b || (pair && (distance > mergeDistance || node < i))) continue;
      if (pair) {
        if (minGroupSize <= 1) heap.push(distance, a, b, 0, 0);
      }
      else push(a, b);
    }
  }
  const forward = Int32Array.from(groups, (_, g) => g);
  const find = (g: number): number => {
    while (!groups[g].alive) g = forward[g];
    return g;
  };
  // Size at which each group last re-scored all its neighbours: a group re-scores them when it has doubled, and
  // in between a popped pair that is out of date is re-scored on its own (so a group of 500 absorbing single faces
  // does not re-score hundreds of neighbours each time).
  const refreshedAt = groups.map((g) => g.size);
  const seen = new Int32Array(groups.length);
  let stamp = 0;
  while (heap.size) {
    heap.pop();
    const a = find(heap.a);
    const b = find(heap.b);
    if (a === b) continue;
    const A = groups[a];
    const B = groups[b];
    if (a !== heap.a || b !== heap.b || A.version !== heap.va || B.version !== heap.vb) {
      if (compatible(A, B)) push(a, b);
      continue;
    }
    if (!compatible(A, B)) continue;
    // Keep the larger group's sets, fold the smaller in.
    const [keep, gone] = A.size >= B.size ? [a, b] : [b, a];
    const K = groups[keep];
    const G = groups[gone];
    K.size += G.size;
    K.sumNorm += G.sumNorm + 2 * dot(K.sum, G.sum);
    for (let d = 0; d < dim; d++) K.sum[d] += G.sum[d];
    K.sumSq += G.sumSq;
    G.photos.forEach((p) => K.photos.add(p));
    G.rejects.forEach((p) => K.rejects.add(p));
    K.person ??= G.person;
    for (const m of G.neighbours) K.neighbours.push(m);
    G.alive = false;
    G.neighbours = [];
    forward[gone] = keep;
    K.version++;
    if (K.size < 2 * refreshedAt[keep] && G.size * 4 < K.size) continue;
    refreshedAt[keep] = K.size;
    stamp++;
    seen[keep] = stamp;
    const kept: number[] = [];
    for (const raw of K.neighbours) {
      const m = find(raw);
      if (seen[m] === stamp) continue;
      seen[m] = stamp;
      const M = groups[m];
      const d = compatible(K, M) ? linkage(K, M) : Infinity;
      if (d <= mergeDistance && !blocked[m] && allowed(K, M)) heap.push(d, keep, m, K.version, M.version);
      // Far past the threshold (or never allowed): forget the pair, so big groups keep short neighbour lists.
      if (d <= FORGET * mergeDistance) kept.push(m);
    }
    K.neighbours = kept;
  }
  return groupOf.map(find);
}

export interface GroupSums {
  size: number;
  sum: Float64Array;
  sumSq: number;
  /** |sum|^2, when known */
  sumNorm?: number;
}

/**
 * Linkage between two groups from their running sums, exact in O(dim). The mean squared distance between their
 * members is |mean_a - mean_b|^2 + spread_a + spread_b (spread: mean squared distance to the group's mean); the
 * linkage counts the spreads with `spreadWeight` (1: average linkage on squared distances, 0: centroid linkage),
 * then returns a distance in the metric's units (euclidean: its root; cosine on unit vectors: half of it).
 */
export function groupLinkage(metric: SimilarityMetric, spreadWeight: number, a: GroupSums, b: GroupSums): number {
  const cross = dot(a.sum, b.sum) / (a.size * b.size);
  // Centroid linkage for cosine: the cosine distance between the group means (means of unit vectors get
  // shorter as a group spreads, so their plain difference would understate the distance).
  if (metric === 'cosine' && spreadWeight === 0) {
    const norms = Math.sqrt((a.sumNorm ?? dot(a.sum, a.sum)) * (b.sumNorm ?? dot(b.sum, b.sum)));
    return norms > 0 ? 1 - dot(a.sum, b.sum) / norms : 1;
  }
  let squared = a.sumSq / a.size + b.sumSq / b.size - 2 * cross;
  if (spreadWeight !== 1) {
    const spreadA = a.sumSq / a.size - (a.sumNorm ?? dot(a.sum, a.sum)) / (a.size * a.size);
    const spreadB = b.sumSq / b.size - (b.sumNorm ?? dot(b.sum, b.sum)) / (b.size * b.size);
    squared -= (1 - spreadWeight) * (spreadA + spreadB);
  }
  squared = Math.max(0, squared);
  return metric === 'cosine' ? squared / 2 : Math.sqrt(squared);
}

/** One later stage of stagedLinkage: which groups may join, and up to what linkage. */
export interface LinkageStage {
  mergeDistance: number;
  /** default 0: centroid linkage */
  spreadWeight?: number;
  minGroupSize?: number;
  maxSmallerSize?: number;
  minLargerSize?: number;
  sizePenalty?: number;
  attachMargin?: number;
  maxAverageLinkage?: number;
  envelopeRatio?: number;
}

/**
 * `input` as given (average linkage, precise), then each stage in turn over the groups the one before left (they
 * become its seeds; a group keeps the person of the seed it grew from, so edits hold through every stage).
 */
export function stagedLinkage(input: HacInput, stages: LinkageStage[]): Int32Array {
  let groups = averageLinkage(input);
  for (const stage of stages) {
    const seedPerson: (string | null)[] = Array.from({ length: groups.length }, () => null);
    groups.forEach((g, node) => {
      const seed = input.seedOf ? input.seedOf[node] : -1;
      if (seed >= 0 && input.seedPerson?.[seed]) seedPerson[g] = input.seedPerson[seed];
    });
    groups = averageLinkage({
      ...input,
      seedOf: groups,
      seedPerson,
      mergeDistance: stage.mergeDistance,
      spreadWeight: stage.spreadWeight ?? 0,
      minGroupSize: stage.minGroupSize,
      maxSmallerSize: stage.maxSmallerSize,
      minLargerSize: stage.minLargerSize,
      sizePenalty: stage.sizePenalty,
      attachMargin: stage.attachMargin,
      maxAverageLinkage: stage.maxAverageLinkage,
      envelopeRatio: stage.envelopeRatio,
    });
  }
  return groups;
}

/**
 * Two stages: `input` as given (average linkage, precise), then groups of at least `minGroupSize` faces whose
 * means are within `mergeDistance` join (centroid linkage: a big group's mean is a good estimate of the person,
 * where average linkage counts its spread against it and leaves a big person split).
 */
export function twoStageLinkage(input: HacInput, second: { mergeDistance: number; minGroupSize: number; spreadWeight?: number; sizePenalty?: number }): Int32Array {
  return stagedLinkage(input, [second]);
}

function compatible(a: Group, b: Group): boolean {
  if (a.person === null && b.person === null && a.rejects.size === 0 && b.rejects.size === 0 && (a.photos.size === 0 || b.photos.size === 0)) return true;
  if (a.person !== null && b.person !== null && a.person !== b.person) return false;
  if (a.person !== null && b.rejects.has(a.person)) return false;
  if (b.person !== null && a.rejects.has(b.person)) return false;
  const [small, large] = a.photos.size <= b.photos.size ? [a.photos, b.photos] : [b.photos, a.photos];
  for (const p of small) if (large.has(p)) return false;
  return true;
}

/** Binary min-heap of candidate merges, in typed arrays (hundreds of thousands of entries, no object per entry). */
class PairHeap {
  private d = new Float64Array(1024);
  private ab = new Int32Array(4096); // a, b, version of a, version of b
  size = 0;
  /** the last popped entry */
  a = 0;
  b = 0;
  va = 0;
  vb = 0;
  push(d: number, a: number, b: number, va: number, vb: number) {
    if (this.size === this.d.length) {
      const dd = new Float64Array(this.d.length * 2);
      dd.set(this.d);
      this.d = dd;
      const ab = new Int32Array(this.ab.length * 2);
      ab.set(this.ab);
      this.ab = ab;
    }
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.d[p] <= d) break;
      this.move(p, i);
      i = p;
    }
    this.put(i, d, a, b, va, vb);
  }
  /** Removes the nearest entry into a, b, va, vb. */
  pop(): void {
    const ab = this.ab;
    this.a = ab[0];
    this.b = ab[1];
    this.va = ab[2];
    this.vb = ab[3];
    const last = --this.size;
    if (last > 0) {
      const d = this.d[last];
      const at = last * 4;
      const [a, b, va, vb] = [ab[at], ab[at + 1], ab[at + 2], ab[at + 3]];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= last) break;
        const r = l + 1;
        const m = r < last && this.d[r] < this.d[l] ? r : l;
        if (this.d[m] >= d) break;
        this.move(m, i);
        i = m;
      }
      this.put(i, d, a, b, va, vb);
    }
  }
  private put(i: number, d: number, a: number, b: number, va: number, vb: number) {
    this.d[i] = d;
    const at = i * 4;
    this.ab[at] = a;
    this.ab[at + 1] = b;
    this.ab[at + 2] = va;
    this.ab[at + 3] = vb;
  }
  private move(from: number, to: number) {
    this.d[to] = this.d[from];
    const f = from * 4;
    const t = to * 4;
    this.ab[t] = this.ab[f];
    this.ab[t + 1] = this.ab[f + 1];
    this.ab[t + 2] = this.ab[f + 2];
    this.ab[t + 3] = this.ab[f + 3];
  }
}

/** Chinese Whispers (Biemann 2006, as dlib runs it): unweighted edges of length <= mergeDistance, labels spread in a seeded random order. */
export function chineseWhispers(graph: NeighbourGraph, mergeDistance: number, iterations = 30, seed = 1): Int32Array {
  const n = graph.length;
  const adjacency = symmetric(graph, mergeDistance);
  const label = Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0 || 1;
  const random = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const votes = new Map<number, number>();
  for (let it = 0; it < iterations; it++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let changed = 0;
    for (const i of order) {
      if (!adjacency[i].length) continue;
      votes.clear();
      for (const j of adjacency[i]) votes.set(label[j], (votes.get(label[j]) ?? 0) + 1);
      let best = label[i];
      let bestVotes = -1;
      for (const [l, v] of votes) if (v > bestVotes || (v === bestVotes && l < best)) [best, bestVotes] = [l, v];
      if (best !== label[i]) {
        label[i] = best;
        changed++;
      }
    }
    if (!changed) break;
  }
  return label;
}

/**
 * Shared-nearest-neighbour components (Jarvis-Patrick): an edge of length <= mergeDistance is kept when the two
 * faces' neighbour lists (self included) overlap by at least `shared` of the shorter list; groups are the
 * connected components of the kept edges.
 */
export function sharedNeighbourComponents(graph: NeighbourGraph, mergeDistance: number, shared: number, neighbourDistance = Infinity): Int32Array {
  const n = graph.length;
  const lists = graph.map((edges, i) => new Set([i, ...edges.filter((e) => e.distance <= neighbourDistance).map((e) => e.node)]));
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (let i = 0; i < n; i++) {
    for (const { node: j, distance } of graph[i]) {
      if (distance > mergeDistance || j < i) continue;
      const [a, b] = lists[i].size <= lists[j].size ? [lists[i], lists[j]] : [lists[j], lists[i]];
      let common = 0;
      for (const x of a) if (b.has(x)) common++;
      if (common / a.size >= shared) parent[find(i)] = find(j);
    }
  }
  return Int32Array.from({ length: n }, (_, i) => find(i));
}

function symmetric(graph: NeighbourGraph, maxDistance: number): number[][] {
  const sets = graph.map(() => new Set<number>());
  graph.forEach((edges, i) => {
    for (const { node, distance } of edges) {
      if (distance > maxDistance || node === i) continue;
      sets[i].add(node);
      sets[node].add(i);
    }
  });
  return sets.map((s) => [...s]);
}
