// Nearest-neighbour search over every face of one embedder. Vectors are kept as int8 with one scale per vector
// (a quarter of float32; distance error ~1e-3, see docs/clustering.md); search is brute force as a matmul on the
// process's tfjs backend (WASM in Node and the CPU worker), over float32 column blocks built lazily from the int8
// copy: measured at 50,000 faces, a JS loop took ~1.2 s per 100 queries, the matmul ~70 ms.
import * as tf from '@tensorflow/tfjs-core';
import type { SimilarityMetric } from '../types';

export interface FaceVector {
  faceId: string;
  photoId: string;
  vector: Float32Array;
}

export interface Neighbour {
  faceId: string;
  photoId: string;
  distance: number;
}

// Faces per column block: adding faces rebuilds only the block they land in.
const BLOCK = 8192;
// Query rows per matmul: bounds the score matrix (QUERY_ROWS x BLOCK floats).
const QUERY_ROWS = 1024;
const DEAD = -1e30;
// Faces per chunk of the all-pairs graph.
const GRAPH_CHUNK = 2048;

interface Block {
  matrix: tf.Tensor2D; // [dim, BLOCK], column = slot
  bias: tf.Tensor2D; // [1, BLOCK]: -|x|^2 (euclidean), 0 (cosine), DEAD for free slots
}

export class FaceIndex {
  readonly metric: SimilarityMetric;
  readonly dim: number;
  private codes = new Int8Array(0);
  private scales = new Float32Array(0);
  private sqNorms = new Float32Array(0);
  private slotIds: (string | null)[] = [];
  private slotPhotos: string[] = [];
  private slotOf = new Map<string, number>();
  private freeSlots: number[] = [];
  private blocks: (Block | null)[] = [];

  constructor(metric: SimilarityMetric, dim: number) {
    this.metric = metric;
    this.dim = dim;
  }

  get size(): number {
    return this.slotOf.size;
  }

  has(faceId: string): boolean {
    return this.slotOf.has(faceId);
  }

  photoOf(faceId: string): string | undefined {
    const slot = this.slotOf.get(faceId);
    return slot === undefined ? undefined : this.slotPhotos[slot];
  }

  faceIds(): string[] {
    return [...this.slotOf.keys()];
  }

  /** The stored (quantised; unit length for cosine) vector, as search sees it. */
  vectorOf(faceId: string): Float32Array | undefined {
    const slot = this.slotOf.get(faceId);
    return slot === undefined ? undefined : this.decode(slot);
  }

  /** Adds faceId's stored vector into `sum` without a copy; returns its squared length (0 when absent). */
  accumulate(faceId: string, sum: Float64Array): number {
    const slot = this.slotOf.get(faceId);
    if (slot === undefined) return 0;
    const scale = this.scales[slot];
    const offset = slot * this.dim;
    let sq = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = this.codes[offset + i] * scale;
      sum[i] += x;
      sq += x * x;
    }
    return sq;
  }

  add(faces: FaceVector[]): void {
    for (const face of faces) {
      if (face.vector.length !== this.dim) throw new Error(`FaceIndex: vector of ${face.vector.length}, expected ${this.dim}`);
      if (this.slotOf.has(face.faceId)) this.remove([face.faceId]);
      const slot = this.freeSlots.pop() ?? this.grow();
      this.encode(slot, face.vector);
      this.slotIds[slot] = face.faceId;
      this.slotPhotos[slot] = face.photoId;
      this.slotOf.set(face.faceId, slot);
      this.invalidate(slot);
    }
  }

  remove(faceIds: Iterable<string>): void {
    for (const id of faceIds) {
      const slot = this.slotOf.get(id);
      if (slot === undefined) continue;
      this.slotOf.delete(id);
      this.slotIds[slot] = null;
      this.freeSlots.push(slot);
      this.invalidate(slot);
    }
  }

  /** The k nearest faces to `vector`, nearest first, optionally only within maxDistance. */
  nearest(vector: Float32Array, k: number, maxDistance = Infinity): Neighbour[] {
    return this.nearestMany([vector], k, maxDistance)[0];
  }

  /** nearest() for many queries in one pass (one matmul per block of queries). */
  nearestMany(vectors: Float32Array[], k: number, maxDistance = Infinity): Neighbour[][] {
    const results: Neighbour[][] = vectors.map(() => []);
    if (this.size === 0 || k <= 0 || vectors.length === 0) return results;
    const blocks = this.readyBlocks();
    const kBlock = Math.min(k, BLOCK);
    const queries = vectors.map((v) => this.prepareQuery(v));
    for (let from = 0; from < queries.length; from += QUERY_ROWS) {
      const rows = queries.slice(from, from + QUERY_ROWS);
      const flat = new Float32Array(rows.length * this.dim);
      rows.forEach((q, i) => flat.set(q, i * this.dim));
      const candidates: { values: Float32Array; indices: Int32Array }[] = [];
      for (const block of blocks) {
        const [values, indices] = tf.tidy(() => {
          const q = tf.tensor2d(flat, [rows.length, this.dim]);
          const dots = tf.matMul(q, block.matrix);
          const scores = this.metric === 'euclidean' ? tf.add(tf.mul(dots, 2), block.bias) : tf.add(dots, block.bias);
          const top = tf.topk(scores, kBlock, true);
          return [top.values, top.indices];
        });
        candidates.push({ values: values.dataSync() as Float32Array, indices: indices.dataSync() as Int32Array });
        values.dispose();
        indices.dispose();
      }
      rows.forEach((q, r) => {
        const qNorm = this.metric === 'euclidean' ? dot(q, q) : 0;
        const found: Neighbour[] = [];
        candidates.forEach(({ values, indices }, b) => {
          for (let j = r * kBlock; j < (r + 1) * kBlock; j++) {
            if (values[j] <= DEAD / 2) break;
            const slot = b * BLOCK + indices[j];
            const id = this.slotIds[slot];
            if (id === null || id === undefined) continue;
            const distance = this.metric === 'euclidean' ? Math.sqrt(Math.max(0, qNorm - values[j])) : 1 - values[j];
            if (distance <= maxDistance) found.push({ faceId: id, photoId: this.slotPhotos[slot], distance });
          }
        });
        found.sort((a, b) => a.distance - b.distance || (a.faceId < b.faceId ? -1 : 1));
        results[from + r] = found.slice(0, k);
      });
    }
    return results;
  }

  /**
   * Every face's k nearest other faces within maxDistance, nearest first (the k-NN graph of the whole index), as
   * positions in `faceIds` (so a caller maps 13,000 ids once, not 400,000 edges). Each pair of faces is scored once
   * (one matmul per pair of chunks, upper triangle only), about half the work of nearestMany over all faces.
   */
  neighbourGraph(k: number, maxDistance: number): { faceIds: string[]; neighbours: { node: number; distance: number }[][] } {
    const slots: number[] = [];
    this.slotIds.forEach((id, slot) => id !== null && slots.push(slot));
    const chunks: { rows: tf.Tensor2D; cols: tf.Tensor2D; norms: Float32Array; size: number }[] = [];
    for (let from = 0; from < slots.length; from += GRAPH_CHUNK) {
      const part = slots.slice(from, from + GRAPH_CHUNK);
      const rows = new Float32Array(part.length * this.dim);
      const cols = new Float32Array(part.length * this.dim);
      const norms = new Float32Array(part.length);
      part.forEach((slot, c) => {
        const v = this.decode(slot);
        rows.set(v, c * this.dim);
        for (let i = 0; i < this.dim; i++) cols[i * part.length + c] = v[i];
        norms[c] = this.sqNorms[slot];
      });
      chunks.push({ rows: tf.tensor2d(rows, [part.length, this.dim]), cols: tf.tensor2d(cols, [this.dim, part.length]), norms, size: part.length });
    }
    // Each face's k nearest so far, filled as the chunks are scored (a pair within maxDistance is offered to both of
    // its faces); flat typed arrays, since LFW has ~4 million pairs within maxDistance and objects for them cost
    // more in GC than the search.
    const nearest = new NearestLists(slots.length, k);
    const euclidean = this.metric === 'euclidean';
    const limit = euclidean ? maxDistance * maxDistance : 1 - maxDistance;
    for (let a = 0; a < chunks.length; a++) {
      for (let b = a; b < chunks.length; b++) {
        const A = chunks[a];
        const B = chunks[b];
        const product = tf.matMul(A.rows, B.cols);
        const dots = product.dataSync() as Float32Array;
        product.dispose();
        const width = B.size;
        const normsB = B.norms;
        const base = b * GRAPH_CHUNK;
        for (let r = 0; r < A.size; r++) {
          const row = a * GRAPH_CHUNK + r;
          const offset = r * width;
          const normA = A.norms[r];
          // euclidean: |a|^2 + |b|^2 - 2 a.b <= limit, as |b|^2 - 2 a.b <= limit - |a|^2 (one subtraction per pair)
          const rest = limit - normA;
          for (let c = a === b ? r + 1 : 0; c < width; c++) {
            const dotValue = dots[offset + c];
            if (euclidean) {
              const partial = normsB[c] - 2 * dotValue;
              if (partial <= rest) nearest.offerPair(row, base + c, Math.sqrt(Math.max(0, partial + normA)));
            } else if (dotValue >= limit) {
              nearest.offerPair(row, base + c, 1 - dotValue);
            }
          }
        }
      }
    }
    for (const chunk of chunks) {
      chunk.rows.dispose();
      chunk.cols.dispose();
    }
    const neighbours = slots.map((_, i) => nearest.listOf(i));
    return { faceIds: slots.map((slot) => this.slotIds[slot]!), neighbours };
  }

  /** Frees the backend memory of the search blocks (they are rebuilt on the next search). */
  dispose(): void {
    for (const block of this.blocks) {
      block?.matrix.dispose();
      block?.bias.dispose();
    }
    this.blocks = this.blocks.map(() => null);
  }

  private prepareQuery(vector: Float32Array): Float32Array {
    if (this.metric === 'euclidean') return vector;
    const n = Math.sqrt(dot(vector, vector));
    return n === 0 ? vector : vector.map((x) => x / n);
  }

  private grow(): number {
    const slot = this.slotIds.length;
    if (slot * this.dim >= this.codes.length) {
      const capacity = Math.max(BLOCK, this.slotIds.length * 2);
      const codes = new Int8Array(capacity * this.dim);
      codes.set(this.codes);
      this.codes = codes;
      const scales = new Float32Array(capacity);
      scales.set(this.scales);
      this.scales = scales;
      const sqNorms = new Float32Array(capacity);
      sqNorms.set(this.sqNorms);
      this.sqNorms = sqNorms;
    }
    this.slotIds.push(null);
    this.slotPhotos.push('');
    return slot;
  }

  private encode(slot: number, vector: Float32Array): void {
    const v = this.prepareQuery(vector);
    let maxAbs = 0;
    for (let i = 0; i < v.length; i++) maxAbs = Math.max(maxAbs, Math.abs(v[i]));
    const scale = maxAbs / 127 || 1;
    const offset = slot * this.dim;
    let sq = 0;
    for (let i = 0; i < v.length; i++) {
      const code = Math.round(v[i] / scale);
      this.codes[offset + i] = code;
      sq += (code * scale) ** 2;
    }
    this.scales[slot] = scale;
    this.sqNorms[slot] = sq;
  }

  private decode(slot: number): Float32Array {
    const out = new Float32Array(this.dim);
    const scale = this.scales[slot];
    const offset = slot * this.dim;
    for (let i = 0; i < this.dim; i++) out[i] = this.codes[offset + i] * scale;
    return out;
  }

  private invalidate(slot: number): void {
    const b = Math.floor(slot / BLOCK);
    const block = this.blocks[b];
    if (block) {
      block.matrix.dispose();
      block.bias.dispose();
      this.blocks[b] = null;
    }
  }

  private readyBlocks(): Block[] {
    const count = Math.ceil(this.slotIds.length / BLOCK);
    for (let b = 0; b < count; b++) {
      if (this.blocks[b]) continue;
      const matrix = new Float32Array(this.dim * BLOCK);
      const bias = new Float32Array(BLOCK).fill(DEAD);
      for (let c = 0; c < BLOCK; c++) {
        const slot = b * BLOCK + c;
        if (slot >= this.slotIds.length || this.slotIds[slot] === null) continue;
        const scale = this.scales[slot];
        const offset = slot * this.dim;
        for (let i = 0; i < this.dim; i++) matrix[i * BLOCK + c] = this.codes[offset + i] * scale;
        bias[c] = this.metric === 'euclidean' ? -this.sqNorms[slot] : 0;
      }
      this.blocks[b] = { matrix: tf.tensor2d(matrix, [this.dim, BLOCK]), bias: tf.tensor2d(bias, [1, BLOCK]) };
    }
    return this.blocks.slice(0, count) as Block[];
  }
}

/** Per node, its k nearest nodes offered so far, nearest first (an insertion list each, in flat typed arrays). */
class NearestLists {
  private distances: Float32Array;
  private nodes: Int32Array;
  private counts: Int32Array;
  constructor(
    size: number,
    private k: number,
  ) {
    this.distances = new Float32Array(size * k).fill(Infinity);
    this.nodes = new Int32Array(size * k);
    this.counts = new Int32Array(size);
  }

  offerPair(a: number, b: number, distance: number) {
    this.offer(a, b, distance);
    this.offer(b, a, distance);
  }

  listOf(node: number): { node: number; distance: number }[] {
    const out: { node: number; distance: number }[] = [];
    for (let j = node * this.k, end = j + this.counts[node]; j < end; j++) out.push({ node: this.nodes[j], distance: this.distances[j] });
    return out;
  }

  private offer(node: number, other: number, distance: number) {
    const k = this.k;
    if (k === 0) return;
    const first = node * k;
    let j = first + k - 1;
    // a full list's last is its k-th nearest; an unfilled slot is Infinity
    if (!(distance < this.distances[j])) return;
    while (j > first && this.distances[j - 1] > distance) {
      this.distances[j] = this.distances[j - 1];
      this.nodes[j] = this.nodes[j - 1];
      j--;
    }
    this.distances[j] = distance;
    this.nodes[j] = other;
    if (this.counts[node] < k) this.counts[node]++;
  }
}

export function dot(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
