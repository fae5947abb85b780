// Node-side handle on the bench page: starts workers and calls their methods through window.__bench.
import type { Page } from 'playwright-core';

export type WorkerKind = 'ours' | 'faceapi' | 'faceapi-full';

export class BenchPage {
  constructor(readonly page: Page) {}

  async start(name: string, kind: WorkerKind): Promise<void> {
    await this.page.evaluate(([n, k]) => window.__bench.start(n, k as WorkerKind), [name, kind] as const);
  }

  async stop(name: string): Promise<void> {
    await this.page.evaluate((n) => window.__bench.stop(n), name);
  }

  call<T>(name: string, method: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(([n, m, a]) => window.__bench.call(n, m, ...a), [name, method, args] as const) as Promise<T>;
  }
}

// The page's global, as bench/main.ts defines it (declared here so this file stays free of DOM-only imports).
declare global {
  interface Window {
    __bench: {
      start(name: string, kind: WorkerKind): Promise<void>;
      call(name: string, method: string, ...args: unknown[]): Promise<unknown>;
      stop(name: string): void;
      crossOriginIsolated(): boolean;
      hardwareConcurrency(): number;
    };
  }
}
