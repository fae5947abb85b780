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
   * Every face's k nearest other faces within maxDistance, nearest first (the k-NN graph of the whole index).
   * Each pair of faces is scored once (one matmul per pair of chunks, upper triangle only), about half the work of
   * nearestMany over all faces.
   */
  neighbourGraph(k: number, maxDistance: number): Map<string, Neighbour[]> {
    const slots: number[] = [];
    this.slotIds.forEach((id, slot) => id !== null && slots.push(slot));
    const chunks: { rows: tf.Tensor2D; cols: tf.Tensor2D; norms: Float32Array; slots: number[] }[] = [];
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
      chunks.push({ rows: tf.tensor2d(rows, [part.length, this.dim]), cols: tf.tensor2d(cols, [this.dim, part.length]), norms, slots: part });
    }
    // Pairs within maxDistance, as flat growable arrays (millions of small objects cost more in GC than the search).
    const pairs = new PairList();
    const limit = this.metric === 'euclidean' ? maxDistance * maxDistance : 1 - maxDistance;
    for (let a = 0; a < chunks.length; a++) {
      for (let b = a; b < chunks.length; b++) {
        const A = chunks[a];
        const B = chunks[b];
        const product = tf.matMul(A.rows, B.cols);
        const dots = product.dataSync() as Float32Array;
        product.dispose();
        const width = B.slots.length;
        const normsB = B.norms;
        for (let r = 0; r < A.slots.length; r++) {
          const row = a * GRAPH_CHUNK + r;
          const nr = A.norms[r];
          const offset = r * width;
          for (let c = a === b ? r + 1 : 0; c < width; c++) {
            const dotValue = dots[offset + c];
            if (this.metric === 'euclidean') {
              const squared = nr + normsB[c] - 2 * dotValue;
              if (squared <= limit) pairs.push(row, b * GRAPH_CHUNK + c, Math.sqrt(Math.max(0, squared)));
            } else if (dotValue >= limit) {
              pairs.push(row, b * GRAPH_CHUNK + c, 1 - dotValue);
            }
          }
        }
      }
    }
    for (const chunk of chunks) {
      chunk.rows.dispose();
      chunk.cols.dispose();
    }
    // Bucket both directions of each pair by face (counting sort), then keep each face's k nearest.
    const count = new Int32Array(slots.length + 1);
    for (let p = 0; p < pairs.length; p++) {
      count[pairs.a[p] + 1]++;
      count[pairs.b[p] + 1]++;
    }
    for (let i = 0; i < slots.length; i++) count[i + 1] += count[i];
    const fill = count.slice(0, slots.length);
    const other = new Int32Array(pairs.length * 2);
    const distances = new Float32Array(pairs.length * 2);
    for (let p = 0; p < pairs.length; p++) {
      const a = pairs.a[p];
      const b = pairs.b[p];
      other[fill[a]] = b;
      distances[fill[a]++] = pairs.d[p];
      other[fill[b]] = a;
      distances[fill[b]++] = pairs.d[p];
    }
    const graph = new Map<string, Neighbour[]>();
    slots.forEach((slot, i) => {
      const order = smallestK(count[i], count[i + 1], distances, k);
      graph.set(
        this.slotIds[slot]!,
        order.map((j) => ({ faceId: this.slotIds[slots[other[j]]]!, photoId: this.slotPhotos[slots[other[j]]], distance: distances[j] })),
      );
    });
    return graph;
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

/** Positions from..to-1 of the k smallest keys, smallest first (quickselect, then a sort of those k). */
function smallestK(from: number, to: number, keys: Float32Array, k: number): number[] {
  const idx: number[] = [];
  for (let j = from; j < to; j++) idx.push(j);
  if (idx.length > k) {
    let lo = 0;
    let hi = idx.length - 1;
    while (lo < hi) {
      const pivot = keys[idx[(lo + hi) >> 1]];
      let i = lo;
      let j = hi;
      while (i <= j) {
        while (keys[idx[i]] < pivot) i++;
        while (keys[idx[j]] > pivot) j--;
        if (i <= j) {
          [idx[i], idx[j]] = [idx[j], idx[i]];
          i++;
          j--;
        }
      }
      if (k - 1 <= j) hi = j;
      else if (k - 1 >= i) lo = i;
      else break;
    }
    idx.length = k;
  }
  return idx.sort((x, y) => keys[x] - keys[y] || x - y);
}

/** Growable parallel arrays of (a, b, distance). */
class PairList {
  a = new Int32Array(1 << 16);
  b = new Int32Array(1 << 16);
  d = new Float32Array(1 << 16);
  length = 0;
  push(a: number, b: number, d: number) {
    if (this.length === this.a.length) {
      const grow = <T extends Int32Array | Float32Array>(x: T, make: (n: number) => T) => {
        const y = make(x.length * 2);
        y.set(x);
        return y;
      };
      this.a = grow(this.a, (n) => new Int32Array(n));
      this.b = grow(this.b, (n) => new Int32Array(n));
      this.d = grow(this.d, (n) => new Float32Array(n));
    }
    this.a[this.length] = a;
    this.b[this.length] = b;
    this.d[this.length++] = d;
  }
}

export function dot(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
