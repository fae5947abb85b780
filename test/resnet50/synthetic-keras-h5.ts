// Writes a synthetic keras_vggface RESNET50 weights file with h5wasm the way Keras' save_weights lays one out:
// root attribute `layer_names` listing every layer (weightless ones too), one group per layer (nested where the
// name has '/') with a `weight_names` attribute, and datasets at `<layer>/<weight name>`. Values are seeded random,
// so every array is distinct and the test can tell which one the loader put where. It uses h5wasm's Node build,
// which writes to a real temporary file (its in-memory FS grows a 94 MB file in small steps, ~10x slower).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import h5wasm from 'h5wasm/node';

export interface SyntheticWeight {
  /** Keras weight name, e.g. `conv2_1_1x1_reduce/bn/moving_mean:0` */
  name: string;
  shape: number[];
  data: Float32Array;
}
export interface SyntheticLayer {
  name: string;
  weights: SyntheticWeight[];
}

export interface SyntheticOptions {
  seed?: number;
  /** add the with-top model's flatten + `classifier` Dense(8631) layers */
  withTop?: boolean;
  /** leave these layers out of the file entirely */
  omitLayers?: string[];
  /** give one weight a different shape */
  reshape?: { layer: string; weight: string; shape: number[] };
  /** extra layers with weights (another architecture sharing ResNet50's names) */
  extraLayers?: SyntheticLayer[];
  /** list layers and each layer's weights in a different order than Keras does */
  shuffleOrder?: boolean;
  /** put the layers under a `model_weights` group, as Keras' model.save does */
  underModelWeights?: boolean;
  /** zeros instead of random values: faster, for files that only need the right structure */
  zeros?: boolean;
}

export interface SyntheticFile {
  bytes: Uint8Array;
  /** layers in Keras' graph order, weightless ones included */
  layers: SyntheticLayer[];
  /** the weights of a layer by its last name part (`kernel`, `gamma`, ...), for a reference implementation */
  weight(layer: string, vector: string): SyntheticWeight;
}

/** mulberry32: small, seeded, good enough to make every array distinct */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The layer list of keras_vggface RESNET50 in graph order, as written independently of src/. */
function kerasResnet50Layers(withTop: boolean): Array<{ name: string; conv?: [k: number, cin: number, cout: number]; bn?: number }> {
  const layers: Array<{ name: string; conv?: [number, number, number]; bn?: number }> = [];
  let activation = 0;
  let add = 0;
  const relu = () => layers.push({ name: `activation_${++activation}` });
  layers.push({ name: 'input_1' });
  layers.push({ name: 'conv1/7x7_s2', conv: [7, 3, 64] }, { name: 'conv1/7x7_s2/bn', bn: 64 });
  relu();
  layers.push({ name: 'max_pooling2d_1' });
  let cin = 64;
  const stages: Array<[stage: number, blocks: number, mid: number, out: number]> = [
    [2, 3, 64, 256],
    [3, 4, 128, 512],
    [4, 6, 256, 1024],
    [5, 3, 512, 2048],
  ];
  for (const [stage, blocks, mid, out] of stages) {
    for (let b = 1; b <= blocks; b++) {
      const p = `conv${stage}_${b}`;
      layers.push({ name: `${p}_1x1_reduce`, conv: [1, cin, mid] }, { name: `${p}_1x1_reduce/bn`, bn: mid });
      relu();
      layers.push({ name: `${p}_3x3`, conv: [3, mid, mid] }, { name: `${p}_3x3/bn`, bn: mid });
      relu();
      layers.push({ name: `${p}_1x1_increase`, conv: [1, mid, out] });
      // Keras orders the projection branch after increase, as both hang off the block input
      if (b === 1) layers.push({ name: `${p}_1x1_proj`, conv: [1, cin, out] });
      layers.push({ name: `${p}_1x1_increase/bn`, bn: out });
      if (b === 1) layers.push({ name: `${p}_1x1_proj/bn`, bn: out });
      layers.push({ name: `add_${++add}` });
      relu();
      cin = out;
    }
  }
  layers.push({ name: 'avg_pool' });
  if (withTop) layers.push({ name: 'flatten_1' }, { name: 'classifier' });
  return layers;
}

let written = 0;

export async function writeSyntheticResnet50H5(options: SyntheticOptions = {}): Promise<SyntheticFile> {
  const next = random(options.seed ?? 1);
  const fill = (length: number, low: number, high: number) => {
    const data = new Float32Array(length);
    if (!options.zeros) for (let i = 0; i < length; i++) data[i] = low + (high - low) * next();
    return data;
  };
  const omitted = new Set(options.omitLayers ?? []);
  const layers: SyntheticLayer[] = kerasResnet50Layers(options.withTop ?? false)
    .filter((l) => !omitted.has(l.name))
    .map(({ name, conv, bn }) => {
      const weights: SyntheticWeight[] = [];
      if (conv) {
        const [k, cin, cout] = conv;
        // He-uniform keeps activations of the random 50-layer network in a sane range
        const limit = Math.sqrt(6 / (k * k * cin));
        weights.push({ name: `${name}/kernel:0`, shape: [k, k, cin, cout], data: fill(k * k * cin * cout, -limit, limit) });
      }
      if (bn) {
        weights.push(
          { name: `${name}/gamma:0`, shape: [bn], data: fill(bn, 0.6, 1.2) },
          { name: `${name}/beta:0`, shape: [bn], data: fill(bn, -0.2, 0.2) },
          { name: `${name}/moving_mean:0`, shape: [bn], data: fill(bn, -0.2, 0.2) },
          { name: `${name}/moving_variance:0`, shape: [bn], data: fill(bn, 0.5, 1.5) },
        );
      }
      if (name === 'classifier') {
        weights.push(
          { name: 'classifier/kernel:0', shape: [2048, 8631], data: fill(2048 * 8631, -0.03, 0.03) },
          { name: 'classifier/bias:0', shape: [8631], data: fill(8631, -0.1, 0.1) },
        );
      }
      return { name, weights };
    });
  layers.push(...(options.extraLayers ?? []));
  if (options.reshape) {
    const { layer, weight, shape } = options.reshape;
    const target = layers.find((l) => l.name === layer)?.weights.find((w) => w.name.endsWith(`/${weight}:0`));
    if (!target) throw new Error(`fixture: no ${layer} ${weight}`);
    target.shape = shape;
    target.data = fill(shape.reduce((a, b) => a * b, 1), -0.1, 0.1);
  }

  await h5wasm.ready;
  const filePath = path.join(os.tmpdir(), `synthetic-resnet50-${process.pid}-${++written}.h5`);
  const file = new h5wasm.File(filePath, 'w');
  const root = options.underModelWeights ? file.create_group('model_weights') : file;
  const created = new Set<string>();
  // h5wasm creates one group level at a time; Keras names like conv1/7x7_s2 need their parents first
  const ensureGroup = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (!created.has(prefix)) {
        root.create_group(prefix);
        created.add(prefix);
      }
    }
    return root.get(path) as InstanceType<typeof h5wasm.Group>;
  };
  const stringsAttribute = (target: InstanceType<typeof h5wasm.Group>, name: string, values: string[]) => {
    if (values.length === 0) {
      // what h5py writes for Keras' empty weight list: a zero-length float64 array
      target.create_attribute(name, new Float64Array(0), [0], '<d');
    } else {
      const longest = Math.max(...values.map((v) => v.length));
      target.create_attribute(name, values, [values.length], `A${longest}`);
    }
  };

  const order = <T,>(items: T[]) => (options.shuffleOrder ? [...items].reverse() : items);
  stringsAttribute(root, 'layer_names', order(layers.map((l) => l.name)));
  file.create_attribute('backend', 'tensorflow');
  file.create_attribute('keras_version', '2.1.5');
  for (const layer of order(layers)) {
    const group = ensureGroup(layer.name);
    stringsAttribute(group, 'weight_names', order(layer.weights.map((w) => w.name)));
    for (const weight of layer.weights) {
      const parent = weight.name.split('/').slice(0, -1).join('/');
      if (parent) ensureGroup(`${layer.name}/${parent}`);
      group.create_dataset({ name: weight.name, data: weight.data, shape: weight.shape, dtype: '<f4' });
    }
  }
  file.close();
  const bytes = new Uint8Array(fs.readFileSync(filePath));
  fs.rmSync(filePath);

  const byLayer = new Map(layers.map((l) => [l.name, l]));
  return {
    bytes,
    layers,
    weight(layer, vector) {
      const found = byLayer.get(layer)?.weights.find((w) => w.name.endsWith(`/${vector}:0`));
      if (!found) throw new Error(`fixture has no ${layer} ${vector}`);
      return found;
    },
  };
}
