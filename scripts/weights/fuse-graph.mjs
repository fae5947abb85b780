// Rewrites a tfjs graph model (model.json + its single weights file) so that every convolution followed by its
// per-channel scale, bias and ReLU/ReLU6 runs as one fused op, the form tfjs-converter itself emits
// (`_FusedConv2D` / `FusedDepthwiseConv2dNative` with `fused_ops`, `num_args`): one XNNPACK call per layer on
// WASM instead of a convolution plus four or five elementwise passes over the feature map.
//
// Patterns (each intermediate node must have exactly one consumer and not be a graph output):
//   Conv2D|DepthwiseConv2dNative -> [Mul c] -> Add|BiasAdd b -> [Relu [-> Minimum 6 -> Maximum 0]]
// where c and b are constant per-output-channel vectors. `Mul c` is folded into the filter (filter[..., o] * c[o],
// computed in float32: the same values up to float32 rounding); the filter is then stored as plain float32.
// Relu -> Minimum 6 -> Maximum 0 is exactly ReLU6 (clip to [0, 6]). Every other weight keeps its bytes as they were
// (float16-quantized ones stay float16); constants no node reads any more are dropped.

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 };

function float16ToFloat32(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function specBytes(spec) {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.quantization) {
    if (spec.quantization.dtype !== 'float16' || spec.dtype !== 'float32') {
      throw new Error(`fuse-graph: ${spec.name}: unsupported quantization ${JSON.stringify(spec.quantization)}`);
    }
    return size * 2;
  }
  if (!(spec.dtype in DTYPE_BYTES)) throw new Error(`fuse-graph: ${spec.name}: unsupported dtype ${spec.dtype}`);
  return size * DTYPE_BYTES[spec.dtype];
}

/** The float32 values of a float32 weight (float16-quantized or plain), as tfjs dequantizes them at load. */
function decodeFloat32(spec, bytes) {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(size);
  if (spec.dtype !== 'float32') throw new Error(`fuse-graph: ${spec.name} is ${spec.dtype}, not float32`);
  if (spec.quantization) for (let i = 0; i < size; i++) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
  else for (let i = 0; i < size; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

const enc = (s) => Buffer.from(s, 'utf8').toString('base64');

/**
 * @param {Uint8Array} modelJsonBytes model.json as in the package
 * @param {Uint8Array} weightBytes the concatenated weight files its manifest names (one group)
 * @param {{ reverseInputChannels?: string }} [options] reverseInputChannels: the name of an input whose only
 *   reader is a convolution; its filter's input channels are reversed, so the graph takes that input with its
 *   channels in the opposite order (RGB instead of BGR) and the caller need not reverse them (an exact reordering
 *   of the filter's values, float16 ones included)
 * @returns {{ modelJson: Buffer, weights: Buffer, fused: { name: string, op: string, fusedOps: string[], folded: boolean }[] }}
 */
export function fuseConvolutions(modelJsonBytes, weightBytes, options = {}) {
  const model = JSON.parse(Buffer.from(modelJsonBytes).toString('utf8'));
  if (model.format !== 'graph-model') throw new Error(`fuse-graph: not a graph model (${model.format})`);
  if (model.weightsManifest.length !== 1) throw new Error('fuse-graph: expects one weights group');
  const group = model.weightsManifest[0];

  // Weights by name: spec + its bytes in the original file.
  const weights = new Map();
  let offset = 0;
  for (const spec of group.weights) {
    const length = specBytes(spec);
    weights.set(spec.name, { spec, bytes: weightBytes.subarray(offset, offset + length) });
    offset += length;
  }
  if (offset !== weightBytes.length) throw new Error(`fuse-graph: manifest covers ${offset} of ${weightBytes.length} bytes`);

  const nodes = model.modelTopology.node;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const outputs = new Set(Object.values(model.signature?.outputs ?? {}).map((o) => o.name.replace(/:0$/, '')));
  const inputName = (input) => input.replace(/^\^/, '').replace(/:\d+$/, '');
  const consumers = new Map();
  for (const n of nodes) for (const input of n.input ?? []) {
    const name = inputName(input);
    if (!consumers.has(name)) consumers.set(name, []);
    consumers.get(name).push(n);
  }
  /** The one node that reads `node`, if exactly one does and `node` is not a graph output. */
  const soleConsumer = (node) => {
    const list = consumers.get(node.name) ?? [];
    return list.length === 1 && !outputs.has(node.name) ? list[0] : undefined;
  };
  /** The other input of a binary op when it is a constant with float32 weights: [constNode, values]. */
  const constOperand = (node, from) => {
    if ((node.input ?? []).length !== 2) return undefined;
    const other = node.input.map(inputName).find((name) => name !== from.name);
    const c = byName.get(other);
    if (!c || c.op !== 'Const' || !weights.has(c.name) || node.input.map(inputName).filter((x) => x === from.name).length !== 1) return undefined;
    const w = weights.get(c.name);
    return [c, decodeFloat32(w.spec, w.bytes), w.spec.shape];
  };

  const removed = new Set();
  const replaced = new Map(); // weight name -> Float32Array (now plain float32)
  const fused = [];
  for (const conv of nodes) {
    if (conv.op !== 'Conv2D' && conv.op !== 'DepthwiseConv2dNative') continue;
    const depthwise = conv.op === 'DepthwiseConv2dNative';
    const filterNode = byName.get(inputName(conv.input[1]));
    if (filterNode?.op !== 'Const' || !weights.has(filterNode.name)) continue;
    const filterSpec = weights.get(filterNode.name).spec;
    const [, , inChannels, multiplier] = filterSpec.shape;
    const outChannels = depthwise ? inChannels * multiplier : multiplier;
    const perChannel = (shape) => shape.length === 1 && shape[0] === outChannels;

    const chain = [];
    let last = conv;
    let next = soleConsumer(conv);
    let scale;
    if (next?.op === 'Mul') {
      const operand = constOperand(next, last);
      if (operand && perChannel(operand[2]) && (consumers.get(filterNode.name) ?? []).length === 1) {
        scale = operand[1];
        chain.push(next);
        last = next;
        next = soleConsumer(next);
      }
    }
    if (next?.op !== 'Add' && next?.op !== 'BiasAdd') continue;
    const biasOperand = constOperand(next, last);
    if (!biasOperand || !perChannel(biasOperand[2])) continue;
    const biasNode = biasOperand[0];
    chain.push(next);
    last = next;
    next = soleConsumer(next);
    let activation;
    if (next?.op === 'Relu') {
      activation = 'Relu';
      chain.push(next);
      last = next;
      const min = soleConsumer(next);
      const minOperand = min?.op === 'Minimum' ? constOperand(min, next) : undefined;
      const max = minOperand && soleConsumer(min);
      const maxOperand = max?.op === 'Maximum' ? constOperand(max, min) : undefined;
      const scalar = (operand, value) => operand && operand[1].length === 1 && operand[2].length === 0 && operand[1][0] === value;
      if (scalar(minOperand, 6) && scalar(maxOperand, 0)) {
        activation = 'Relu6';
        chain.push(min, max);
        last = max;
      }
    }
    if (scale) {
      const w = weights.get(filterNode.name);
      const filter = decodeFloat32(w.spec, w.bytes);
      // HWIO (conv) or HWCM (depthwise, output channel c*M+m): the output channel is the fastest-varying index
      // over the last one (conv) or the last two (depthwise) dimensions, in both cases `i % outChannels`.
      for (let i = 0; i < filter.length; i++) filter[i] = Math.fround(filter[i] * scale[i % outChannels]);
      replaced.set(filterNode.name, filter);
    }
    const fusedOps = activation ? ['BiasAdd', activation] : ['BiasAdd'];
    const attr = { ...conv.attr };
    attr.fused_ops = { list: { s: fusedOps.map(enc) } };
    attr.num_args = { i: '1' };
    if (!depthwise) attr.epsilon = { f: 0 };
    // The fused node takes the name of the last node it replaces, so its consumers need no change.
    const fusedNode = { name: last.name, op: depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D', input: [conv.input[0], conv.input[1], biasNode.name], attr };
    if (conv.device) fusedNode.device = conv.device;
    removed.add(conv);
    for (const n of chain) removed.add(n);
    byName.set(last.name, fusedNode);
    conv.replacement = fusedNode;
    fused.push({ name: last.name, op: fusedNode.op, fusedOps, folded: Boolean(scale) });
  }

  const reordered = new Map(); // weight name -> its bytes with the filter's input channels reversed
  if (options.reverseInputChannels) {
    const name = options.reverseInputChannels;
    const readers = consumers.get(name) ?? [];
    const conv = readers[0]?.replacement ?? readers[0];
    const filterName = conv && inputName(conv.input[1]);
    const w = weights.get(filterName);
    if (byName.get(name)?.op !== 'Placeholder' || readers.length !== 1 || !['Conv2D', '_FusedConv2D'].includes(conv.op) ||
        inputName(conv.input[0]) !== name || !w || (consumers.get(filterName) ?? []).length !== 1) {
      throw new Error(`fuse-graph: ${name} is not read by exactly one convolution with its own filter`);
    }
    const [kh, kw, channels, outChannels] = w.spec.shape;
    const values = replaced.get(filterName);
    const src = values ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : w.bytes;
    const element = src.length / (kh * kw * channels * outChannels);
    const dst = new Uint8Array(src.length);
    const row = outChannels * element;
    for (let hw = 0; hw < kh * kw; hw++) {
      for (let c = 0; c < channels; c++) {
        const from = (hw * channels + (channels - 1 - c)) * row;
        dst.set(src.subarray(from, from + row), (hw * channels + c) * row);
      }
    }
    if (values) replaced.set(filterName, new Float32Array(dst.buffer));
    else reordered.set(filterName, dst);
  }

  // New node list: each fused node where its convolution was; then drop constants nobody reads any more.
  let newNodes = [];
  for (const n of nodes) {
    if (n.replacement) newNodes.push(n.replacement);
    else if (!removed.has(n)) newNodes.push(n);
  }
  const read = new Set(newNodes.flatMap((n) => (n.input ?? []).map(inputName)));
  const inputs = new Set(Object.values(model.signature?.inputs ?? {}).map((o) => o.name.replace(/:0$/, '')));
  newNodes = newNodes.filter((n) => n.op !== 'Const' || read.has(n.name) || outputs.has(n.name) || inputs.has(n.name));
  const kept = new Set(newNodes.map((n) => n.name));

  const specs = [];
  const chunks = [];
  for (const spec of group.weights) {
    if (!kept.has(spec.name)) continue;
    const values = replaced.get(spec.name);
    if (values) {
      specs.push({ name: spec.name, shape: spec.shape, dtype: 'float32' });
      chunks.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    } else {
      specs.push(spec);
      chunks.push(Buffer.from(reordered.get(spec.name) ?? weights.get(spec.name).bytes));
    }
  }
  const out = { ...model, modelTopology: { ...model.modelTopology, node: newNodes }, weightsManifest: [{ ...group, weights: specs }] };
  // what a loader checks before feeding this graph channels in the new order
  if (options.reverseInputChannels) out.userDefinedMetadata = { ...model.userDefinedMetadata, reversedInputChannels: options.reverseInputChannels };
  return { modelJson: Buffer.from(JSON.stringify(out)), weights: Buffer.concat(chunks), fused };
}
