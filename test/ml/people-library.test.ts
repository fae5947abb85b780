// The People e2e's library in Node, through the app's pipeline and the shipped grouping parameters: the five cast
// group photos and the 40 labelled portraits of their 8 people. Whatever the batches, every person is one identity and
// never two faces of one photo; all at once (the full re-run), each cast member is a person of 3+ faces; photo by
// photo (as an indexer that groups after every photo would), each is still found as a person of 2+ faces.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaceIndex, clusterParamsFor, groupNewFaces, NO_EDITS, regroupAll, type FaceVector, type Grouping } from '../../src/ml/cluster';
import { createEmbedder } from '../../src/ml/embedders';
import { DLIB_RESNET29_INFO } from '../../src/ml/embedders/dlib-resnet29/info';
import { createMtcnn } from '../../src/ml/mtcnn';
import { analyzePhoto } from '../../src/ml/pipeline';
import { loadSharedImage, readModelAsset, sharedPath, useBackend } from '../support/node-ml';

const CAST = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];
const IMAGES = 'datasets/faceapi-js-images';
// in the e2e's order: the group photos first, then each person's portraits
const photos = [...[1, 2, 3, 4, 5].map((n) => `examples/images/bbt${n}.jpg`), ...CAST.flatMap((name) => [1, 2, 3, 4, 5].map((n) => `examples/images/${name}/${name}${n}.png`))];
const labels = (JSON.parse(fs.readFileSync(sharedPath(`${IMAGES}/bbt-labels.json`), 'utf8')) as { photos: Record<string, { box: number[]; name: string | null }[]> }).photos;

function iou(a: number[], b: number[]) {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  const inter = Math.max(0, w) * Math.max(0, h);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

const params = clusterParamsFor(DLIB_RESNET29_INFO);
const facesByPhoto: FaceVector[][] = [];
/** who a face is: the labelled group-photo face it overlaps, the portrait's person, or a bystander of its own */
const identityOf = new Map<string, string>();
const indexes: FaceIndex[] = [];
let counter = 0;
const newId = () => `p${counter++}`;

beforeAll(async () => {
  await useBackend();
  const detector = await createMtcnn(readModelAsset);
  const embedder = await createEmbedder(DLIB_RESNET29_INFO.id, readModelAsset);
  for (const photo of photos) {
    const found = await analyzePhoto(loadSharedImage(`${IMAGES}/${photo}`), detector, embedder);
    const portrait = CAST.find((name) => photo.includes(`/${name}/`));
    facesByPhoto.push(
      found.map((face, i) => {
        const faceId = `${photo}:${i}`;
        const labelled = labels[photo]?.find((l) => iou(l.box, face.detection.box) > 0.5)?.name;
        identityOf.set(faceId, portrait ?? labelled ?? `bystander ${faceId}`);
        return { faceId, photoId: photo, vector: face.embedding };
      }),
    );
  }
  detector.dispose();
  embedder.dispose();
}, 300_000);
afterAll(() => indexes.forEach((index) => index.dispose()));

function newIndex(): FaceIndex {
  const index = new FaceIndex(DLIB_RESNET29_INFO.metric, DLIB_RESNET29_INFO.dim);
  indexes.push(index);
  return index;
}

/** Checks every person is one identity with one face a photo; returns each cast member's biggest person. */
function biggestOfEach(grouping: Grouping): Record<string, number> {
  const members = new Map<string, string[]>();
  for (const [face, person] of grouping) members.set(person, [...(members.get(person) ?? []), face]);
  const biggest: Record<string, number> = Object.fromEntries(CAST.map((name) => [name, 0]));
  for (const [person, faces] of members) {
    expect(new Set(faces.map((f) => identityOf.get(f))).size, `${person}: ${faces.join(' ')}`).toBe(1);
    expect(new Set(faces.map((f) => f.slice(0, f.lastIndexOf(':')))).size, `${person}: two faces of one photo`).toBe(faces.length);
    const identity = identityOf.get(faces[0])!;
    if (identity in biggest) biggest[identity] = Math.max(biggest[identity], faces.length);
  }
  return biggest;
}

describe('the People e2e library through the shipped grouping', () => {
  it('all at once: one identity each, every cast member a person of 3+ faces', () => {
    const index = newIndex();
    index.add(facesByPhoto.flat());
    // the labelled faces are all found (19 in the group photos, 40 portraits)
    expect([...identityOf.values()].filter((id) => CAST.includes(id)).length).toBeGreaterThanOrEqual(59);
    const biggest = biggestOfEach(regroupAll(index, new Map(), NO_EDITS, params, newId));
    for (const name of CAST) expect(biggest[name], JSON.stringify(biggest)).toBeGreaterThanOrEqual(3);
  });

  it('photo by photo: one identity each, every cast member still found (2+ faces)', () => {
    const index = newIndex();
    const grouping: Grouping = new Map();
    for (const batch of facesByPhoto) {
      index.add(batch);
      for (const [face, person] of groupNewFaces(index, grouping, NO_EDITS, batch, params, newId)) {
        if (person === null) grouping.delete(face);
        else grouping.set(face, person);
      }
    }
    const biggest = biggestOfEach(grouping);
    for (const name of CAST) expect(biggest[name], JSON.stringify(biggest)).toBeGreaterThanOrEqual(2);
  });
});
