// Typed arrays reused across calls, one grow-only array per named slot. The ML core's hot paths (MTCNN's ~1,500
// patch resizes per photo, its net inputs) would otherwise allocate tens of MB of fresh typed arrays per photo; in a
// browser worker that cost more than the work itself (allocation, zeroing, GC bookkeeping, and first-touched pages:
// ~4 ms per MB on the bench machine). Only for synchronous users: a view is valid until its slot is asked for again.
export type ScratchArray = Float64Array | Float32Array | Int32Array;

const pools = new Map<string, ScratchArray>();

export const f64s = (n: number) => new Float64Array(n);
export const f32s = (n: number) => new Float32Array(n);
export const i32s = (n: number) => new Int32Array(n);

/** A zeroed view of `length` values from the slot's array; over `maxLength` a fresh array (never pinned). */
export function scratchArray<T extends ScratchArray>(slot: string, make: (n: number) => T, length: number, maxLength: number): T {
  if (length > maxLength) return make(length);
  let array = pools.get(slot) as T | undefined;
  if (!array || array.length < length) {
    array = make(Math.min(maxLength, Math.max(length, (array?.length ?? 0) * 2)));
    pools.set(slot, array);
  }
  const view = array.subarray(0, length) as T;
  view.fill(0);
  return view;
}
