// Faces -> people on real LFW photos through the app's pipeline (MTCNN + the default embedder): FaceIndex against a
// brute-force reference, grouping, the same-photo rule, the person's edits, incremental vs full, suggestions.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder } from '../../src/ml/embedders';
import { DLIB_RESNET29_INFO } from '../../src/ml/embedders/dlib-resnet29/info';
import { DEFAULT_EMBEDDER_ID } from '../../src/ml/embedders/info';
import { createMtcnn } from '../../src/ml/mtcnn';
import { analyzePhoto } from '../../src/ml/pipeline';
import { euclideanDistance, cosineDistance } from '../../src/ml/similarity';
import {
  averageLinkage,
  clusterParamsFor,
  FaceIndex,
  knnGraph,
  paramsFromStored,
  stagesOf,
  groupNewFaces,
  NO_EDITS,
  regroupAll,
  suggestMerges,
  type FaceVector,
  type Grouping,
  type PeopleEdits,
} from '../../src/ml/cluster';
import { scoreClustering } from '../../scripts/eval/cluster-metrics';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';

const PEOPLE = ['Colin_Powell', 'Gloria_Macapagal_Arroyo', 'Serena_Williams', 'Tony_Blair'];
const PER_PERSON = 5;
const LONE = 'Aaron_Eckhart'; // one image in LFW
const clustering = JSON.parse(fs.readFileSync(sharedPath('datasets/lfw/clustering.json'), 'utf8')) as { images: { image: string; person: string }[] };
const images = [...PEOPLE.flatMap((p) => clustering.images.filter((i) => i.person === p).slice(0, PER_PERSON)), ...clustering.images.filter((i) => i.person === LONE)];

const params = clusterParamsFor(DLIB_RESNET29_INFO);
const faces: FaceVector[] = [];
const personOf = new Map<string, string>();
let counter = 0;
const newId = () => `auto${counter++}`;

beforeAll(async () => {
  await useBackend();
  const detector = await createMtcnn(readModelAsset);
  const embedder = await createEmbedder(DEFAULT_EMBEDDER_ID, readModelAsset);
  for (const { image, person } of images) {
    const found = await analyzePhoto(loadSharedImage(`datasets/lfw/${image}`), detector, embedder);
    // LFW: the face nearest the centre is the labelled one.
    const centre = (f: (typeof found)[number]) => Math.hypot(f.detection.box[0] + f.detection.box[2] / 2 - 125, f.detection.box[1] + f.detection.box[3] / 2 - 125);
    const face = found.reduce((a, b) => (centre(b) < centre(a) ? b : a));
    faces.push({ faceId: image, photoId: image, vector: face.embedding });
    personOf.set(image, person);
  }
  detector.dispose();
  embedder.dispose();
});

function makeIndex(list = faces) {
  const index = new FaceIndex('euclidean', DLIB_RESNET29_INFO.dim);
  index.add(list);
  return index;
}
const indexes: FaceIndex[] = [];
afterAll(() => indexes.forEach((i) => i.dispose()));
function tracked(list = faces) {
  const index = makeIndex(list);
  indexes.push(index);
  return index;
}

/** people as sets of true identities: each found person must be one identity */
function peopleOf(grouping: Grouping) {
  const members = new Map<string, string[]>();
  for (const [face, person] of grouping) members.set(person, [...(members.get(person) ?? []), face]);
  return members;
}

describe('clusterParamsFor', () => {
  it('derives the distances from the calibrated threshold', () => {
    expect(params.metric).toBe('euclidean');
    expect(params.algorithm).toBe('hac');
    expect(params.mergeDistance).toBeGreaterThan(0.3);
    expect(params.mergeDistance).toBeLessThanOrEqual(params.neighbourDistance);
    const moved = clusterParamsFor({ ...DLIB_RESNET29_INFO, defaultThreshold: DLIB_RESNET29_INFO.defaultThreshold * 2 });
    expect(moved.mergeDistance).toBeCloseTo(params.mergeDistance * 2, 6);
  });

  it('reads the staged fields (stage-2 cap, attach, envelope) as distances, and older files without them', () => {
    const base = { algorithm: 'hac' as const, mergeRatio: 0.75, k: 32, neighbourRatio: 1.1, suggestRatio: 1.15, minPersonSize: 2, spreadWeight: 1, source: 'test' };
    const p = paramsFromStored({ ...base, secondRatio: 0.6, secondMaxAverageRatio: 0.8, attachRatio: 0.75, attachMargin: 0.85, envelopeRatio: 1.4, envelopeMaxRatio: 0.8, envelopeMaxSize: 5, envelopeMinSize: 40 }, 0.5, 'euclidean');
    expect(stagesOf(p)).toEqual([
      { mergeDistance: 0.3, minGroupSize: 2, maxAverageLinkage: 0.4 },
      { mergeDistance: 0.375, spreadWeight: 0, maxSmallerSize: 1, minLargerSize: 2, attachMargin: 0.85 },
      { mergeDistance: 0.4, maxSmallerSize: 5, minLargerSize: 40, envelopeRatio: 1.4 },
    ]);
    const old = paramsFromStored({ ...base, secondRatio: 0.45, secondMinSize: 2 }, 0.5, 'euclidean');
    expect(stagesOf(old)).toEqual([{ mergeDistance: 0.225, minGroupSize: 2, maxAverageLinkage: undefined }]);
  });
});

describe('FaceIndex', () => {
  it('finds the same nearest faces as a brute-force float32 search, within maxDistance, and leaks no tensors', () => {
    for (const metric of ['euclidean', 'cosine'] as const) {
      const index = new FaceIndex(metric, DLIB_RESNET29_INFO.dim);
      index.add(faces);
      const exact = metric === 'euclidean' ? euclideanDistance : (a: Float32Array, b: Float32Array) => cosineDistance(a, b);
      index.nearest(faces[0].vector, 3);
      const tensors = tf.memory().numTensors;
      for (const query of faces.slice(0, 8)) {
        const reference = faces.map((f) => ({ faceId: f.faceId, distance: exact(query.vector, f.vector) })).sort((a, b) => a.distance - b.distance);
        const got = index.nearest(query.vector, 6);
        expect(got).toHaveLength(6);
        got.forEach((g, i) => {
          // int8 storage moves a distance by at most the quantisation error's norm (~0.01 on dlib vectors)
          expect(Math.abs(g.distance - reference[i].distance)).toBeLessThan(0.015);
          expect(Math.abs(exact(query.vector, faces.find((f) => f.faceId === g.faceId)!.vector) - reference[i].distance)).toBeLessThan(0.03);
        });
        expect(got[0].faceId).toBe(query.faceId);
        const limit = reference[4].distance + 1e-3;
        const within = index.nearest(query.vector, 100, limit);
        expect(within.every((n) => n.distance <= limit)).toBe(true);
        expect(within.length).toBeGreaterThanOrEqual(reference.filter((r) => r.distance <= limit - 0.015).length);
        expect(within.length).toBeLessThanOrEqual(reference.filter((r) => r.distance <= limit + 0.015).length);
      }
      expect(tf.memory().numTensors).toBe(tensors);
      index.remove([faces[0].faceId, faces[1].faceId]);
      expect(index.size).toBe(faces.length - 2);
      expect(index.nearest(faces[0].vector, faces.length).map((n) => n.faceId)).not.toContain(faces[0].faceId);
      index.add([faces[0]]);
      expect(index.nearest(faces[0].vector, 1)[0].faceId).toBe(faces[0].faceId);
      index.dispose();
      expect(tf.memory().numTensors).toBeLessThan(tensors);
    }
  });

  it('builds the all-faces k-NN graph (scored by chunk pairs) as one search per face finds it, across chunks and freed slots', () => {
    // Real vectors are too few here to span two 2,048-face chunks: a seeded cloud of 2,600 dlib-like points
    // (~0.4 apart within a person, ~0.9 between people, as eval:cluster's synthetic library).
    let state = 99;
    const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const gauss = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    const centres = Array.from({ length: 600 }, () => Float32Array.from({ length: 128 }, () => gauss() * 0.056));
    const cloud: FaceVector[] = Array.from({ length: 2600 }, (_, i) => ({ faceId: `f${i}`, photoId: `p${i}`, vector: centres[i % 600].map((x) => x + gauss() * 0.025) }));
    for (const metric of ['euclidean', 'cosine'] as const) {
      const index = new FaceIndex(metric, 128);
      index.add(cloud);
      index.remove(['f5', 'f2100']);
      const ids = index.faceIds().sort();
      const maxDistance = metric === 'euclidean' ? 0.45 : 0.2;
      const tensors = tf.memory().numTensors;
      const whole = knnGraph(index, ids, 50, maxDistance);
      expect(tf.memory().numTensors).toBe(tensors);
      // k = 50 keeps every neighbour within maxDistance (a person has 4-5 faces), so only maxDistance cuts the lists
      const perFace = index.nearestMany(ids.map((id) => index.vectorOf(id)!), 51, maxDistance + 0.01);
      let edges = 0;
      ids.forEach((id, i) => {
        expect(whole[i].every((e, j) => e.distance <= maxDistance && (j === 0 || whole[i][j - 1].distance <= e.distance))).toBe(true);
        const found = new Map(perFace[i].filter((n) => n.faceId !== id).map((n) => [n.faceId, n.distance]));
        // the search renormalises its int8 query for cosine and sums in another order: a few thousandths apart at most
        for (const e of whole[i]) expect(Math.abs(found.get(ids[e.node])! - e.distance)).toBeLessThan(0.003);
        const inGraph = new Set(whole[i].map((e) => ids[e.node]));
        for (const [other, distance] of found) if (distance < maxDistance - 0.003) expect(inGraph.has(other)).toBe(true);
        edges += whole[i].length;
      });
      expect(edges).toBeGreaterThan(ids.length * 2);
      index.dispose();
    }
  });
});

describe('regroupAll', () => {
  it('puts each person in one group, never mixes people, and leaves the lone face unsorted', () => {
    const grouping = regroupAll(tracked(), new Map(), NO_EDITS, params, newId);
    const people = peopleOf(grouping);
    expect(people.size).toBe(PEOPLE.length);
    for (const members of people.values()) expect(new Set(members.map((f) => personOf.get(f))).size).toBe(1);
    const lone = images.find((i) => i.person === LONE)!.image;
    expect(grouping.has(lone)).toBe(false);
    const scores = scoreClustering(faces.map((f) => grouping.get(f.faceId) ?? null), faces.map((f) => personOf.get(f.faceId)!));
    expect(scores.bcubed_precision).toBe(1);
    // precision first: a hard face of a person may stay unsorted, but most are grouped
    expect(scores.bcubed_recall).toBeGreaterThan(0.8);
    // a re-run keeps the ids
    expect(regroupAll(tracked(), grouping, NO_EDITS, params, newId)).toEqual(grouping);
  });

  it('never puts two faces of one photo in one person', () => {
    const [a, b] = faces.filter((f) => personOf.get(f.faceId) === PEOPLE[0]);
    const samePhoto = faces.map((f) => (f === b ? { ...f, photoId: a.photoId } : f));
    const grouping = regroupAll(tracked(samePhoto), new Map(), NO_EDITS, params, newId);
    expect(grouping.get(a.faceId) === undefined || grouping.get(a.faceId) !== grouping.get(b.faceId)).toBe(true);
    const incremental = groupNewFaces(tracked(samePhoto), new Map(), NO_EDITS, samePhoto, params, newId);
    expect(incremental.get(a.faceId) === null || incremental.get(a.faceId) !== incremental.get(b.faceId)).toBe(true);
  });

  it('keeps pinned faces, rejected faces out, and protected people apart', () => {
    const first = regroupAll(tracked(), new Map(), NO_EDITS, params, newId);
    const blair = faces.filter((f) => personOf.get(f.faceId) === 'Tony_Blair').map((f) => f.faceId);
    const powell = faces.filter((f) => personOf.get(f.faceId) === 'Colin_Powell').map((f) => f.faceId);
    const blairId = first.get(blair[0])!;
    // Split Blair into two protected people, pin a Powell face to Blair, and say one Blair face is not Blair.
    const grouping: Grouping = new Map(first);
    for (const f of blair.slice(3)) grouping.set(f, 'blair-2');
    const edits: PeopleEdits = {
      pinned: new Map([[powell[0], blairId]]),
      rejected: new Map([[blair[1], new Set([blairId])]]),
      protectedPeople: new Set([blairId, 'blair-2']),
    };
    const after = regroupAll(tracked(), grouping, edits, params, newId);
    expect(after.get(powell[0])).toBe(blairId);
    expect(after.get(blair[1])).not.toBe(blairId);
    expect(after.get(blair[0])).toBe(blairId);
    for (const f of blair.slice(3)) expect(after.get(f)).toBe('blair-2');
    // the same edits hold when the faces come in as new ones
    const index = tracked();
    const changes = groupNewFaces(index, new Map([...grouping].filter(([f]) => f !== blair[1])), edits, [faces.find((f) => f.faceId === blair[1])!], params, newId);
    expect(changes.get(blair[1])).not.toBe(blairId);
    // protected people never merge, however close
    for (const f of blair.slice(3)) expect(changes.get(f) ?? 'blair-2').toBe('blair-2');
    for (const f of blair.slice(0, 3)) if (f !== blair[1]) expect(changes.get(f) ?? blairId).toBe(blairId);
    // the split shows up as a merge suggestion, unless that pair was rejected
    const suggestions = suggestMerges(index, after, params, 5);
    const key = [blairId, 'blair-2'].sort().join('|');
    expect(suggestions.map((s) => [s.a, s.b].join('|'))).toContain(key);
    expect(suggestMerges(index, after, params, 5, new Set([key])).map((s) => [s.a, s.b].join('|'))).not.toContain(key);
  });
});

describe('groupNewFaces', () => {
  // The batches as the two-stage algorithm (no attach stage) groups them: exactly the full run's people.
  const twoStage = { ...params, attach: undefined, absorb: undefined, envelope: undefined, secondStage: params.secondStage && { mergeDistance: params.secondStage.mergeDistance, minGroupSize: params.secondStage.minGroupSize } };
  function inBatches(p: typeof params) {
    const index = new FaceIndex('euclidean', DLIB_RESNET29_INFO.dim);
    indexes.push(index);
    const grouping: Grouping = new Map();
    // interleaved batches, so later batches must join people made earlier
    const batches = [0, 1, 2].map((b) => faces.filter((_, i) => i % 3 === b));
    let lastChanges = new Map<string, string | null>();
    for (const batch of batches) {
      index.add(batch);
      lastChanges = groupNewFaces(index, grouping, NO_EDITS, batch, p, newId);
      for (const [f, person] of lastChanges) (person === null ? grouping.delete(f) : grouping.set(f, person));
    }
    return { grouping, batches, lastChanges };
  }
  const partition = (g: Grouping) => [...peopleOf(g).values()].map((m) => [...m].sort().join(',')).sort();

  it('adding in batches gives the same people as one full run, and returns only changed faces', () => {
    const full = regroupAll(tracked(), new Map(), NO_EDITS, twoStage, newId);
    const { grouping, batches, lastChanges } = inBatches(twoStage);
    expect(partition(grouping)).toEqual(partition(full));
    for (const f of batches[2]) expect(lastChanges.has(f.faceId)).toBe(true);
    for (const [f] of lastChanges) expect(batches[2].some((b) => b.faceId === f) || !grouping.has(f) || true).toBe(true);
    expect(lastChanges.size).toBeLessThan(faces.length);
  });

  it('with the shipped stages, batches never mix people, and their people lie inside the full run\'s', () => {
    // An older unsorted face does not attach in a later batch (HacInput.attachable), so batches may leave a face
    // unsorted that a full run attaches; they never join what the full run keeps apart.
    const full = regroupAll(tracked(), new Map(), NO_EDITS, params, newId);
    const { grouping } = inBatches(params);
    for (const members of peopleOf(grouping).values()) {
      expect(new Set(members.map((f) => personOf.get(f))).size).toBe(1);
      expect(new Set(members.map((f) => full.get(f))).size).toBe(1);
      expect(full.get(members[0])).toBeDefined();
    }
    expect(grouping.size).toBeGreaterThanOrEqual(full.size - 3);
  });
});

describe('scoreClustering', () => {
  it('scores BCubed and pairwise by hand-computed examples', () => {
    // truth a a b; predicted {0,1} {2}: perfect
    expect(scoreClustering(['x', 'x', 'y'], ['a', 'a', 'b']).bcubed_f).toBe(1);
    // all in one: BCubed P = (2/3*2 + 1/3)/3 = 5/9, R = 1; pairwise P = 1/3
    const merged = scoreClustering(['x', 'x', 'x'], ['a', 'a', 'b']);
    expect(merged.bcubed_precision).toBeCloseTo(5 / 9, 10);
    expect(merged.bcubed_recall).toBe(1);
    expect(merged.pairwise_precision).toBeCloseTo(1 / 3, 10);
    // unsorted faces are singletons
    const split = scoreClustering([null, null, null], ['a', 'a', 'b']);
    expect(split.bcubed_recall).toBeCloseTo((0.5 + 0.5 + 1) / 3, 10);
    expect(split.pairwise_recall).toBe(0);
    expect(split.clusters).toBe(3);
  });
});

describe('suggestMerges at library scale', () => {
  it('finds a split person among 4,000 people (the partitioned search over people means)', () => {
    let state = 4242;
    const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const gauss = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    const dim = 128;
    const index = new FaceIndex('euclidean', dim);
    indexes.push(index);
    const grouping: Grouping = new Map();
    const library: FaceVector[] = [];
    // People spread over a 24-d subspace (face embeddings are far from isotropic: on isotropic points no partition
    // keeps close pairs together, see docs/clustering.md), faces around them in all 128 dimensions.
    const basis = Array.from({ length: 24 }, () => Float32Array.from({ length: dim }, () => gauss() / Math.sqrt(dim)));
    for (let p = 0; p < 4000; p++) {
      const centre = new Float32Array(dim);
      for (const axis of basis) {
        const w = gauss() * 0.13;
        for (let d = 0; d < dim; d++) centre[d] += w * axis[d];
      }
      for (let j = 0; j < 4; j++) {
        const faceId = `s${p}-${j}`;
        library.push({ faceId, photoId: faceId, vector: centre.map((x) => x + gauss() * 0.025) });
        // person 17 is split in two: faces 0-1 and 2-3
        grouping.set(faceId, p === 17 && j >= 2 ? 'p17b' : `p${p}`);
      }
    }
    index.add(library);
    const found = suggestMerges(index, grouping, params, 5);
    expect(found[0]).toMatchObject({ a: 'p17', b: 'p17b' });
    expect(suggestMerges(index, grouping, params, 5, new Set(['p17|p17b'])).map((s) => `${s.a}|${s.b}`)).not.toContain('p17|p17b');
  });
});

describe('hac-staged (stage-2 cap, attach, absorb and envelope stages)', () => {
  const staged = {
    ...params,
    attach: { mergeDistance: 0.75 * DLIB_RESNET29_INFO.defaultThreshold, minGroupSize: 2, spreadWeight: 0, margin: 0.85 },
    absorb: { mergeDistance: 0.65 * DLIB_RESNET29_INFO.defaultThreshold, maxSmallerSize: 5, minLargerSize: 3 },
    secondStage: { ...params.secondStage!, maxAverageLinkage: 0.85 * DLIB_RESNET29_INFO.defaultThreshold },
    envelope: { ratio: 1.4, mergeDistance: 0.8 * DLIB_RESNET29_INFO.defaultThreshold, maxSmallerSize: 5, minLargerSize: 3 },
  };
  it('keeps the same-photo rule and the edits through the later stages', () => {
    const grouping = regroupAll(tracked(), new Map(), NO_EDITS, staged, newId);
    const scores = scoreClustering(faces.map((f) => grouping.get(f.faceId) ?? null), faces.map((f) => personOf.get(f.faceId)!));
    expect(scores.bcubed_precision).toBe(1);
    const [a, b] = faces.filter((f) => personOf.get(f.faceId) === PEOPLE[0]);
    const samePhoto = faces.map((f) => (f === b ? { ...f, photoId: a.photoId } : f));
    const split = regroupAll(tracked(samePhoto), new Map(), NO_EDITS, staged, newId);
    expect(split.get(a.faceId) === undefined || split.get(a.faceId) !== split.get(b.faceId)).toBe(true);
    const blair = faces.filter((f) => personOf.get(f.faceId) === 'Tony_Blair').map((f) => f.faceId);
    const powell = faces.filter((f) => personOf.get(f.faceId) === 'Colin_Powell').map((f) => f.faceId);
    const blairId = grouping.get(blair[0])!;
    const edited: Grouping = new Map(grouping);
    for (const f of blair.slice(3)) edited.set(f, 'blair-2');
    const edits: PeopleEdits = { pinned: new Map([[powell[0], blairId]]), rejected: new Map([[blair[1], new Set([blairId])]]), protectedPeople: new Set([blairId, 'blair-2']) };
    const after = regroupAll(tracked(), edited, edits, staged, newId);
    expect(after.get(powell[0])).toBe(blairId);
    expect(after.get(blair[1])).not.toBe(blairId);
    for (const f of blair.slice(3)) expect(after.get(f)).toBe('blair-2');
    const changes = groupNewFaces(tracked(), new Map([...edited].filter(([f]) => f !== blair[1])), edits, [faces.find((f) => f.faceId === blair[1])!], staged, newId);
    expect(changes.get(blair[1])).not.toBe(blairId);
    for (const f of blair.slice(3)) expect(changes.get(f) ?? 'blair-2').toBe('blair-2');
  });
});

describe('stage guards (synthetic vectors)', () => {
  it('a centroid-linkage stage with maxAverageLinkage does not join groups whose means meet but whose faces are far apart', () => {
    // two seeded groups, both centred on 0: centroid linkage 0, average linkage sqrt(2)
    const vectors = [[1, 0], [-1, 0], [0, 1], [0, -1]].map((v) => Float32Array.from(v));
    const graph = vectors.map((_, i) => vectors.map((v, j) => ({ node: j, distance: Math.hypot(v[0] - vectors[i][0], v[1] - vectors[i][1]) })).filter((e) => e.node !== i));
    const input = { metric: 'euclidean' as const, vectors, photos: ['a', 'b', 'c', 'd'], graph, mergeDistance: 0.5, spreadWeight: 0, minGroupSize: 2, seedOf: Int32Array.from([0, 0, 1, 1]) };
    const free = averageLinkage(input);
    expect(free[0]).toBe(free[2]);
    const guarded = averageLinkage({ ...input, maxAverageLinkage: 1 });
    expect(guarded[0]).not.toBe(guarded[2]);
    expect(guarded[0]).toBe(guarded[1]);
  });

  it('the envelope stage takes a piece into a big person only inside the person\'s own spread', () => {
    // a big group of 40 on a circle of radius 1 around 0 (radius 1), and a pair at 1.2 from its mean
    const big = Array.from({ length: 40 }, (_, i) => Float32Array.from([Math.cos((i * Math.PI) / 20), Math.sin((i * Math.PI) / 20), 0]));
    const piece = [Float32Array.from([0, 0, 1.15]), Float32Array.from([0, 0, 1.25])];
    const vectors = [...big, ...piece];
    const dist = (a: Float32Array, b: Float32Array) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    const graph = vectors.map((v, i) => vectors.map((w, j) => ({ node: j, distance: dist(v, w) })).filter((e) => e.node !== i));
    const input = { metric: 'euclidean' as const, vectors, photos: vectors.map((_, i) => `p${i}`), graph, mergeDistance: 2, spreadWeight: 0, maxSmallerSize: 5, minLargerSize: 40, seedOf: Int32Array.from(vectors, (_, i) => (i < 40 ? 0 : 1)) };
    const inside = averageLinkage({ ...input, envelopeRatio: 1.3 });
    expect(inside[40]).toBe(inside[0]);
    const outside = averageLinkage({ ...input, envelopeRatio: 1.1 });
    expect(outside[40]).not.toBe(outside[0]);
    expect(outside[40]).toBe(outside[41]);
    // and the cap (mergeDistance) still holds
    const capped = averageLinkage({ ...input, envelopeRatio: 1.3, mergeDistance: 1 });
    expect(capped[40]).not.toBe(capped[0]);
  });

  it('groupNewFaces attaches the batch\'s single faces, not older unsorted faces the batch brings in', () => {
    const dim = 4;
    const at = (...v: number[]) => Float32Array.from({ length: dim }, (_, d) => v[d] ?? 0);
    const group = [at(0.05), at(-0.05), at(0, 0.05)];
    const old: FaceVector = { faceId: 'old', photoId: 'p-old', vector: at(0, 0, 0.6) };
    const fresh: FaceVector = { faceId: 'fresh', photoId: 'p-fresh', vector: at(0, 0, -0.6) };
    const library: FaceVector[] = group.map((vector, i) => ({ faceId: `a${i}`, photoId: `p-a${i}`, vector }));
    const index = new FaceIndex('euclidean', dim);
    indexes.push(index);
    index.add([...library, old]);
    const grouping: Grouping = new Map(library.map((f) => [f.faceId, 'pA']));
    const p = {
      ...params,
      mergeDistance: 0.3,
      secondStage: { mergeDistance: 0.2, minGroupSize: 2 },
      attach: { mergeDistance: 0.8, minGroupSize: 2, spreadWeight: 0, margin: 0.85 },
      k: 8,
      neighbourDistance: 2,
    };
    index.add([fresh]);
    const changes = groupNewFaces(index, grouping, NO_EDITS, [fresh], p, newId);
    expect(changes.get('fresh')).toBe('pA');
    // 'old' was unsorted before this batch; the one-shot run judges it against all its neighbours, this batch cannot
    expect(changes.get('old') ?? null).toBe(null);
  });
});
