// Minimal TFLite (schema v3) reader: the constant tensors of a flat model and the ops that use them.
// Field indices follow tensorflow/lite/schema/schema.fbs; only what the converter needs is read.
import * as flatbuffers from 'flatbuffers';

const TENSOR_TYPE_FLOAT32 = 0;
const TENSOR_TYPE_INT32 = 2;

function vectorOfTables(bb, table, field, read) {
  const offset = bb.__offset(table, 4 + 2 * field);
  if (!offset) return [];
  const start = bb.__vector(table + offset);
  const length = bb.__vector_len(table + offset);
  const out = [];
  for (let i = 0; i < length; i++) out.push(read(bb.__indirect(start + 4 * i)));
  return out;
}

function vectorOfInt32(bb, table, field) {
  const offset = bb.__offset(table, 4 + 2 * field);
  if (!offset) return [];
  const start = bb.__vector(table + offset);
  const length = bb.__vector_len(table + offset);
  return Array.from({ length }, (_, i) => bb.readInt32(start + 4 * i));
}

function scalar(bb, table, field, read, fallback) {
  const offset = bb.__offset(table, 4 + 2 * field);
  return offset ? read(table + offset) : fallback;
}

function string(bb, table, field) {
  const offset = bb.__offset(table, 4 + 2 * field);
  return offset ? bb.__string(table + offset) : '';
}

/** Parses a .tflite file into {tensors:[{name, shape, data?: Float32Array}], operators:[{opcode, inputs, outputs}]}. */
export function readTflite(bytes) {
  const bb = new flatbuffers.ByteBuffer(new Uint8Array(bytes));
  const identifier = bb.__has_identifier('TFL3');
  if (!identifier) throw new Error('not a TFLite v3 flatbuffer (missing "TFL3" identifier)');
  const model = bb.readInt32(bb.position()) + bb.position();
  const version = scalar(bb, model, 0, (p) => bb.readUint32(p), 0);
  if (version !== 3) throw new Error(`unsupported TFLite schema version ${version}`);

  const buffers = vectorOfTables(bb, model, 4, (buffer) => {
    const offset = bb.__offset(buffer, 4);
    if (!offset) return null;
    const start = bb.__vector(buffer + offset);
    const length = bb.__vector_len(buffer + offset);
    return bb.bytes().subarray(start, start + length);
  });
  const opcodes = vectorOfTables(bb, model, 1, (code) => {
    const deprecated = scalar(bb, code, 0, (p) => bb.readInt8(p), 0);
    const builtin = scalar(bb, code, 3, (p) => bb.readInt32(p), 0);
    return Math.max(deprecated, builtin);
  });
  const subgraphs = vectorOfTables(bb, model, 2, (subgraph) => subgraph);
  if (subgraphs.length !== 1) throw new Error(`expected one subgraph, found ${subgraphs.length}`);
  const graph = subgraphs[0];

  const tensors = vectorOfTables(bb, graph, 0, (tensor) => {
    const shape = vectorOfInt32(bb, tensor, 0);
    const type = scalar(bb, tensor, 1, (p) => bb.readInt8(p), 0);
    const bufferIndex = scalar(bb, tensor, 2, (p) => bb.readUint32(p), 0);
    const name = string(bb, tensor, 3);
    const raw = buffers[bufferIndex];
    let data;
    if (raw && raw.length > 0) {
      // Copy: flatbuffer vectors are not guaranteed 4-byte aligned.
      const copy = raw.slice().buffer;
      if (type === TENSOR_TYPE_FLOAT32) data = new Float32Array(copy);
      else if (type === TENSOR_TYPE_INT32) data = new Int32Array(copy);
      else throw new Error(`tensor ${name}: constant of type ${type} is not supported`);
      const expected = shape.reduce((a, b) => a * b, 1);
      if (data.length !== expected) throw new Error(`tensor ${name}: ${data.length} values for shape [${shape}]`);
    }
    return { name, shape, type, data };
  });
  const operators = vectorOfTables(bb, graph, 3, (op) => ({
    opcode: opcodes[scalar(bb, op, 0, (p) => bb.readUint32(p), 0)],
    inputs: vectorOfInt32(bb, op, 1),
    outputs: vectorOfInt32(bb, op, 2),
  }));
  return { tensors, operators, inputs: vectorOfInt32(bb, graph, 1), outputs: vectorOfInt32(bb, graph, 2) };
}
