// Counts multiply-adds of the heavy kernels in a tf.profile() record, so achieved GFLOP/s can be compared
// with a plain conv probe. Element-wise kernels are left out (they are memory-bound and small here).
import type { KernelShare } from './protocol';

export interface ProfiledKernel {
  name: string;
  inputShapes: (number[] | undefined)[];
  outputShapes: (number[] | undefined)[];
  kernelTimeMs: number | { error: string };
}

const size = (shape: number[] | undefined) => (shape ?? []).reduce((a, b) => a * b, 1);

/** FLOPs (2 per multiply-add) of one kernel call; 0 for kernels that are not conv/matmul. */
export function kernelFlops(k: ProfiledKernel): number {
  const out = k.outputShapes[0];
  const filter = k.inputShapes[1];
  if (!out || !filter) return 0;
  switch (k.name) {
    case 'Conv2D':
    case 'FusedConv2D': {
      // NHWC output; filter [kh, kw, in, out]
      const [kh, kw, inC] = filter;
      return 2 * size(out) * kh * kw * inC;
    }
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D': {
      const [kh, kw] = filter;
      return 2 * size(out) * kh * kw;
    }
    case 'BatchMatMul':
    case '_FusedMatMul': {
      // a [B, M, K] x b [B, K, N] = out [B, M, N], transposed or not: K^2 = |a| |b| / (|out| B)
      const batch = size(out.slice(0, -2));
      const kDim = Math.round(Math.sqrt((size(k.inputShapes[0]) * size(filter)) / (size(out) * batch)));
      return 2 * size(out) * kDim;
    }
    default:
      return 0;
  }
}

/** tf.profile also records the op wrappers ("fusedConv2d__op") around their kernels: count kernels once. */
const isKernel = (k: ProfiledKernel) => !k.name.endsWith('__op');

export function totalFlops(kernels: ProfiledKernel[]): number {
  return kernels.filter(isKernel).reduce((sum, k) => sum + kernelFlops(k), 0);
}

/** Kernel time grouped by kernel name, largest first (timing errors, e.g. WebGL without timer queries, count 0). */
export function kernelShares(kernels: ProfiledKernel[], top = 8): KernelShare[] {
  const byName = new Map<string, KernelShare>();
  for (const k of kernels.filter(isKernel)) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const entry = byName.get(k.name) ?? { name: k.name, ms: 0, calls: 0 };
    entry.ms += ms;
    entry.calls += 1;
    byName.set(k.name, entry);
  }
  return [...byName.values()].sort((a, b) => b.ms - a.ms).slice(0, top);
}

export function kernelMs(kernels: ProfiledKernel[]): number {
  return kernels.filter(isKernel).reduce((sum, k) => sum + (typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0), 0);
}
