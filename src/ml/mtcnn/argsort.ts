// np.argsort(values) with numpy 1.24's default kind ('quicksort' = introsort: median-of-3 quicksort,
// insertion sort below 17 elements, heapsort past a depth limit). It is not stable, and MTCNN scores
// tie often (many are exactly 1 in float32), so NMS keeps the reference's pick order only when ties
// are broken the same way; this reproduces that behaviour rather than using a stable sort.

const SMALL_PARTITION = 16;

function heapsortIndices(values: ArrayLike<number>, order: Int32Array, start: number, count: number): void {
  // 1-based heap over order[start .. start+count-1]
  const at = (i: number) => order[start + i - 1];
  const set = (i: number, v: number) => {
    order[start + i - 1] = v;
  };
  const siftDown = (root: number, item: number, size: number) => {
    let i = root;
    for (let j = root * 2; j <= size; ) {
      if (j < size && values[at(j)] < values[at(j + 1)]) j += 1;
      if (values[item] < values[at(j)]) {
        set(i, at(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, item);
  };
  for (let l = count >> 1; l > 0; --l) siftDown(l, at(l), count);
  for (let n = count; n > 1; ) {
    const item = at(n);
    set(n, at(1));
    n -= 1;
    siftDown(1, item, n);
  }
}

/** Indices that sort `values` ascending, tie order identical to numpy's default argsort. */
export function argsortNumpy(values: ArrayLike<number>): Int32Array {
  const n = values.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (n < 2) return order;
  const swap = (a: number, b: number) => {
    const t = order[a];
    order[a] = order[b];
    order[b] = t;
  };
  const less = (a: number, b: number) => values[a] < values[b];
  const stack: number[] = [];
  let left = 0;
  let right = n - 1;
  let depth = 0;
  for (let m = n; (m >>= 1) > 0; ) depth++;
  depth *= 2;
  for (;;) {
    if (depth < 0) {
      heapsortIndices(values, order, left, right - left + 1);
    } else {
      while (right - left > SMALL_PARTITION) {
        const mid = left + ((right - left) >> 1);
        if (less(order[mid], order[left])) swap(mid, left);
        if (less(order[right], order[mid])) swap(right, mid);
        if (less(order[mid], order[left])) swap(mid, left);
        const pivot = values[order[mid]];
        let i = left;
        let j = right - 1;
        swap(mid, j);
        for (;;) {
          do ++i;
          while (values[order[i]] < pivot);
          do --j;
          while (pivot < values[order[j]]);
          if (i >= j) break;
          swap(i, j);
        }
        swap(i, right - 1);
        // Continue with the smaller side, push the larger one.
        if (i - left < right - i) {
          stack.push(i + 1, right, --depth);
          right = i - 1;
        } else {
          stack.push(left, i - 1, --depth);
          left = i + 1;
        }
      }
      for (let i = left + 1; i <= right; ++i) {
        const item = order[i];
        const v = values[item];
        let j = i;
        while (j > left && v < values[order[j - 1]]) {
          order[j] = order[j - 1];
          j--;
        }
        order[j] = item;
      }
    }
    if (stack.length === 0) break;
    depth = stack.pop()!;
    right = stack.pop()!;
    left = stack.pop()!;
  }
  return order;
}
