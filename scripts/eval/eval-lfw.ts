// LFW verification, standard 10-fold protocol, through the app's own pipeline: MTCNN on the 250x250 photo, the
// face nearest the centre (a fixed central box when none is found, counted), the embedder's crop, its embedding.
// Threshold chosen on 9 folds, accuracy scored on the 10th. Embeddings are cached per image under .eval/ so
// re-scoring (other folds, centring, limits) is cheap. Usage: USAGE below, or --help.
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadSharedImage, readModelAsset, repoRoot, sharedPath, useBackend } from '../../test/support/node-ml';
import { createEmbedder, embedderDefaults, isBuiltinEmbedder } from '../../src/ml/embedders';
import { DEFAULT_EMBEDDER_ID } from '../../src/ml/embedders/info';
import { alignmentTemplate, cropFaces, type FaceDetector } from '../../src/ml/pipeline';
import { cropTransform, keypointList } from '../../src/ml/align/transform';
import { cosineDistance, euclideanDistance } from '../../src/ml/similarity';
import type { CropRule, FaceDetection, RgbImage, SimilarityMetric } from '../../src/ml/types';
import meanDescriptor from '../../src/ml/embedders/vggface2-mobilenet/mean-descriptor.json';
import { fallbackDetection, lfwFoldScores, nearestToCentre, rocSummary, type ScoredPair } from './lfw-metrics';
import { readOptions } from '../cli';
import { detectorKey, embeddingCachePath as lfwEmbeddingCachePath, lfwCacheDir, readEmbeddings, readJsonl } from './lfw-cache';
import { embedderCalibration, FITTERS, heldOutOperatingRates, heldOutPredictions, ratesOn, scoreCalibration } from './calibration';
import { reliabilitySvg } from './reliability-svg';

interface Pair {
  a: string;
  b: string;
  same: boolean;
  fold: number;
}

const USAGE = `npm run eval:lfw -- --embedder ID|default [--crop tight|vggface2|aligned] [--folds 1,2,5-7] [--limit N]
                    [--json FILE] [--detector mtcnn|center] [--mean fddb|folds|none] [--flip|--no-flip]
                    [--template-stats] [--plot FILE] [--write-calibration]
                    [--box-scale S] [--zoom Z] [--all-images]`;

function parseFolds(spec: string | undefined): number[] {
  if (!spec) return [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return spec.split(',').flatMap((part) => {
    const [from, to] = part.split('-').map(Number);
    return to ? Array.from({ length: to - from + 1 }, (_, i) => from + i) : [from];
  });
}

const args = readOptions(USAGE, {
  embedder: { type: 'string' },
  crop: { type: 'string' },
  folds: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'string' },
  detector: { type: 'string' },
  mean: { type: 'string' },
  flip: { type: 'boolean' },
  'no-flip': { type: 'boolean' },
  'template-stats': { type: 'boolean' },
  'box-scale': { type: 'string' },
  zoom: { type: 'string' },
  plot: { type: 'string' },
  'write-calibration': { type: 'boolean' },
  'all-images': { type: 'boolean' },
});
const embedderArg = String(args.embedder ?? 'default');
const embedderId = embedderArg === 'default' ? DEFAULT_EMBEDDER_ID : embedderArg;
if (!isBuiltinEmbedder(embedderId)) throw new Error(`unknown embedder ${embedderArg}`);
const detectorName = String(args.detector ?? 'mtcnn');
const folds = parseFolds(args.folds as string | undefined);
const limit = args.limit ? Number(args.limit) : Infinity;
// Flip averaging happens inside the embedder: --flip / --no-flip, else the embedder's own default.
const flip = args.flip ? true : args['no-flip'] ? false : embedderDefaults(embedderId).flip;
// Framing experiments: --box-scale S for 'vggface2', --zoom Z scales the 'aligned' template about the centre.
const boxScale = args['box-scale'] ? Number(args['box-scale']) : undefined;
const zoom = args.zoom ? Number(args.zoom) : undefined;

const backend = await useBackend();
// Descriptors are cached raw; centring is applied when scoring (it is linear, so this equals the embedder's own).
const embedder = await createEmbedder(embedderId, readModelAsset, { flip, centre: false });
const info = embedder.info;
const crop = (args.crop as CropRule | undefined) ?? info.crop;
const template = zoom ? alignmentTemplate(info).map(([u, v]): [number, number] => [0.5 + (u - 0.5) * zoom, 0.5 + (v - 0.5) * zoom]) : undefined;
// --mean fddb: the embedder's stored mean (its default where it has one); folds: the mean of the other folds'
// images (LFW folds are person-disjoint); none.
const meanMode = String(args.mean ?? (embedderDefaults(embedderId).centre ? 'fddb' : 'none'));
if (!['fddb', 'folds', 'none'].includes(meanMode)) throw new Error(`--mean ${meanMode}: use fddb, folds or none`);

const verification = JSON.parse(fs.readFileSync(sharedPath('datasets/lfw/verification.json'), 'utf8')) as { pairs: Pair[] };
// --limit N: the first N/2 same and N/2 different pairs of each fold (keeps folds balanced).
const pairs = folds.flatMap((fold) => {
  const inFold = verification.pairs.filter((p) => p.fold === fold);
  const half = limit === Infinity ? Infinity : Math.ceil(limit / 2);
  return [...inFold.filter((p) => p.same).slice(0, half), ...inFold.filter((p) => !p.same).slice(0, half)];
});
const images = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
// --all-images: also embed every LFW image clustering.json lists (eval:cluster reads the same caches).
const toEmbed = args['all-images']
  ? [...new Set([...images, ...(JSON.parse(fs.readFileSync(sharedPath('datasets/lfw/clustering.json'), 'utf8')) as { images: { image: string }[] }).images.map((i) => i.image)])].sort()
  : images;

// Caches: detections per detector, embeddings per (embedder, crop, detector, flip), each keyed by its weights.
const cacheDir = lfwCacheDir;
fs.mkdirSync(cacheDir, { recursive: true });
const detectionCachePath = path.join(cacheDir, `detections-${detectorKey(detectorName)}.jsonl`);
const embeddingCachePath = lfwEmbeddingCachePath({ embedderId, crop, detector: detectorName, flip, boxScale, zoom });
const detections = readJsonl<{ detection: FaceDetection; fallback: boolean }>(detectionCachePath);
const embeddings = readEmbeddings(embeddingCachePath);

let detector: (FaceDetector & { dispose(): void }) | undefined;
if (detectorName === 'mtcnn') {
  const { createMtcnn } = await import('../../src/ml/mtcnn/index');
  detector = await createMtcnn(readModelAsset);
} else if (detectorName !== 'center') {
  throw new Error(`unknown detector ${detectorName}`);
}

async function detect(image: RgbImage): Promise<{ detection: FaceDetection; fallback: boolean }> {
  const found = detector ? await detector.detect(image) : [];
  const nearest = nearestToCentre(found, image.width, image.height);
  return nearest ? { detection: nearest, fallback: false } : { detection: fallbackDetection(image.width, image.height), fallback: true };
}

const todo = toEmbed.filter((image) => !embeddings.has(image));
const tensorsBefore = tf.memory().numTensors;
const started = performance.now();
let done = 0;
for (const image of todo) {
  const rgb = loadSharedImage(`datasets/lfw/${image}`);
  let found = detections.get(image);
  if (!found) {
    found = await detect(rgb);
    detections.set(image, found);
    fs.appendFileSync(detectionCachePath, JSON.stringify({ image, value: found }) + '\n');
  }
  const faces = cropFaces(rgb, [found.detection], info, { crop, template, boxScale });
  const [vector] = await embedder.embed(faces);
  faces.dispose();
  embeddings.set(image, vector);
  fs.appendFileSync(embeddingCachePath, JSON.stringify({ image, value: Buffer.from(vector.buffer).toString('base64') }) + '\n');
  if (++done % 250 === 0) console.error(`  ${done}/${todo.length} images, ${(done / ((performance.now() - started) / 1000)).toFixed(1)} img/s`);
}
const seconds = (performance.now() - started) / 1000;
if (tf.memory().numTensors !== tensorsBefore) console.error(`warning: ${tf.memory().numTensors - tensorsBefore} tensors leaked`);

if (args['template-stats']) {
  // Mean position of the five keypoints in the 'vggface2' crop (unit square), over MTCNN-detected faces.
  const sums = Array.from({ length: 5 }, () => [0, 0]);
  let n = 0;
  for (const image of images) {
    const d = detections.get(image);
    if (!d || d.fallback) continue;
    const t = cropTransform(d.detection, 'vggface2', 1);
    const det = t.a * t.d - t.b * t.c;
    keypointList(d.detection.keypoints).forEach(([x, y], k) => {
      const dx = x - t.tx;
      const dy = y - t.ty;
      sums[k][0] += (t.d * dx - t.b * dy) / det;
      sums[k][1] += (-t.c * dx + t.a * dy) / det;
    });
    n++;
  }
  console.log('vggface2-crop keypoint means', JSON.stringify(sums.map(([x, y]) => [+(x / n).toFixed(4), +(y / n).toFixed(4)])));
  // Box-relative keypoints and box size, for the fixed fallback box.
  const rel = Array.from({ length: 5 }, () => [0, 0]);
  const box = [0, 0, 0, 0];
  for (const image of images) {
    const d = detections.get(image);
    if (!d || d.fallback) continue;
    const [x, y, w, h] = d.detection.box;
    box[0] += x;
    box[1] += y;
    box[2] += w;
    box[3] += h;
    keypointList(d.detection.keypoints).forEach(([kx, ky], k) => {
      rel[k][0] += (kx - x) / w;
      rel[k][1] += (ky - y) / h;
    });
  }
  console.log('mean box', JSON.stringify(box.map((v) => +(v / n).toFixed(1))), 'box-relative keypoints', JSON.stringify(rel.map(([x, y]) => [+(x / n).toFixed(4), +(y / n).toFixed(4)])));
}

// Centring: the stored FDDB mean, or the mean descriptor of the images of the *other* folds, so that no test
// image contributes to its own statistic.
function fddbMean(): number[] {
  if (embedderId !== 'vggface2-mobilenet') throw new Error(`--mean fddb: ${embedderId} has no stored mean`);
  return meanDescriptor.mean;
}
function meanOf(vectors: Float32Array[]): Float32Array {
  const mean = new Float32Array(vectors[0].length);
  for (const v of vectors) for (let i = 0; i < v.length; i++) mean[i] += v[i] / vectors.length;
  return mean;
}
const metric: SimilarityMetric = info.metric;
const distance = (a: Float32Array, b: Float32Array) => (metric === 'cosine' ? cosineDistance(a, b) : euclideanDistance(a, b));
const scored: ScoredPair[] = [];
for (const fold of folds) {
  const inFold = pairs.filter((p) => p.fold === fold);
  let shift: Float32Array | undefined = meanMode === 'fddb' ? Float32Array.from(fddbMean()) : undefined;
  if (meanMode === 'folds') {
    const others = new Set(pairs.filter((p) => p.fold !== fold).flatMap((p) => [p.a, p.b]));
    shift = meanOf([...others].map((image) => embeddings.get(image)!));
  }
  const prepare = (image: string) => {
    const v = embeddings.get(image)!;
    return shift ? v.map((x, i) => x - shift[i]) : v;
  };
  for (const p of inFold) scored.push({ fold, same: p.same, distance: distance(prepare(p.a), prepare(p.b)) });
}

const folded = lfwFoldScores(scored);
const roc = rocSummary(scored);
const fallbacks = images.filter((image) => detections.get(image)?.fallback).length;
const result = {
  embedder: embedderId,
  crop,
  boxScale: boxScale ?? null,
  zoom: zoom ?? null,
  detector: detectorName,
  mean: meanMode,
  flip,
  backend,
  folds,
  pairs: scored.length,
  images: images.length,
  fallbackImages: fallbacks,
  accuracyMean: folded.accuracyMean,
  accuracyStd: folded.accuracyStd,
  thresholdMean: folded.thresholdMean,
  thresholds: folded.thresholds,
  auc: roc.auc,
  eer: roc.eer,
  tarAtFar1e3: roc.tarAtFar(1e-3),
  tarAtFar1e2: roc.tarAtFar(1e-2),
  embeddedThisRun: todo.length,
  imagesPerSecond: todo.length ? todo.length / seconds : null,
};
const f = (x: number, d = 4) => x.toFixed(d);
console.log(
  `LFW ${embedderId} crop=${crop}${boxScale ? ` box-scale=${boxScale}` : ''}${zoom ? ` zoom=${zoom}` : ''} detector=${detectorName} mean=${meanMode}${flip ? ' flip' : ''} backend=${backend}\n` +
    `  pairs ${scored.length} (${folds.length} folds), images ${images.length}, fallback boxes ${fallbacks}\n` +
    `  accuracy ${f(folded.accuracyMean)} ± ${f(folded.accuracyStd)}  threshold ${f(folded.thresholdMean)} (mean of per-fold best)\n` +
    `  AUC ${f(roc.auc)}  EER ${f(roc.eer)}  TAR@FAR=1e-3 ${f(roc.tarAtFar(1e-3))}  TAR@FAR=1e-2 ${f(roc.tarAtFar(1e-2))}\n` +
    `  throughput ${result.imagesPerSecond ? f(result.imagesPerSecond, 2) + ' images/s over ' + todo.length + ' images (detect+crop+embed)' : 'n/a (all cached)'}`,
);

// Calibration (distance -> P(same)), scored on held-out folds: each fold predicted by a fit on the other nine.
// Distances are rounded to 5 decimals first, as test/similarity/lfw-distances/ stores them, so the unit tests
// recompute exactly what is stored.
let calibration: Record<string, unknown> | undefined;
if (folds.length >= 2) {
  const rounded = scored.map((p) => ({ ...p, distance: Number(p.distance.toFixed(5)) }));
  const candidates = Object.fromEntries(
    Object.entries(FITTERS).map(([name, fit]) => [name, scoreCalibration(heldOutPredictions(rounded, fit))]),
  ) as Record<keyof typeof FITTERS, ReturnType<typeof scoreCalibration>>;
  // The proper score decides: the lower held-out Brier (ECE is printed for both).
  const method = candidates.isotonic.brier < candidates.logistic.brier ? 'isotonic' : 'logistic';
  const chosen = candidates[method];
  const source = `LFW 10-fold (${scored.length} pairs), ${embedderId} crop=${crop}${flip ? ' flip' : ''} mean=${meanMode}; npm run eval:lfw -- --embedder ${embedderId} --write-calibration`;
  const stored = embedderCalibration(rounded, method, info.defaultThreshold, source);
  if (stored.fit.kind === 'logistic') stored.fit = { kind: 'logistic', intercept: Number(stored.fit.intercept.toFixed(6)), slope: Number(stored.fit.slope.toFixed(6)) };
  const points = Object.fromEntries(
    (['strict', 'balanced', 'loose'] as const).map((id) => [id, { threshold: stored.operatingPoints[id], ...ratesOn(rounded, stored.operatingPoints[id]) }]),
  );
  const heldOut = heldOutOperatingRates(rounded);
  calibration = {
    method,
    ece: chosen.ece,
    brier: chosen.brier,
    bins: chosen.bins.map(({ predicted, observed, pairs }) => ({ predicted, observed, pairs })),
    candidates: Object.fromEntries(Object.entries(candidates).map(([name, c]) => [name, { ece: c.ece, brier: c.brier }])),
    operatingPoints: points,
    heldOutOperatingRates: heldOut,
    fit: stored.fit,
  };
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  console.log(
    `  calibration (held-out folds): ` +
      Object.entries(candidates).map(([name, c]) => `${name} ECE ${f(c.ece)} Brier ${f(c.brier)}`).join(';  ') +
      `  -> ${method} (lower Brier)\n` +
      `  reliability, ${method}, 10 bins:  predicted  observed  pairs\n` +
      chosen.bins.map((b) => `    [${b.from.toFixed(1)}, ${b.to.toFixed(1)})       ${b.predicted === null ? '   -  ' : f(b.predicted)}    ${b.observed === null ? '   -  ' : f(b.observed)}  ${String(b.pairs).padStart(5)}`).join('\n') +
      '\n  operating points (all folds):  ' +
      Object.entries(points).map(([id, p]) => `${id} ${p.threshold.toFixed(3)} FMR ${pct(p.falseMatchRate)} miss ${pct(p.missRate)}`).join(';  ') +
      `\n  chosen on 9 folds, measured on the 10th: strict FMR ${pct(heldOut.strictFalseMatchRate)}, loose miss ${pct(heldOut.looseMissRate)}`,
  );
  const isDefaultRun = folds.length === 10 && limit === Infinity && crop === info.crop && flip === embedderDefaults(embedderId).flip && !boxScale && !zoom && detectorName === 'mtcnn' && meanMode === (embedderDefaults(embedderId).centre ? 'fddb' : 'none');
  const plotPath = args.plot ? String(args.plot) : isDefaultRun ? path.join(repoRoot, `docs/calibration/reliability-${embedderId}.svg`) : undefined;
  if (plotPath) {
    fs.mkdirSync(path.dirname(plotPath), { recursive: true });
    fs.writeFileSync(plotPath, reliabilitySvg(`${info.label.replace(/ \(.*\)$/, '')}: calibration on LFW`, `${method}, 10-fold held-out: ECE ${f(chosen.ece, 3)}, Brier ${f(chosen.brier, 3)}, ${scored.length} pairs`, chosen));
    console.log(`  reliability plot: ${path.relative(repoRoot, plotPath)}`);
  }
  if (args['write-calibration']) {
    if (!isDefaultRun) throw new Error('--write-calibration needs the embedder\'s own settings over all 10 folds');
    const calibrationPath = path.join(repoRoot, `src/ml/embedders/${embedderId}/calibration.json`);
    fs.writeFileSync(calibrationPath, JSON.stringify(stored) + '\n');
    // The distances the tests check the stored figures against (LFW pair order; fold, same, distance).
    const distancesPath = path.join(repoRoot, `test/similarity/lfw-distances/${embedderId}.json`);
    fs.mkdirSync(path.dirname(distancesPath), { recursive: true });
    fs.writeFileSync(
      distancesPath,
      JSON.stringify({ embedder: embedderId, source, fold: rounded.map((p) => p.fold), same: rounded.map((p) => (p.same ? 1 : 0)), distance: rounded.map((p) => p.distance) }) + '\n',
    );
    console.log(`  wrote ${path.relative(repoRoot, calibrationPath)} and ${path.relative(repoRoot, distancesPath)}`);
  }
}
if (args.json) fs.writeFileSync(String(args.json), JSON.stringify({ ...result, calibration }, null, 2) + '\n');
embedder.dispose();
detector?.dispose();
