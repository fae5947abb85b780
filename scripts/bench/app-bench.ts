// The real app, driven like a person would: photos into the "Photo A"/"Photo B" file inputs, wait for the
// "Matches" list, move the "Threshold" slider. Timings are taken inside the page (performance.now()), from
// the first file input's change event to the DOM commit that shows the matches and to the frame after it.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { median } from './stats';

export interface E2eRun {
  label: string;
  files: [string, string];
  /** change event -> Matches list committed with both photos done */
  domMs: number;
  /** ... -> the animation frame after that commit */
  frameMs: number;
  faces: [number, number];
  matches: number;
  /** the app's own per-photo split (decode / detect / embed in the worker), from the status line */
  split: { A?: string; B?: string };
  longTasks: { count: number; over50: number; maxMs: number; totalMs: number };
}

export interface JsFile {
  url: string;
  bytes: number;
  gzipBytes: number;
  initiator: string;
}

export interface SliderMove {
  key: string;
  domMs: number;
  frameMs: number;
}

export interface AppReport {
  url: string;
  backend: string | null;
  backendDetail: string | null;
  firstPaintMs: number | null;
  firstContentfulPaintMs: number | null;
  /** JS fetched by the page (main thread) before first contentful paint */
  jsBeforePaint: { files: JsFile[]; bytes: number; gzipBytes: number };
  /** scripts the page fetched for its workers (they run off the main thread) */
  workerJs: JsFile[];
  /** all JS the page's main thread fetched by the time the models were ready */
  jsMainThreadTotalGzip: number;
  modelsReadyMs: number | null;
  runs: E2eRun[];
  slider: SliderMove[];
  /** performance.measureUserAgentSpecificMemory() after the runs (page + its workers), when available */
  uaMemoryBytes: number | null;
  errors: string[];
}

// Installed before any app script: long-task log, file-change timestamps and two watchers.
const INSTRUMENT = () => {
  const w = window as unknown as Record<string, unknown>;
  const log = { changes: [] as number[], longtasks: [] as { start: number; duration: number }[] };
  w.__bm = log;
  document.addEventListener(
    'change',
    (e) => {
      const t = e.target as HTMLInputElement | null;
      if (t && t.type === 'file') log.changes.push(performance.now());
    },
    true,
  );
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) log.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // no long-task API: counts stay empty
  }
  const status = (slot: string) =>
    document.querySelector(`section[aria-label="Photo ${slot}"] [data-status]`)?.getAttribute('data-status');
  // Resolves at the first DOM state with both photos analysed and the Matches list present.
  w.__bmWatchMatches = () =>
    new Promise<{ dom: number; frame: number }>((resolve) => {
      const check = () => {
        if (!document.querySelector('ol[aria-label="Matches"]') || status('A') !== 'done' || status('B') !== 'done') return;
        const dom = performance.now();
        observer.disconnect();
        requestAnimationFrame(() => resolve({ dom, frame: performance.now() }));
      };
      const observer = new MutationObserver(check);
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
  // Resolves at the first change to the Matches card after the next slider input event.
  w.__bmWatchSlider = () =>
    new Promise<{ input: number; dom: number; frame: number } | null>((resolve) => {
      let input = 0;
      const onInput = (e: Event) => {
        if ((e.target as HTMLInputElement).type === 'range') input = performance.now();
      };
      document.addEventListener('input', onInput, true);
      const card = document.querySelector('ol[aria-label="Matches"]')?.closest('.card') ?? document.body;
      const observer = new MutationObserver(() => {
        if (!input) return;
        const dom = performance.now();
        observer.disconnect();
        document.removeEventListener('input', onInput, true);
        requestAnimationFrame(() => resolve({ input, dom, frame: performance.now() }));
      });
      observer.observe(card, { subtree: true, childList: true, characterData: true, attributes: true });
      setTimeout(() => {
        observer.disconnect();
        resolve(null);
      }, 3000);
    });
};


/** Puts photos in, waits for matches, moves the slider: the timed interactions, shared by the measured and profiled runs. */
function driver(page: Page, log: (s: string) => void) {
  const input = (slot: 'A' | 'B') => page.getByRole('region', { name: `Photo ${slot}` }).locator('input[type="file"]');
  const clear = async () => {
    for (const slot of ['A', 'B'] as const) {
      const remove = page.getByRole('region', { name: `Photo ${slot}` }).getByRole('button', { name: /^Remove/ });
      if (await remove.count()) await remove.click();
    }
    await page.locator('ol[aria-label="Matches"]').waitFor({ state: 'detached', timeout: 10_000 });
  };
  const run = async (label: string, files: [string, string]): Promise<E2eRun> => {
    await clear();
    const before = await page.evaluate(() => {
      const w = window as unknown as { __bm: { changes: number[] }; __bmDone?: Promise<unknown>; __bmWatchMatches: () => Promise<unknown> };
      w.__bm.changes.length = 0;
      w.__bmDone = w.__bmWatchMatches();
      return performance.now();
    });
    await input('A').setInputFiles(files[0]);
    await input('B').setInputFiles(files[1]);
    const done = (await page.evaluate(() =>
      Promise.race([
        (window as unknown as { __bmDone: Promise<{ dom: number; frame: number }> }).__bmDone,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no Matches list within 240 s')), 240_000)),
      ]),
    )) as { dom: number; frame: number };
    const info = await page.evaluate(
      ([since]) => {
        const w = window as unknown as { __bm: { changes: number[]; longtasks: { start: number; duration: number }[] } };
        const t0 = Math.min(...w.__bm.changes);
        const tasks = w.__bm.longtasks.filter((t) => t.start + t.duration >= Math.max(since, t0 - 1));
        const split = (slot: string) =>
          document.querySelector(`section[aria-label="Photo ${slot}"] [data-status] [title]`)?.getAttribute('title') ?? undefined;
        const faces = (slot: string) => {
          const text = document.querySelector(`section[aria-label="Photo ${slot}"] [data-status]`)?.textContent ?? '';
          return Number(/(\d+) face/.exec(text)?.[1] ?? 0);
        };
        return {
          t0,
          tasks,
          split: { A: split('A'), B: split('B') },
          faces: [faces('A'), faces('B')] as [number, number],
          matches: document.querySelectorAll('ol[aria-label="Matches"] > li').length,
        };
      },
      [before] as const,
    );
    const within = info.tasks.filter((t) => t.start <= done.frame);
    const result: E2eRun = {
      label,
      files,
      domMs: done.dom - info.t0,
      frameMs: done.frame - info.t0,
      faces: info.faces,
      matches: info.matches,
      split: info.split,
      longTasks: {
        count: within.length,
        over50: within.filter((t) => t.duration > 50).length,
        maxMs: within.reduce((m, t) => Math.max(m, t.duration), 0),
        totalMs: within.reduce((s, t) => s + t.duration, 0),
      },
    };
    log(
      `app ${label}: ${result.domMs.toFixed(0)} ms to matches (${result.faces.join('+')} faces, ${result.matches} matches, long tasks ${result.longTasks.over50} > 50 ms, max ${result.longTasks.maxMs.toFixed(0)} ms)`,
    );
    return result;
  };


  const slide = async (moves: number): Promise<SliderMove[]> => {
  const slider = page.getByRole('slider', { name: 'Threshold' });
  await slider.focus();
  const keys = ['Home', 'End', 'PageDown', 'PageUp'];
  const out: SliderMove[] = [];
  for (let i = 0; i < moves; i++) {
    const key = keys[i % keys.length];
    await page.evaluate(() => {
      const w = window as unknown as { __bmSlider?: Promise<unknown>; __bmWatchSlider: () => Promise<unknown> };
      w.__bmSlider = w.__bmWatchSlider();
    });
    await page.keyboard.press(key);
    const moved = (await page.evaluate(
      () => (window as unknown as { __bmSlider: Promise<{ input: number; dom: number; frame: number } | null> }).__bmSlider,
    )) as { input: number; dom: number; frame: number } | null;
    if (moved) out.push({ key, domMs: moved.dom - moved.input, frameMs: moved.frame - moved.input });
  }
  return out;
  };
  return { run, slide };
}

function gzipSize(file: string): number {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}

export async function benchApp(
  browser: Browser,
  appUrl: string,
  distDir: string,
  photos: { bbt: [string, string]; groups: [string, string] },
  options: { warmRuns: number; sliderMoves: number; log: (s: string) => void },
): Promise<AppReport> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  // tsx (esbuild keepNames) wraps named functions in __name(); give serialized page functions a no-op one
  await context.addInitScript({ content: 'window.__name = window.__name || ((f) => f);' });
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const report: AppReport = {
    url: appUrl,
    backend: null,
    backendDetail: null,
    firstPaintMs: null,
    firstContentfulPaintMs: null,
    jsBeforePaint: { files: [], bytes: 0, gzipBytes: 0 },
    workerJs: [],
    jsMainThreadTotalGzip: 0,
    modelsReadyMs: null,
    runs: [],
    slider: [],
    uaMemoryBytes: null,
    errors,
  };
  try {
    await page.goto(appUrl + '/');
    await page.getByRole('progressbar').first().waitFor({ state: 'detached', timeout: 240_000 });
    report.modelsReadyMs = await page.evaluate(() => performance.now());
    const badge = page.locator('.backend-badge[data-backend]');
    await badge.waitFor({ timeout: 30_000 });
    report.backend = await badge.getAttribute('data-backend');
    report.backendDetail = await badge.textContent();

    const timing = await page.evaluate(() => ({
      paints: performance.getEntriesByType('paint').map((p) => ({ name: p.name, start: p.startTime })),
      resources: (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((r) => ({
        url: r.name,
        start: r.startTime,
        initiator: r.initiatorType,
      })),
    }));
    report.firstPaintMs = timing.paints.find((p) => p.name === 'first-paint')?.start ?? null;
    report.firstContentfulPaintMs = timing.paints.find((p) => p.name === 'first-contentful-paint')?.start ?? null;
    const paintAt = report.firstContentfulPaintMs ?? report.firstPaintMs ?? Infinity;
    const localFile = (url: string) => {
      const p = new URL(url).pathname;
      const file = path.join(distDir, decodeURIComponent(p));
      return fs.existsSync(file) && fs.statSync(file).isFile() ? file : null;
    };
    const js = timing.resources.filter((r) => /\.m?js$/.test(new URL(r.url).pathname));
    for (const r of js) {
      const file = localFile(r.url);
      if (!file) continue;
      const entry = { url: new URL(r.url).pathname, bytes: fs.statSync(file).size, gzipBytes: gzipSize(file), initiator: r.initiator };
      // <script>/<link rel=modulepreload>/import() run on the main thread; a Worker's script shows up as "other"
      if (r.initiator !== 'script' && r.initiator !== 'link') {
        report.workerJs.push(entry);
        continue;
      }
      report.jsMainThreadTotalGzip += entry.gzipBytes;
      if (r.start < paintAt) report.jsBeforePaint.files.push(entry);
    }
    report.jsBeforePaint.bytes = report.jsBeforePaint.files.reduce((s, f) => s + f.bytes, 0);
    report.jsBeforePaint.gzipBytes = report.jsBeforePaint.files.reduce((s, f) => s + f.gzipBytes, 0);

    const { run, slide } = driver(page, options.log);

    // Each part on its own: a failure (the app is still being finished) keeps what was measured before it.
    const attempt = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (error) {
        const message = `${what}: ${(error as Error).message.split('\n')[0]}`;
        errors.push(message);
        options.log(`app ${message}`);
      }
    };
    await attempt('bbt1+bbt4 first', async () => void report.runs.push(await run('bbt1+bbt4 first', photos.bbt)));
    for (let i = 0; i < options.warmRuns; i++) {
      await attempt('bbt1+bbt4 warm', async () => void report.runs.push(await run('bbt1+bbt4 warm', photos.bbt)));
    }
    await attempt('groups', async () => void report.runs.push(await run('groups warm', photos.groups)));

    // Slider, with the group photos loaded (the largest matrix): Home/End swing the list between empty and
    // full (the heaviest re-render), PageUp/PageDown move it part-way. Each move is timed from the range
    // input's `input` event to the Matches card change.
    await attempt('slider', async () => {
      report.slider = await slide(options.sliderMoves);
      options.log(
        `app slider: ${report.slider.length} moves changed the list; median ${median(report.slider.map((s) => s.domMs)).toFixed(1)} ms to DOM, ${median(report.slider.map((s) => s.frameMs)).toFixed(1)} ms to next frame`,
      );
    });

    report.uaMemoryBytes = await page
      .evaluate(async () => {
        const p = performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> };
        if (!p.measureUserAgentSpecificMemory || !crossOriginIsolated) return null;
        const timeout = new Promise<null>((r) => setTimeout(() => r(null), 30_000));
        const m = await Promise.race([p.measureUserAgentSpecificMemory(), timeout]);
        return m ? m.bytes : null;
      })
      .catch(() => null);
  } finally {
    await context.close();
  }
  return report;
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** sampled main-thread time that was not idle */
  busyMs: number;
  top: ProfileEntry[];
}

export interface AppProfile {
  /** one warm bbt1 + bbt4 run with the V8 sampling profiler on the page's main thread */
  run: ProfileSummary & { e2e: E2eRun };
  /** slider moves (Home/End/PageDown/PageUp) */
  slider: ProfileSummary & { moves: SliderMove[] };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

function summariseProfile(profile: CpuProfile, top = 14): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, ProfileEntry>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!node || node.callFrame.functionName === '(idle)') return;
    busy += dt;
    const fn = node.callFrame.functionName || '(anonymous)';
    const where = node.callFrame.url ? `${path.basename(new URL(node.callFrame.url).pathname)}:${node.callFrame.lineNumber + 1}` : '';
    const key = `${fn}@${where}`;
    const entry = self.get(key) ?? { fn, where, selfMs: 0 };
    entry.selfMs += dt;
    self.set(key, entry);
  });
  return { busyMs: busy, top: [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top) };
}

/**
 * Where the main thread's time goes: the app built without minification (.bench/app-profile, readable
 * names), one warm run and a few slider moves under the V8 sampling profiler. Not part of the timed figures.
 */
export async function profileApp(
  browser: Browser,
  appUrl: string,
  photos: { bbt: [string, string] },
  log: (s: string) => void,
): Promise<AppProfile> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await context.addInitScript({ content: 'window.__name = window.__name || ((f) => f);' });
  await context.addInitScript(INSTRUMENT);
  const page = await context.newPage();
  try {
    await page.goto(appUrl + '/');
    await page.getByRole('progressbar').first().waitFor({ state: 'detached', timeout: 240_000 });
    const { run, slide } = driver(page, log);
    await run('profile warm-up', photos.bbt);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
    await cdp.send('Profiler.start');
    const e2e = await run('bbt1+bbt4 profiled', photos.bbt);
    const runProfile = summariseProfile((await cdp.send('Profiler.stop')).profile as CpuProfile);
    await cdp.send('Profiler.start');
    const moves = await slide(8);
    const sliderProfile = summariseProfile((await cdp.send('Profiler.stop')).profile as CpuProfile);
    return { run: { ...runProfile, e2e }, slider: { ...sliderProfile, moves } };
  } finally {
    await context.close();
  }
}
