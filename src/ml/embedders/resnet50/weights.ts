// The mapped ResNet50 weights (plain Float32Arrays keyed by layer and vector) and their compact serialisation:
// one Float32 buffer plus a small JSON spec, so the worker can keep them in IndexedDB and reload them without h5wasm.
import { RESNET50_PARAMETER_COUNT, RESNET50_WEIGHT_SHAPES } from './architecture';

export interface WeightArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Keys as in RESNET50_WEIGHT_SHAPES: `conv2_1_1x1_reduce/kernel`, `conv2_1_1x1_reduce/bn/gamma`, ... */
export type Resnet50Weights = ReadonlyMap<string, WeightArray>;

/** A file or stored blob that is not the keras_vggface ResNet50; the message says what is wrong or missing. */
export class Resnet50WeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Resnet50WeightsError';
  }
}

/** Stored form: MAGIC, uint32 JSON length, JSON spec, zero padding to 4 bytes, then every array's float32 values. */
const MAGIC = 'FMRN50W1';
const FORMAT = 'facematch-vggface2-resnet50-weights';

export interface SerializedResnet50Spec {
  format: typeof FORMAT;
  /** arrays in buffer order; each starts where the previous one ends */
  arrays: Array<{ key: string; shape: number[] }>;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Lists at most `limit` items, then how many more, so an error about a wholly wrong file stays readable. */
export function listSome(items: readonly string[], limit = 12): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown} and ${items.length - limit} more` : shown;
}

/** Checks that every array the network needs is present with the right shape and size, and nothing else. */
export function validateResnet50Weights(weights: Resnet50Weights): void {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const { key, shape } of RESNET50_WEIGHT_SHAPES) {
    const found = weights.get(key);
    if (!found) missing.push(key);
    else if (!sameShape(found.shape, shape) || found.data.length !== sizeOf(shape)) {
      wrong.push(`${key} is [${found.shape.join(', ')}] with ${found.data.length} values, expected [${shape.join(', ')}]`);
    }
  }
  const expected = new Set(RESNET50_WEIGHT_SHAPES.map((w) => w.key));
  const extra = [...weights.keys()].filter((key) => !expected.has(key));
  const problems = [
    missing.length ? `missing ${listSome(missing)}` : '',
    wrong.length ? `wrong shape: ${listSome(wrong, 4)}` : '',
    extra.length ? `unexpected ${listSome(extra)}` : '',
  ].filter(Boolean);
  if (problems.length) throw new Resnet50WeightsError(`VGGFace2 ResNet50 weights: ${problems.join('; ')}`);
  let total = 0;
  for (const { data } of weights.values()) total += data.length;
  if (total !== RESNET50_PARAMETER_COUNT) {
    throw new Resnet50WeightsError(`VGGFace2 ResNet50 weights: ${total} parameters, expected ${RESNET50_PARAMETER_COUNT}`);
  }
}

/** Packs the weights into one self-describing ArrayBuffer (about 94 MB) for IndexedDB. */
export function serializeResnet50Weights(weights: Resnet50Weights): ArrayBuffer {
  validateResnet50Weights(weights);
  const spec: SerializedResnet50Spec = {
    format: FORMAT,
    arrays: RESNET50_WEIGHT_SHAPES.map(({ key, shape }) => ({ key, shape: [...shape] })),
  };
  const json = new TextEncoder().encode(JSON.stringify(spec));
  const dataOffset = Math.ceil((MAGIC.length + 4 + json.length) / 4) * 4;
  const buffer = new ArrayBuffer(dataOffset + RESNET50_PARAMETER_COUNT * 4);
  const bytes = new Uint8Array(buffer);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(buffer).setUint32(MAGIC.length, json.length, true);
  bytes.set(json, MAGIC.length + 4);
  const values = new Float32Array(buffer, dataOffset);
  let offset = 0;
  for (const { key, shape } of spec.arrays) {
    values.set((weights.get(key) as WeightArray).data, offset);
    offset += sizeOf(shape);
  }
  return buffer;
}

/** Rebuilds the weights as views into `stored` (no copy); refuses a buffer that is not a complete ResNet50. */
export function deserializeResnet50Weights(stored: ArrayBuffer): Resnet50Weights {
  const fail = (why: string): never => {
    throw new Resnet50WeightsError(`stored VGGFace2 ResNet50 weights are unusable: ${why}`);
  };
  // tag check, not instanceof: buffers from IndexedDB or another realm are still ArrayBuffers
  if (Object.prototype.toString.call(stored) !== '[object ArrayBuffer]') fail('not an ArrayBuffer');
  const header = MAGIC.length + 4;
  if (stored.byteLength < header || new TextDecoder().decode(new Uint8Array(stored, 0, MAGIC.length)) !== MAGIC) {
    fail(`no ${MAGIC} header`);
  }
  const jsonLength = new DataView(stored).getUint32(MAGIC.length, true);
  if (header + jsonLength > stored.byteLength) fail('truncated header');
  let spec: SerializedResnet50Spec | undefined;
  try {
    spec = JSON.parse(new TextDecoder().decode(new Uint8Array(stored, header, jsonLength))) as SerializedResnet50Spec;
  } catch {
    fail('damaged header');
  }
  if (spec?.format !== FORMAT || !Array.isArray(spec.arrays)) return fail(`format ${String(spec?.format)}`);
  const dataOffset = Math.ceil((header + jsonLength) / 4) * 4;
  const needed = spec.arrays.reduce((sum, a) => sum + sizeOf(a.shape), 0);
  if (stored.byteLength !== dataOffset + needed * 4) {
    fail(`${stored.byteLength - dataOffset} bytes of values, the spec needs ${needed * 4}`);
  }
  const weights = new Map<string, WeightArray>();
  let offset = dataOffset;
  for (const { key, shape } of spec.arrays) {
    const length = sizeOf(shape);
    weights.set(key, { shape: [...shape], data: new Float32Array(stored, offset, length) });
    offset += length * 4;
  }
  validateResnet50Weights(weights);
  return weights;
}
