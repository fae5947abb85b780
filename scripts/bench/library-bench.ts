// The library part of `npm run bench`: the production app's /library, all FDDB photos added at once through its
// "Add photos to the library" input, indexed by the app's own worker into IndexedDB. Measured from outside the
// app: DOM timestamps and long tasks inside the page (an init script), JS heaps over CDP, the WASM heap from the
// worker's tfjs engine (Playwright worker.evaluate). Then, in the same browser, the bench page runs face-api.js's
// full recognition pipeline (bench/faceapi-full.worker.ts) on the same photos, for the ratio.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import type { FullPipelinePhoto, InitReport } from '../../bench/protocol';
import { BenchPage } from './page';
import { median, sum } from './stats';

/** JS heaps (V8 usedSize from Runtime.getHeapUsage) and the tfjs WASM memory, in bytes. */
export interface HeapSample {
  /** done photos when sampled */
  done: number;
  pageJs: number;
  workerJs: number | null;
  wasm: number | null;
  /** tfjs tensor bytes in the app's worker (tf.memory().numBytes) */
  tensorBytes: number | null;
  totalMb: number;
}

export interface FaceapiFullReport {
  detail: string;
  loadMs: number;
  /** one untimed photo first (kernel set-up, weight packing) */
  warmupMs: number;
  photos: number;
  faces: number;
  decodeMs: number;
  pipelineMs: number;
  /** decode + pipeline, summed over photos: the ratio's denominator */
  totalMs: number;
  medianPipelineMs: number;
  wasmHeapBytes: number | null;
}

export interface LibraryReport {
  photos: number;
  faces: number;
  photos_per_second: number;
  faces_per_second: number;
  /** our wall time (files added -> last photo indexed) / face-api's decode + pipeline time on the same photos */
  ratio_vs_faceapi: number | null;
  longest_task_ms: number;
  heap_mb: { start: number; middle: number; end: number };
  // detail
  files: number;
  uniqueFiles: number;
  /** photos the app skipped (listed under "Skipped files") */
  skipped: number;
  backend: string | null;
  backendDetail: string | null;
  modelsReadyMs: number | null;
  /** change event -> the last photo counted in "Library status" with the progress bar gone */
  wallMs: number;
  /** change event -> the first DOM state with a face count > 0 (status line or a grid tile) */
  firstFaceMs: number | null;
  /** the app's own last rate ("N photos/s" in the progress bar; it counts from the first photo analysed) */
  appRatePerSecond: number | null;
  /** PerformanceObserver('longtask'): it reports only tasks over 50 ms */
  longTasks: { count: number; over50: number; totalMs: number };
  /** every main-thread task from a Chromium trace ('toplevel' RunTask on CrRendererMain), add -> finished */
  traceTasks: {
    count: number;
    over50: number;
    over16: number;
    longestMs: number;
    /** by the thread's own CPU time: the main thread's work without the waits for a core (null: no thread times in the trace) */
    longestCpuMs: number | null;
    over50Cpu: number | null;
    /**
     * the longest few: wall ms, the thread's CPU ms in it (far less = the thread waited for a core), when it began
     * (ms after the trace's first main-thread task, which is when the files were given to the input), where it was
     * posted from
     */
    top: { ms: number; cpuMs: number | null; startMs: number; at: string }[];
  } | null;
  heaps: { start: HeapSample; middle: HeapSample | null; end: HeapSample };
  /** ours / face-api's pipeline time only (its decode excluded) */
  ratio_vs_faceapi_pipeline: number | null;
  faceapi: FaceapiFullReport | { error: string } | null;
  /** 1-minute load average: before face-api's first half, at our start and end, after its second half */
  loadAverage?: { faceapiBefore: number | null; library: number; libraryEnd: number; faceapiAfter: number | null };
  errors: string[];
}

export interface LibraryPhotos {
  /** absolute paths, as given to the input */
  files: string[];
  /** paths under ../shared of the first file of each distinct content (the app stores each once) */
  unique: string[];
}

/** FDDB's photos from detection.json (every k-th by path when `limit` is set), and which of them are distinct. */
export function fddbPhotos(sharedDir: string, limit?: number): LibraryPhotos {
  const images = (JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as { images: { image: string }[] }).images
    .map((i) => i.image)
    .sort();
  const picked = limit && limit < images.length ? Array.from({ length: limit }, (_, i) => images[Math.floor(((i + 0.5) * images.length) / limit)]) : images;
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const image of picked) {
    const hash = createHash('sha256').update(fs.readFileSync(path.join(sharedDir, 'datasets/fddb', image))).digest('hex');
    if (seen.has(hash)) continue;
    seen.add(hash);
    unique.push(`datasets/fddb/${image}`);
  }
  return { files: picked.map((i) => path.join(sharedDir, 'datasets/fddb', i)), unique };
}

// Installed before any app script: the change event, long tasks, and every progress/status change, with times.
const INSTRUMENT = () => {
  const w = window as unknown as Record<string, unknown>;
  const log = {
    change: 0,
    longtasks: [] as { start: number; duration: number }[],
    firstFace: 0,
    progressSeen: false,
    progressText: '',
    done: 0,
    queued: 0,
    statusPhotos: 0,
    statusFaces: 0,
    statusAt: 0,
    skipped: 0,
    progressGoneAt: 0,
    expected: 0,
    finished: 0,
  };
  w.__lb = log;
  document.addEventListener(
    'change',
    (e) => {
      const t = e.target as HTMLInputElement | null;
      if (t && t.type === 'file' && !log.change) log.change = performance.now();
    },
    true,
  );
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) log.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long-task API: the figure stays 0
  }
  const waiters: { test: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    const now = performance.now();
    const status = document.querySelector('[role="status"][aria-label="Library status"]')?.textContent ?? '';
    const m = /([\d,]+) photos? · ([\d,]+) faces?/.exec(status);
    if (m) {
      const photos = Number(m[1].replace(/,/g, ''));
      const faces = Number(m[2].replace(/,/g, ''));
      if (photos !== log.statusPhotos || faces !== log.statusFaces) log.statusAt = now;
      log.statusPhotos = photos;
      log.statusFaces = faces;
    }
    const bar = document.querySelector('[role="progressbar"][aria-label="Indexing photos"]');
    if (bar) {
      log.progressSeen = true;
      log.progressGoneAt = 0;
      log.progressText = bar.getAttribute('aria-valuetext') ?? '';
      log.done = Number(bar.getAttribute('aria-valuenow') ?? 0);
      log.queued = Number(bar.getAttribute('aria-valuemax') ?? 0);
    } else if (log.progressSeen && !log.progressGoneAt) {
      log.progressGoneAt = now;
    }
    if (log.change && !log.firstFace && (log.statusFaces > 0 || document.querySelector('.library-tile[data-faces]:not([data-faces="0"])'))) log.firstFace = now;
    log.skipped = document.querySelectorAll('ul[aria-label="Skipped files"] > li').length;
    // every distinct photo counted, or skipped with a reason
    if (log.change && !log.finished && log.expected && log.progressGoneAt && log.statusPhotos + log.skipped >= log.expected) log.finished = now;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].test()) {
        waiters[i].resolve();
        waiters.splice(i, 1);
      }
    }
  };
  w.__lbWhen = (what: 'half' | 'finished') =>
    new Promise<void>((resolve) => {
      const test = what === 'half' ? () => log.queued > 0 && log.done >= Math.ceil(log.queued / 2) : () => log.finished > 0;
      if (test()) resolve();
      else waiters.push({ test, resolve });
    });
  const start = () => new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
};

/** The app worker's JS heap over CDP: Playwright has no CDP session for workers, so the page session attaches (non-flat). */
class WorkerHeaps {
  private sessions = new Map<string, string>();
  private replies = new Map<number, (result: unknown) => void>();
  private nextId = 1;

  private constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string; url: string } }) => {
      if (e.targetInfo.type === 'worker') this.sessions.set(e.targetInfo.url, e.sessionId);
    });
    cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => {
      for (const [url, id] of this.sessions) if (id === e.sessionId) this.sessions.delete(url);
    });
    cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
      const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: unknown };
      if (m.id !== undefined) this.replies.get(m.id)?.(m.result ?? null);
      if (m.id !== undefined) this.replies.delete(m.id);
    });
  }

  static async attach(context: BrowserContext, page: Page): Promise<{ heaps: WorkerHeaps; cdp: CDPSession }> {
    const cdp = await context.newCDPSession(page);
    const heaps = new WorkerHeaps(cdp);
    await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    return { heaps, cdp };
  }

  /** usedSize of the worker whose script URL matches, or null (not started, or no answer in 10 s). */
  async used(match: RegExp): Promise<number | null> {
    const session = [...this.sessions].reverse().find(([url]) => match.test(url))?.[1];
    if (!session) return null;
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve) => {
      this.replies.set(id, resolve);
      setTimeout(() => resolve(null), 10_000);
    });
    await this.cdp.send('Target.sendMessageToTarget', { sessionId: session, message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }) });
    const result = (await answer) as { usedSize?: number } | null;
    return result?.usedSize ?? null;
  }
}

const APP_WORKER = /facematch\.worker/;

/** Renderer main-thread tasks in a trace: the 'toplevel' complete events on CrRendererMain (the app's is the only page open). */
function mainThreadTasks(buffer: Buffer): NonNullable<LibraryReport['traceTasks']> {
  const { traceEvents } = JSON.parse(buffer.toString('utf8')) as {
    traceEvents: { ph: string; name: string; cat: string; pid: number; tid: number; ts: number; dur?: number; tdur?: number; args?: Record<string, unknown> }[];
  };
  const main = new Set(traceEvents.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const tasks = traceEvents.filter((e) => e.ph === 'X' && e.cat.includes('toplevel') && main.has(`${e.pid}:${e.tid}`));
  const ms = tasks.map((e) => (e.dur ?? 0) / 1000);
  const first = tasks.reduce((m, e) => Math.min(m, e.ts), Infinity);
  const top = [...tasks]
    .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
    .slice(0, 5)
    .map((e) => {
      const src = (e.args?.src ?? e.args) as { src_func?: string; src_file?: string } | undefined;
      return { ms: (e.dur ?? 0) / 1000, cpuMs: e.tdur === undefined ? null : e.tdur / 1000, startMs: (e.ts - first) / 1000, at: [e.name, src?.src_func, src?.src_file].filter(Boolean).join(' ') };
    });
  const cpu = tasks.filter((e) => e.tdur !== undefined).map((e) => e.tdur! / 1000);
  return {
    count: ms.length,
    over50: ms.filter((d) => d > 50).length,
    over16: ms.filter((d) => d > 16).length,
    longestMs: ms.reduce((m, d) => Math.max(m, d), 0),
    longestCpuMs: cpu.length ? cpu.reduce((m, d) => Math.max(m, d), 0) : null,
    over50Cpu: cpu.length ? cpu.filter((d) => d > 50).length : null,
    top,
  };
}

/** tfjs's engine is a global (`_tfengine`); its WASM backend's heap is the emscripten module's memory. */
const WASM_PROBE = `(() => {
  const e = self._tfengine;
  const b = e && e.backendInstance;
  // the Memory itself first: a view (HEAPU8) can be one growth behind in the threaded build
  const heap = b && b.wasm ? (b.wasm.wasmMemory ? b.wasm.wasmMemory.buffer.byteLength : b.wasm.HEAPU8 ? b.wasm.HEAPU8.buffer.byteLength : null) : null;
  return { wasm: heap, tensorBytes: e ? e.memory().numBytes : null };
})()`;

async function sampleHeap(page: Page, cdp: CDPSession, heaps: WorkerHeaps, done: number): Promise<HeapSample> {
  const pageJs = ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  const worker = page.workers().find((w) => APP_WORKER.test(w.url()));
  const [workerJs, probe] = await Promise.all([
    heaps.used(APP_WORKER),
    worker ? (worker.evaluate(WASM_PROBE) as Promise<{ wasm: number | null; tensorBytes: number | null }>).catch(() => null) : Promise.resolve(null),
  ]);
  const wasm = probe?.wasm ?? null;
  return { done, pageJs, workerJs, wasm, tensorBytes: probe?.tensorBytes ?? null, totalMb: (pageJs + (workerJs ?? 0) + (wasm ?? 0)) / 1e6 };
}

type PageLog = {
  change: number;
  longtasks: { start: number; duration: number }[];
  firstFace: number;
  progressText: string;
  done: number;
  queued: number;
  statusPhotos: number;
  statusFaces: number;
  statusAt: number;
  skipped: number;
  progressGoneAt: number;
  finished: number;
};

export interface LibraryBenchOptions {
  appUrl: string;
  benchUrl: string;
  photos: LibraryPhotos;
  /** longest wait for the whole indexing run */
  timeoutMs: number;
  faceapi: boolean;
  log: (s: string) => void;
}

export async function benchLibrary(browser: Browser, o: LibraryBenchOptions): Promise<LibraryReport> {
  const errors: string[] = [];
  const loads: NonNullable<LibraryReport['loadAverage']> = { faceapiBefore: null, library: os.loadavg()[0], libraryEnd: 0, faceapiAfter: null };
  // face-api.js takes every other photo before our run and the rest after it, so load drift on this shared
  // machine falls on both sides alike
  const halves: FaceapiHalf[] = [];
  let faceapiError: string | null = null;
  if (o.faceapi) {
    try {
      loads.faceapiBefore = os.loadavg()[0];
      halves.push(await faceapiFullRun(browser, o.benchUrl, o.photos.unique.filter((_, i) => i % 2 === 0), o.log));
    } catch (error) {
      faceapiError = (error as Error).message.split('\n')[0];
    }
  }
  loads.library = os.loadavg()[0];
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // tsx (esbuild keepNames) wraps named functions in __name(); give serialized page functions a no-op one
  await context.addInitScript({ content: 'window.__name = window.__name || ((f) => f);' });
  await context.addInitScript(INSTRUMENT);
  let report: LibraryReport;
  let tracing = false;
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    const { heaps, cdp } = await WorkerHeaps.attach(context, page);
    await page.goto(o.appUrl + '/library');
    const badge = page.locator('.backend-badge[data-backend]');
    await badge.waitFor({ timeout: 240_000 });
    await page.getByRole('progressbar', { name: 'Loading face models' }).waitFor({ state: 'detached', timeout: 240_000 });
    const modelsReadyMs = await page.evaluate(() => performance.now());
    const backend = await badge.getAttribute('data-backend');
    const backendDetail = (await badge.textContent())?.trim() ?? null;
    const status = page.getByRole('status', { name: 'Library status' });
    if ((await status.textContent())?.trim() !== '0 photos · 0 faces') throw new Error(`the library is not empty: ${await status.textContent()}`);
    // the worker grows its WASM heap once the models are ready: start when it has settled
    let start = await sampleHeap(page, cdp, heaps, 0);
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(1000);
      const next = await sampleHeap(page, cdp, heaps, 0);
      const settled = next.wasm === start.wasm;
      start = next;
      if (settled) break;
    }
    o.log(`library: models ready at ${modelsReadyMs.toFixed(0)} ms (${backendDetail}); heap at start ${start.totalMb.toFixed(1)} MB; adding ${o.photos.files.length} files`);

    await page.evaluate((expected) => void ((window as unknown as { __lb: { expected: number } }).__lb.expected = expected), o.photos.unique.length);
    // the long-task API sees only tasks over 50 ms: a trace gives the longest one whatever its length
    tracing = await browser.startTracing(undefined, { categories: ['toplevel'] }).then(
      () => true,
      (error: Error) => (errors.push(`no trace: ${error.message.split('\n')[0]}`), false),
    );
    await page.getByLabel('Add photos to the library').setInputFiles(o.photos.files);
    const when = (what: 'half' | 'finished', timeout: number) =>
      page.evaluate(
        ([w, t]) =>
          Promise.race([
            (window as unknown as { __lbWhen: (x: string) => Promise<void> }).__lbWhen(w as string),
            new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`library: not ${w} within ${t} ms`)), t as number)),
          ]),
        [what, timeout] as const,
      );
    let middle: HeapSample | null = null;
    try {
      await when('half', o.timeoutMs);
      const done = await page.evaluate(() => (window as unknown as { __lb: { done: number } }).__lb.done);
      middle = await sampleHeap(page, cdp, heaps, done);
      o.log(`library: ${done} photos done, heap ${middle.totalMb.toFixed(1)} MB`);
    } catch (error) {
      errors.push((error as Error).message);
    }
    await when('finished', o.timeoutMs);
    loads.libraryEnd = os.loadavg()[0];
    const traceTasks = tracing ? mainThreadTasks(await browser.stopTracing()) : null;
    tracing = false;
    const lb = await page.evaluate(() => (window as unknown as { __lb: PageLog }).__lb);
    const end = await sampleHeap(page, cdp, heaps, lb.statusPhotos);
    const within = lb.longtasks.filter((t) => t.start + t.duration >= lb.change && t.start <= lb.finished);
    const wallMs = lb.finished - lb.change;
    const rate = /([\d.]+) photos\/s/.exec(lb.progressText);
    report = {
      photos: lb.statusPhotos,
      faces: lb.statusFaces,
      photos_per_second: lb.statusPhotos / (wallMs / 1000),
      faces_per_second: lb.statusFaces / (wallMs / 1000),
      ratio_vs_faceapi: null,
      longest_task_ms: Math.max(traceTasks?.longestMs ?? 0, ...within.map((t) => t.duration)),
      heap_mb: { start: start.totalMb, middle: (middle ?? end).totalMb, end: end.totalMb },
      files: o.photos.files.length,
      uniqueFiles: o.photos.unique.length,
      skipped: lb.skipped,
      backend,
      backendDetail,
      modelsReadyMs,
      wallMs,
      firstFaceMs: lb.firstFace ? lb.firstFace - lb.change : null,
      appRatePerSecond: rate ? Number(rate[1]) : null,
      longTasks: { count: within.length, over50: within.filter((t) => t.duration > 50).length, totalMs: sum(within.map((t) => t.duration)) },
      traceTasks,
      heaps: { start, middle, end },
      ratio_vs_faceapi_pipeline: null,
      faceapi: null,
      errors,
    };
    o.log(
      `library: ${report.photos} photos, ${report.faces} faces in ${(wallMs / 1000).toFixed(1)} s = ${report.photos_per_second.toFixed(2)} photos/s ` +
        `(app says ${report.appRatePerSecond ?? '-'}); first face ${report.firstFaceMs?.toFixed(0) ?? '-'} ms; longest task ${report.longest_task_ms.toFixed(0)} ms; ` +
        `heap ${start.totalMb.toFixed(1)} / ${report.heap_mb.middle.toFixed(1)} / ${end.totalMb.toFixed(1)} MB`,
    );
  } finally {
    if (tracing) await browser.stopTracing().catch(() => undefined);
    await context.close();
  }

  if (halves.length === 1) {
    try {
      halves.push(await faceapiFullRun(browser, o.benchUrl, o.photos.unique.filter((_, i) => i % 2 === 1), o.log));
      loads.faceapiAfter = os.loadavg()[0];
      report.faceapi = faceapiReport(halves);
      report.ratio_vs_faceapi = report.wallMs / report.faceapi.totalMs;
      report.ratio_vs_faceapi_pipeline = report.wallMs / report.faceapi.pipelineMs;
    } catch (error) {
      faceapiError = (error as Error).message.split('\n')[0];
    }
  }
  if (faceapiError) {
    report.faceapi = { error: faceapiError };
    o.log(`library: face-api.js full pipeline failed: ${faceapiError}`);
  }
  report.loadAverage = loads;
  return report;
}

interface FaceapiHalf {
  init: InitReport;
  loadMs: number;
  warmupMs: number;
  results: FullPipelinePhoto[];
  wasmHeapBytes: number | null;
}

/** face-api.js's full pipeline on the bench page (a context of the same browser), photo by photo in its worker. */
async function faceapiFullRun(browser: Browser, benchUrl: string, photos: string[], log: (s: string) => void): Promise<FaceapiHalf> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(benchUrl + '/');
    await page.waitForFunction(() => '__bench' in window);
    const bench = new BenchPage(page);
    await bench.start('full', 'faceapi-full');
    const init = await bench.call<InitReport>('full', 'init');
    const loadMs = await bench.call<number>('full', 'load');
    const [warm] = await bench.call<FullPipelinePhoto[]>('full', 'run', [photos[0]]);
    const warmupMs = warm.decodeMs + warm.pipelineMs;
    log(`library: face-api.js ${init.detail}; load ${loadMs.toFixed(0)} ms, first photo ${warmupMs.toFixed(0)} ms (untimed)`);
    const results: FullPipelinePhoto[] = [];
    const CHUNK = 25;
    for (let i = 0; i < photos.length; i += CHUNK) {
      results.push(...(await bench.call<FullPipelinePhoto[]>('full', 'run', photos.slice(i, i + CHUNK))));
      if (results.length % 100 < CHUNK || results.length === photos.length) {
        log(`library: face-api.js ${results.length}/${photos.length} photos, ${(sum(results.map((r) => r.decodeMs + r.pipelineMs)) / 1000).toFixed(1)} s so far`);
      }
    }
    const wasmHeapBytes = await bench.call<number | null>('full', 'wasmHeapBytes');
    await bench.stop('full');
    return { init, loadMs, warmupMs, results, wasmHeapBytes };
  } finally {
    await context.close();
  }
}

function faceapiReport(halves: FaceapiHalf[]): FaceapiFullReport {
  const results = halves.flatMap((h) => h.results);
  const decodeMs = sum(results.map((r) => r.decodeMs));
  const pipelineMs = sum(results.map((r) => r.pipelineMs));
  return {
    detail: halves[0].init.detail,
    loadMs: median(halves.map((h) => h.loadMs)),
    warmupMs: median(halves.map((h) => h.warmupMs)),
    photos: results.length,
    faces: sum(results.map((r) => r.faces)),
    decodeMs,
    pipelineMs,
    totalMs: decodeMs + pipelineMs,
    medianPipelineMs: median(results.map((r) => r.pipelineMs)),
    wasmHeapBytes: Math.max(...halves.map((h) => h.wasmHeapBytes ?? 0)) || null,
  };
}
