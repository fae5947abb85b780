// The bench page: starts and stops bench workers and forwards calls to them. scripts/bench/run-bench.ts drives
// it through window.__bench; nothing here is timed (the workers time themselves).
import * as Comlink from 'comlink';
import type { OursApi } from './ours.worker';
import type { FaceapiApi } from './faceapi.worker';
import type { FaceapiFullApi } from './faceapi-full.worker';

type Kind = 'ours' | 'faceapi' | 'faceapi-full';
interface Running {
  worker: Worker;
  remote: Comlink.Remote<OursApi> | Comlink.Remote<FaceapiApi> | Comlink.Remote<FaceapiFullApi>;
}

const running = new Map<string, Running>();

function spawn(kind: Kind): Worker {
  if (kind === 'ours') return new Worker(new URL('./ours.worker.ts', import.meta.url), { type: 'module', name: 'bench-ours' });
  if (kind === 'faceapi-full') return new Worker(new URL('./faceapi-full.worker.ts', import.meta.url), { type: 'module', name: 'bench-faceapi-full' });
  return new Worker(new URL('./faceapi.worker.ts', import.meta.url), { type: 'module', name: 'bench-faceapi' });
}

const bench = {
  async start(name: string, kind: Kind): Promise<void> {
    bench.stop(name);
    const worker = spawn(kind);
    const errors: string[] = [];
    worker.addEventListener('error', (e) => errors.push(e.message));
    running.set(name, { worker, remote: Comlink.wrap(worker) as Running['remote'] });
  },
  async call(name: string, method: string, ...args: unknown[]): Promise<unknown> {
    const r = running.get(name);
    if (!r) throw new Error(`no bench worker "${name}"`);
    const fn = (r.remote as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    return fn(...args);
  },
  stop(name: string): void {
    const r = running.get(name);
    if (!r) return;
    r.remote[Comlink.releaseProxy]();
    r.worker.terminate();
    running.delete(name);
  },
  crossOriginIsolated: () => self.crossOriginIsolated === true,
  hardwareConcurrency: () => navigator.hardwareConcurrency,
};

declare global {
  interface Window {
    __bench: typeof bench;
  }
}
window.__bench = bench;
document.getElementById('state')!.textContent = 'ready';
