// Reads the user's keras_vggface ResNet50 .h5 (notop or with-top) with h5wasm, in a worker or in Node, mapping
// arrays by the file's own `layer_names` / `weight_names` attributes the way Keras' load_weights does.
import type H5wasm from 'h5wasm';
import type { Dataset, Entity, Group } from 'h5wasm';
import { BN_VECTOR_NAMES, RESNET50_CONV_LAYERS, bnLayerName, bnKey, kernelKey } from './architecture';
import { Resnet50WeightsError, listSome, validateResnet50Weights, type Resnet50Weights, type WeightArray } from './weights';

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Layers with weights that the with-top file adds and the embedder does not use. */
const IGNORED_WEIGHTED_LAYERS = new Set(['classifier']);

/** HDF5 puts its superblock at 0, 512, 1024, 2048, ... (after an optional user block). */
function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

function asStrings(value: unknown): string[] | null {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  // h5py writes an empty list (a layer without weights) as an empty float array
  if (ArrayBuffer.isView(value) && (value as unknown as ArrayLike<number>).length === 0) return [];
  return null;
}

/** A Keras string-list attribute; Keras splits ones over 64 KiB into `${name}0`, `${name}1`, ... */
function readStringList(group: Group, name: string): string[] | null {
  const attrs = group.attrs;
  if (name in attrs) return asStrings(attrs[name].value);
  if (!(`${name}0` in attrs)) return null;
  const joined: string[] = [];
  for (let chunk = 0; `${name}${chunk}` in attrs; chunk++) {
    const part = asStrings(attrs[`${name}${chunk}`].value);
    if (!part) return null;
    joined.push(...part);
  }
  return joined;
}

/** `conv1/7x7_s2/kernel:0` -> `kernel`; `conv1/7x7_s2/bn/moving_mean:0` -> `moving_mean`. */
const vectorName = (weightName: string) => weightName.replace(/:\d+$/, '').split('/').pop() ?? '';

function toFloat32(dataset: Dataset, where: string): Float32Array {
  const meta = dataset.metadata;
  if (!meta.littleEndian && meta.size > 1) throw new Resnet50WeightsError(`${where}: big-endian data is not supported`);
  const value = dataset.value;
  if (value instanceof Float32Array) return value;
  if (value instanceof Float64Array || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    return Float32Array.from(value as unknown as ArrayLike<number>);
  }
  throw new Resnet50WeightsError(`${where}: not a numeric array`);
}

function mapWeights(h5: typeof H5wasm, root: Group): Resnet50Weights {
  const isGroup = (entity: Entity | null): entity is Group => entity instanceof h5.Group;
  const isDataset = (entity: Entity | null): entity is Dataset => entity instanceof h5.Dataset;
  const layerNames = readStringList(root, 'layer_names');
  if (!layerNames) {
    throw new Resnet50WeightsError('not a Keras weights file: the HDF5 file has no "layer_names" attribute');
  }
  const inFile = new Set(layerNames);
  const missing: string[] = [];
  const wrongShape: string[] = [];
  const weights = new Map<string, WeightArray>();

  // [layer name, vector names expected there, key of each vector, expected shape of each vector]
  const wanted = RESNET50_CONV_LAYERS.flatMap((conv) => [
    { layer: conv.name, vectors: { kernel: kernelKey(conv.name) } as Record<string, string>, shape: (v: string) => (v === 'kernel' ? [conv.kernelSize, conv.kernelSize, conv.inChannels, conv.outChannels] : [conv.outChannels]) },
    {
      layer: bnLayerName(conv.name),
      vectors: Object.fromEntries(BN_VECTOR_NAMES.map((v) => [v, bnKey(conv.name, v)])) as Record<string, string>,
      shape: () => [conv.outChannels],
    },
  ]);
  const wantedLayers = new Set(wanted.map((w) => w.layer));

  for (const { layer, vectors, shape } of wanted) {
    const group = inFile.has(layer) ? root.get(layer) : null;
    if (!isGroup(group)) {
      missing.push(`layer ${layer}`);
      continue;
    }
    const weightNames = readStringList(group, 'weight_names') ?? [];
    const byVector = new Map(weightNames.map((name) => [vectorName(name), name]));
    for (const unexpected of [...byVector.keys()].filter((v) => !(v in vectors))) {
      wrongShape.push(`${layer} has an unexpected weight "${unexpected}"`);
    }
    for (const [vector, key] of Object.entries(vectors)) {
      const weightName = byVector.get(vector);
      const dataset = weightName ? group.get(weightName) : null;
      if (!isDataset(dataset)) {
        missing.push(`${layer} ${vector}`);
        continue;
      }
      const actual = dataset.shape ?? [];
      const expected = shape(vector);
      if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
        wrongShape.push(`${layer} ${vector} is [${actual.join(', ')}], expected [${expected.join(', ')}]`);
        continue;
      }
      weights.set(key, { shape: expected, data: toFloat32(dataset, `${layer} ${vector}`) });
    }
  }

  // another Keras model (SENet50 shares these names and shapes but adds layers) must not pass for ResNet50
  const foreign = layerNames.filter((name) => {
    if (wantedLayers.has(name) || IGNORED_WEIGHTED_LAYERS.has(name)) return false;
    const group = root.get(name);
    return isGroup(group) && (readStringList(group, 'weight_names') ?? []).length > 0;
  });

  const problems = [
    missing.length ? `missing ${listSome(missing)}` : '',
    wrongShape.length ? listSome(wrongShape, 4) : '',
    foreign.length ? `layers that keras_vggface RESNET50 does not have: ${listSome(foreign)}` : '',
  ].filter(Boolean);
  if (problems.length) {
    throw new Resnet50WeightsError(`not the keras_vggface VGGFace2 ResNet50 weights file: ${problems.join('; ')}`);
  }
  validateResnet50Weights(weights);
  return weights;
}

/** The innermost frame of an HDF5 error stack says what is actually wrong ("truncated file: eof = ..."). */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const frames = [...text.matchAll(/ in \w+\(\): (.+)$/gm)];
  return frames.length ? frames[frames.length - 1][1].trim() : text.split('\n')[0];
}

let openedFiles = 0;

/**
 * Reads rcmalli_vggface_tf_notop_resnet50.h5 (or the with-top file, whose classifier is ignored) into named
 * Float32Arrays. Rejects with a Resnet50WeightsError naming what is missing when the bytes are not that model.
 */
export async function readVggface2Resnet50H5(bytes: ArrayBuffer | Uint8Array): Promise<Resnet50Weights> {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (!hasHdf5Signature(view)) {
    throw new Resnet50WeightsError(
      'not an HDF5 file (no HDF5 signature): expected a Keras .h5 weights file such as rcmalli_vggface_tf_notop_resnet50.h5',
    );
  }
  // loaded on demand: the 4 MB HDF5 library is only needed when a user brings a file
  const { default: h5wasm } = await import('h5wasm');
  const module = await h5wasm.ready;
  const path = `/vggface2-resnet50-${++openedFiles}.h5`;
  module.FS.writeFile(path, view);
  module.activate_throwing_error_handler();
  let file: InstanceType<typeof h5wasm.File> | undefined;
  try {
    file = new h5wasm.File(path, 'r');
    // weights-only files keep layer_names at the root; full-model files under "model_weights"
    const modelWeights = 'layer_names' in file.attrs ? null : file.get('model_weights');
    return mapWeights(h5wasm, modelWeights instanceof h5wasm.Group ? modelWeights : file);
  } catch (error) {
    if (error instanceof Resnet50WeightsError) throw error;
    throw new Resnet50WeightsError(`the HDF5 file could not be read (truncated or damaged?): ${hdf5Reason(error)}`);
  } finally {
    file?.close();
    module.FS.unlink(path);
    module.deactivate_throwing_error_handler();
  }
}
