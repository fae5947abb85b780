// Faces -> people for the Library: incremental grouping of new faces, the full re-run, and merge suggestions,
// all keeping the person's edits. Agglomerative clustering over the k-NN graph (as eval:cluster chose).
import { averageLinkage, groupLinkage, twoStageLinkage, type NeighbourGraph } from './algorithms';
import { dot, type FaceIndex, type FaceVector } from './face-index';
import type { ClusterParams } from './params';

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
  // All faces: the all-pairs graph (each pair scored once); a subset: one query per face.
  const whole = faceIds.length === index.size ? index.neighbourGraph(k, maxDistance) : null;
  const found = whole ? faceIds.map((id) => whole.get(id)!) : index.nearestMany(faceIds.map((id) => index.vectorOf(id)!), k + 1, maxDistance);
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

  cluster(graph: NeighbourGraph, params: ClusterParams): Int32Array {
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
    };
    return params.secondStage ? twoStageLinkage(input, params.secondStage) : averageLinkage(input);
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
  const groupOf = nodes.cluster(graph, params);
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
  for (const id of members) {
    const v = index.vectorOf(id)!;
    for (let d = 0; d < v.length; d++) sum[d] += v[d];
    sumSq += dot(v, v);
  }
  return { sum, sumSq, size: members.length };
}

/**
 * "Same person?" candidates: pairs of people (not a rejected pair, `${a}|${b}` with a < b) whose linkage (the grouping's own) is
 * within params.suggestDistance, nearest first. The automatic run leaves them apart because they are past
 * mergeDistance or a person's edit holds them apart.
 */
export function suggestMerges(index: FaceIndex, grouping: Grouping, params: ClusterParams, limit: number, rejectedPairs: Set<string> = new Set()): { a: string; b: string; distance: number }[] {
  const members = membersByPerson(grouping, index);
  const grouped = [...grouping.keys()].filter((id) => index.has(id));
  const found = index.nearestMany(grouped.map((id) => index.vectorOf(id)!), params.k + 1, params.suggestDistance);
  const pairs = new Set<string>();
  grouped.forEach((id, i) => {
    const p = grouping.get(id)!;
    for (const n of found[i]) {
      const q = grouping.get(n.faceId);
      if (q === undefined || q === p) continue;
      const key = p < q ? `${p}|${q}` : `${q}|${p}`;
      if (!rejectedPairs.has(key)) pairs.add(key);
    }
  });
  const sums = new Map<string, ReturnType<typeof personSums>>();
  const sumsOf = (person: string) => {
    let s = sums.get(person);
    if (!s) sums.set(person, (s = personSums(index, members.get(person)!)));
    return s;
  };
  const out: { a: string; b: string; distance: number }[] = [];
  for (const key of pairs) {
    const [a, b] = key.split('|');
    const distance = groupLinkage(params.metric, params.spreadWeight ?? 1, sumsOf(a), sumsOf(b));
    if (distance <= params.suggestDistance) out.push({ a, b, distance });
  }
  out.sort((x, y) => x.distance - y.distance || (x.a + x.b < y.a + y.b ? -1 : 1));
  return out.slice(0, limit);
}
