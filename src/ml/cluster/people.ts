// Faces -> people for the Library: incremental grouping of new faces, the full re-run, and merge suggestions,
// all keeping the person's edits. Agglomerative clustering over the k-NN graph (as eval:cluster chose).
import { groupLinkage, stagedLinkage, type LinkageStage, type NeighbourGraph } from './algorithms';
import { dot, type FaceIndex, type FaceVector } from './face-index';
import type { ClusterParams } from './params';
import * as tf from '@tensorflow/tfjs-core';

export interface PeopleEdits {
  /** faces a person placed by hand: faceId -> personId; never moved automatically */
  pinned: Map<string, string>;
  /** "Not this person": faceId -> personIds it must never be put in again */
  rejected: Map<string, Set<string>>;
  /** people a person touched (named, merged, hidden): never dissolved, merged or renamed automatically */
  protectedPeople: Set<string>;
}

/** current grouping: faceId -> personId (absent = unsorted) */
export type Grouping = Map<string, string>;

export const NO_EDITS: PeopleEdits = { pinned: new Map(), rejected: new Map(), protectedPeople: new Set() };

/** The k-NN graph over `faceIds` (all in `index`), as local node indices; neighbours outside the set are left out. */
export function knnGraph(index: FaceIndex, faceIds: string[], k: number, maxDistance: number): NeighbourGraph {
  const nodeOf = new Map(faceIds.map((id, i) => [id, i]));
  if (faceIds.length === index.size) {
    // All faces: the all-pairs graph (each pair scored once), renumbered from the index's order to faceIds'.
    const whole = index.neighbourGraph(k, maxDistance);
    const local = Int32Array.from(whole.faceIds, (id) => nodeOf.get(id)!);
    const graph: NeighbourGraph = new Array(faceIds.length);
    whole.neighbours.forEach((list, i) => {
      for (const edge of list) edge.node = local[edge.node];
      graph[local[i]] = list;
    });
    return graph;
  }
  const found = index.nearestMany(faceIds.map((id) => index.vectorOf(id)!), k + 1, maxDistance);
  return found.map((list, i) =>
    list.flatMap((n) => {
      const node = nodeOf.get(n.faceId);
      return node === undefined || node === i ? [] : [{ node, distance: n.distance }];
    }).slice(0, k),
  );
}

function membersByPerson(grouping: Grouping, index: FaceIndex): Map<string, string[]> {
  const members = new Map<string, string[]>();
  for (const [faceId, person] of grouping) {
    if (!index.has(faceId)) continue;
    const list = members.get(person);
    if (list) list.push(faceId);
    else members.set(person, [faceId]);
  }
  return members;
}

/** The stages after average linkage that `params` asks for (see ClusterParams). */
export function stagesOf(params: ClusterParams): LinkageStage[] {
  const stages: LinkageStage[] = [];
  if (params.secondStage) stages.push({ mergeDistance: params.secondStage.mergeDistance, minGroupSize: params.secondStage.minGroupSize, maxAverageLinkage: params.secondStage.maxAverageLinkage });
  if (params.attach) stages.push({ mergeDistance: params.attach.mergeDistance, spreadWeight: params.attach.spreadWeight, maxSmallerSize: 1, minLargerSize: params.attach.minGroupSize, attachMargin: params.attach.margin });
  if (params.absorb) stages.push({ mergeDistance: params.absorb.mergeDistance, minGroupSize: 2, maxSmallerSize: params.absorb.maxSmallerSize, minLargerSize: params.absorb.minLargerSize });
  if (params.envelope) stages.push({ mergeDistance: params.envelope.mergeDistance, maxSmallerSize: params.envelope.maxSmallerSize, minLargerSize: params.envelope.minLargerSize, envelopeRatio: params.envelope.ratio });
  return stages;
}

/** Nodes for averageLinkage: faces, their seeds (the person they are in) and what they reject. */
class NodeSet {
  ids: string[] = [];
  nodeOf = new Map<string, number>();
  seedOf: number[] = [];
  seedKeys: string[] = [];
  /** seeds that must keep their person (an edit holds them): they never merge with each other */
  tagged = new Set<string>();
  private seedNumber = new Map<string, number>();
  constructor(private index: FaceIndex, private edits: PeopleEdits) {}

  add(faceId: string, person: string | null): number {
    const known = this.nodeOf.get(faceId);
    if (known !== undefined) return known;
    const node = this.ids.length;
    this.ids.push(faceId);
    this.nodeOf.set(faceId, node);
    let seed = -1;
    if (person !== null) {
      seed = this.seedNumber.get(person) ?? this.seedKeys.length;
      if (seed === this.seedKeys.length) {
        this.seedKeys.push(person);
        this.seedNumber.set(person, seed);
      }
    }
    this.seedOf.push(seed);
    return node;
  }

  cluster(graph: NeighbourGraph, params: ClusterParams, attachable?: Uint8Array): Int32Array {
    if (params.algorithm !== 'hac') throw new Error(`people grouping runs hac, not ${params.algorithm}`);
    const input = {
      metric: params.metric,
      vectors: this.ids.map((id) => this.index.vectorOf(id)!),
      photos: this.ids.map((id) => this.index.photoOf(id)!),
      graph,
      mergeDistance: params.mergeDistance,
      spreadWeight: params.spreadWeight ?? 1,
      seedOf: Int32Array.from(this.seedOf),
      seedPerson: this.seedKeys.map((key) => (this.tagged.has(key) ? key : null)),
      rejects: this.ids.map((id) => this.edits.rejected.get(id)),
      attachable,
    };
    return stagedLinkage(input, stagesOf(params));
  }

  /** node groups: their nodes, the held person (a tagged seed) and the other old people (untagged seeds) in them */
  groups(groupOf: Int32Array): { nodes: number[]; person: string | null; old: Map<string, number> }[] {
    const byGroup = new Map<number, { nodes: number[]; person: string | null; old: Map<string, number> }>();
    groupOf.forEach((g, node) => {
      let group = byGroup.get(g);
      if (!group) byGroup.set(g, (group = { nodes: [], person: null, old: new Map() }));
      group.nodes.push(node);
      const seed = this.seedOf[node];
      if (seed < 0) return;
      const key = this.seedKeys[seed];
      if (this.tagged.has(key)) group.person = key;
      else group.old.set(key, (group.old.get(key) ?? 0) + 1);
    });
    return [...byGroup.values()];
  }
}

/** The old person most of a group's seeded faces were in (ties: the smaller id). */
function largestOld(old: Map<string, number>): string | null {
  let best: string | null = null;
  for (const [person, count] of old) if (best === null || count > old.get(best)! || (count === old.get(best)! && person < best)) best = person;
  return best;
}

/**
 * Groups `added` (already in `index`) into existing people or new ones; returns only the changed faces' persons
 * (null = unsorted). Existing people are whole groups here: they grow, and automatic ones may merge (the
 * merged face moves to the larger person); people an edit holds never merge. Distance work grows with
 * added.length (one k-NN query per new face, plus the members of the people they touch).
 */
export function groupNewFaces(
  index: FaceIndex,
  grouping: Grouping,
  edits: PeopleEdits,
  added: FaceVector[],
  params: ClusterParams,
  newPersonId: () => string,
): Map<string, string | null> {
  const changes = new Map<string, string | null>();
  const fresh = added.filter((f) => index.has(f.faceId));
  if (!fresh.length) return changes;
  const members = membersByPerson(grouping, index);
  const nodes = new NodeSet(index, edits);
  const freshIds = new Set(fresh.map((f) => f.faceId));
  for (const f of fresh) nodes.add(f.faceId, edits.pinned.get(f.faceId) ?? null);
  const neighbours = index.nearestMany(fresh.map((f) => index.vectorOf(f.faceId)!), params.k + 1, params.neighbourDistance);
  const edges: [number, number, number][] = [];
  fresh.forEach((f, i) => {
    const from = nodes.nodeOf.get(f.faceId)!;
    for (const n of neighbours[i]) {
      if (n.faceId === f.faceId) continue;
      let to = nodes.nodeOf.get(n.faceId);
      if (to === undefined) {
        const person = freshIds.has(n.faceId) ? null : (edits.pinned.get(n.faceId) ?? grouping.get(n.faceId) ?? null);
        if (person !== null) for (const m of members.get(person) ?? [n.faceId]) nodes.add(m, person);
        to = nodes.add(n.faceId, person);
      }
      edges.push([from, to, n.distance]);
    }
  });
  const graph: NeighbourGraph = nodes.ids.map(() => []);
  for (const [a, b, distance] of edges) graph[a].push({ node: b, distance });
  // Automatic people may merge (as a full run would); people an edit holds may not: protected ones, those with
  // pinned faces, and those a face here was taken out of.
  const rejectedHere = new Set<string>();
  for (const id of nodes.ids) for (const p of edits.rejected.get(id) ?? []) rejectedHere.add(p);
  for (const person of nodes.seedKeys) {
    if (edits.protectedPeople.has(person) || rejectedHere.has(person) || (members.get(person) ?? []).some((m) => edits.pinned.has(m))) nodes.tagged.add(person);
  }
  for (const f of fresh) {
    const pinned = edits.pinned.get(f.faceId);
    if (pinned !== undefined) nodes.tagged.add(pinned);
  }
  // Only this batch's faces may attach (see HacInput.attachable): an older unsorted face had its turn when it came in.
  const groupOf = nodes.cluster(graph, params, Uint8Array.from(nodes.ids, (id) => (freshIds.has(id) ? 1 : 0)));
  for (const group of nodes.groups(groupOf)) {
    const ids = group.nodes.map((node) => nodes.ids[node]);
    let person = group.person ?? largestOld(group.old);
    if (person === null && ids.length >= params.minPersonSize) person = newPersonId();
    for (const id of ids) {
      const before = freshIds.has(id) ? undefined : (edits.pinned.get(id) ?? grouping.get(id));
      if (person !== null && before !== person) changes.set(id, person);
      else if (person === null && freshIds.has(id)) changes.set(id, null);
    }
  }
  for (const f of fresh) if (!changes.has(f.faceId)) changes.set(f.faceId, edits.pinned.get(f.faceId) ?? null);
  return changes;
}

/**
 * Full re-run over every face in `index`. Protected people keep their faces (and may gain some), pinned faces stay
 * with their person, a new group keeps the id of the old person most of its faces were in, and rejected faces
 * never land in the person they were taken out of. Returns the whole new grouping.
 */
export function regroupAll(index: FaceIndex, grouping: Grouping, edits: PeopleEdits, params: ClusterParams, newPersonId: () => string): Grouping {
  const ids = index.faceIds().sort();
  const nodes = new NodeSet(index, edits);
  for (const id of ids) {
    const pinned = edits.pinned.get(id);
    const current = grouping.get(id);
    const held = pinned ?? (current !== undefined && edits.protectedPeople.has(current) && !edits.rejected.get(id)?.has(current) ? current : null);
    nodes.add(id, held);
    if (held !== null) nodes.tagged.add(held);
  }
  const groupOf = nodes.cluster(knnGraph(index, ids, params.k, params.neighbourDistance), params);
  const result: Grouping = new Map();
  const free: { ids: string[]; overlap: { person: string; count: number } | null }[] = [];
  for (const group of nodes.groups(groupOf)) {
    const members = group.nodes.map((node) => nodes.ids[node]);
    if (group.person !== null) {
      for (const id of members) result.set(id, group.person);
      continue;
    }
    if (members.length < params.minPersonSize) continue;
    const counts = new Map<string, number>();
    for (const id of members) {
      const old = grouping.get(id);
      if (old !== undefined && !edits.protectedPeople.has(old)) counts.set(old, (counts.get(old) ?? 0) + 1);
    }
    let overlap: { person: string; count: number } | null = null;
    for (const [person, count] of counts) if (!overlap || count > overlap.count || (count === overlap.count && person < overlap.person)) overlap = { person, count };
    free.push({ ids: members, overlap: overlap && overlap.count * 2 > members.length ? overlap : null });
  }
  // Old ids go to the groups that hold most of them, largest overlap first; each id once.
  const taken = new Set<string>(result.values());
  free.sort((a, b) => (b.overlap?.count ?? 0) - (a.overlap?.count ?? 0));
  for (const group of free) {
    const old = group.overlap?.person;
    const person = old !== undefined && !taken.has(old) ? old : newPersonId();
    taken.add(person);
    const kept = group.ids.filter((id) => !edits.rejected.get(id)?.has(person));
    if (kept.length >= params.minPersonSize) for (const id of kept) result.set(id, person);
  }
  return result;
}

/** Per-person running sums, for exact average linkage between people. */
function personSums(index: FaceIndex, members: string[]) {
  const sum = new Float64Array(index.dim);
  let sumSq = 0;
  for (const id of members) sumSq += index.accumulate(id, sum);
  return { sum, sumSq, size: members.length };
}

/**
 * "Same person?" candidates: pairs of people (not a rejected pair, `${a}|${b}` with a < b) whose linkage (the grouping's own) is
 * within params.suggestDistance, nearest first. The automatic run leaves them apart because they are past
 * mergeDistance or a person's edit holds them apart.
 *
 * Cost grows with the number of people, not faces: the linkage is never below the distance between the two
 * people's means (see groupLinkage), so candidates are the pairs of means within that bound, found among the
 * means alone (closePairs), then scored exactly as before.
 */
export function suggestMerges(index: FaceIndex, grouping: Grouping, params: ClusterParams, limit: number, rejectedPairs: Set<string> = new Set()): { a: string; b: string; distance: number }[] {
  const members = membersByPerson(grouping, index);
  const people = [...members.keys()].sort();
  const sums = people.map((person) => personSums(index, members.get(person)!));
  const spread = params.spreadWeight ?? 1;
  // Means as points: euclidean linkage >= |mean_a - mean_b|; cosine (unit vectors) linkage >= |mean_a - mean_b|^2 / 2,
  // and for cosine centroid linkage (1 - cos of the means) the unit means are 2 x that apart, squared.
  const unitMeans = params.metric === 'cosine' && spread === 0;
  const points = sums.map((s) => {
    const scale = unitMeans ? 1 / Math.sqrt(dot(s.sum, s.sum) || 1) : 1 / s.size;
    const point = new Float32Array(s.sum.length);
    for (let d = 0; d < point.length; d++) point[d] = s.sum[d] * scale;
    return point;
  });
  const radius = params.metric === 'euclidean' ? params.suggestDistance : Math.sqrt(2 * params.suggestDistance);
  const out: { a: string; b: string; distance: number }[] = [];
  for (const [i, j] of closePairs(points, radius * 1.0001 + 1e-6)) {
    const [a, b] = people[i] < people[j] ? [people[i], people[j]] : [people[j], people[i]];
    if (rejectedPairs.has(`${a}|${b}`)) continue;
    const distance = groupLinkage(params.metric, spread, sums[i], sums[j]);
    if (distance <= params.suggestDistance) out.push({ a, b, distance });
  }
  out.sort((x, y) => x.distance - y.distance || (x.a + x.b < y.a + y.b ? -1 : 1));
  return out.slice(0, limit);
}

/** Up to this many points, closePairs compares every pair; above it, a coarse partition (cells of ~CELL points). */
const EXACT_PAIRS = 3000;
const CELL = 100;
const PROBES = 3;
/** k-means rounds for the cells (the last only assigns) */
const ROUNDS = 3;

/**
 * Pairs of points (i < j) within `radius` (euclidean). Exact up to EXACT_PAIRS points (one matmul); above that,
 * points are split into cells by a few rounds of k-means on the means and each point is compared with the points
 * of its PROBES nearest cells (an inverted file, as in approximate nearest-neighbour search): close pairs, the ones
 * wanted here, share a nearby cell almost always; a far pair can be missed, which costs a suggestion, nothing else.
 */
function closePairs(points: Float32Array[], radius: number): [number, number][] {
  const n = points.length;
  if (n < 2) return [];
  const dim = points[0].length;
  const norms = Float32Array.from(points, (p) => dot(p, p));
  const limit = radius * radius;
  const found = new Map<number, [number, number]>();
  // rows x cols squared distances through one matmul; calls keep(i, j) for pairs within radius
  const compare = (rows: number[], cols: number[]) => {
    if (!rows.length || !cols.length) return;
    const a = new Float32Array(rows.length * dim);
    for (let i = 0; i < rows.length; i++) a.set(points[rows[i]], i * dim);
    // columns laid out [dim, cols] (the backend's matmul is much slower with transposeB)
    const b = new Float32Array(cols.length * dim);
    for (let i = 0; i < cols.length; i++) {
      const p = points[cols[i]];
      for (let d = 0; d < dim; d++) b[d * cols.length + i] = p[d];
    }
    const dots = tf.tidy(() => tf.matMul(tf.tensor2d(a, [rows.length, dim]), tf.tensor2d(b, [dim, cols.length])));
    const values = dots.dataSync() as Float32Array;
    dots.dispose();
    const width = cols.length;
    const colNorms = new Float32Array(width);
    for (let c = 0; c < width; c++) colNorms[c] = norms[cols[c]];
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r];
      const rest = limit - norms[i];
      const offset = r * width;
      for (let c = 0; c < width; c++) {
        if (colNorms[c] - 2 * values[offset + c] > rest) continue;
        const j = cols[c];
        if (i === j) continue;
        const [lo, hi] = i < j ? [i, j] : [j, i];
        found.set(lo * n + hi, [lo, hi]);
      }
    }
  };
  const all = Array.from({ length: n }, (_, i) => i);
  if (n <= EXACT_PAIRS) {
    for (let from = 0; from < n; from += 1024) compare(all.slice(from, from + 1024), all);
    return [...found.values()];
  }
  // Coarse cells: k-means seeded with evenly spaced points, a couple of rounds (cells need not be good, only local).
  const cells = Math.ceil(n / CELL);
  const centres = Array.from({ length: cells }, (_, c) => Float32Array.from(points[Math.floor((c * n) / cells)]));
  let nearestCells: Int32Array = new Int32Array(0);
  const probes = Math.min(PROBES, cells);
  const flat = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) flat.set(points[i], i * dim);
  const pointTensor = tf.tensor2d(flat, [n, dim]);
  for (let round = 0; round < ROUNDS; round++) {
    const c = new Float32Array(cells * dim);
    for (let i = 0; i < cells; i++) {
      const v = centres[i];
      for (let d = 0; d < dim; d++) c[d * cells + i] = v[d];
    }
    const product = tf.tidy(() => tf.matMul(pointTensor, tf.tensor2d(c, [dim, cells])));
    const dots = product.dataSync() as Float32Array;
    product.dispose();
    // nearest centres: largest 2 p.c - |c|^2
    const centreNorms = centres.map((v) => dot(v, v));
    const last = round === ROUNDS - 1;
    nearestCells = new Int32Array(n * (last ? probes : 1));
    const best = new Float32Array(probes);
    for (let i = 0; i < n; i++) {
      const width = last ? probes : 1;
      best.fill(-Infinity);
      for (let j = 0; j < cells; j++) {
        const score = 2 * dots[i * cells + j] - centreNorms[j];
        if (score <= best[width - 1]) continue;
        let at = width - 1;
        while (at > 0 && best[at - 1] < score) {
          best[at] = best[at - 1];
          nearestCells[i * width + at] = nearestCells[i * width + at - 1];
          at--;
        }
        best[at] = score;
        nearestCells[i * width + at] = j;
      }
    }
    if (last) break;
    const next = Array.from({ length: cells }, () => new Float32Array(dim));
    const counts = new Int32Array(cells);
    for (let i = 0; i < n; i++) {
      const cell = nearestCells[i];
      counts[cell]++;
      const p = points[i];
      const v = next[cell];
      for (let d = 0; d < dim; d++) v[d] += p[d];
    }
    for (let j = 0; j < cells; j++) {
      if (!counts[j]) continue;
      const v = next[j];
      for (let d = 0; d < dim; d++) v[d] /= counts[j];
      centres[j] = v;
    }
  }
  pointTensor.dispose();
  const membersOf: number[][] = Array.from({ length: cells }, () => []);
  const probing: number[][] = Array.from({ length: cells }, () => []);
  for (let i = 0; i < n; i++) {
    membersOf[nearestCells[i * probes]].push(i);
    for (let p = 0; p < probes; p++) probing[nearestCells[i * probes + p]].push(i);
  }
  for (let c = 0; c < cells; c++) compare(probing[c], membersOf[c]);
  return [...found.values()];
}
