// Timing shared by the bench workers (ours and face-api.js): the same code on both sides, so their figures compare.
import type { BenchFace, DetectReport, InitReport } from './protocol';

/** What init() reports: the backend tfjs now runs, how it was set up, and the ms since `t0`. */
export function initReport(t0: number, backend: string, detail: string, tfVersion: string): InitReport {
  return {
    backend,
    detail,
    crossOriginIsolated: self.crossOriginIsolated === true,
    initMs: performance.now() - t0,
    tfVersion,
  };
}

/** Runs `detect` `reps` times, timing each run on its own; the faces reported are the last run's. */
export async function timeDetections<F>(reps: number, detect: () => Promise<F[]>, toFace: (found: F) => BenchFace): Promise<DetectReport> {
  const times: number[] = [];
  let found: F[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    found = await detect();
    times.push(performance.now() - t0);
  }
  return { times, faces: found.map(toFace) };
}
