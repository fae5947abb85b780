// Shared helpers for the end-to-end specs: real photos from ../shared, the app's own regions and controls.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page } from '@playwright/test';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sharedDir = path.resolve(repoRoot, process.env.SHARED_DIR ?? '../shared');
export const faceapiImages = path.join(sharedDir, 'datasets/faceapi-js-images');
export const bbtPhoto = (n: number) => path.join(faceapiImages, `examples/images/bbt${n}.jpg`);
export const whitePng = path.join(faceapiImages, 'test/images/white.png');
export const screenshotDir = path.join(repoRoot, 'e2e/screenshots');

export type Box = [number, number, number, number];
export interface LabelledFace {
  box: Box;
  name: string | null;
}

/** Who is who in bbt1-5 (boxes as the reference MTCNN finds them). */
export function bbtLabels(n: number): LabelledFace[] {
  const labels = JSON.parse(fs.readFileSync(path.join(faceapiImages, 'bbt-labels.json'), 'utf8')) as {
    photos: Record<string, LabelledFace[]>;
  };
  const faces = labels.photos[`examples/images/bbt${n}.jpg`];
  if (!faces) throw new Error(`bbt${n} is not labelled`);
  return faces;
}

export function iou(a: Box, b: Box): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  return inter / (a[2] * a[3] + b[2] * b[3] - inter);
}

export const panel = (page: Page, slot: 'A' | 'B'): Locator => page.getByRole('region', { name: `Photo ${slot}` });
export const panelStatus = (page: Page, slot: 'A' | 'B'): Locator => panel(page, slot).getByRole('status');

export async function openApp(page: Page): Promise<void> {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto('/');
  await waitForModels(page);
  expect(problems, 'uncaught page errors').toEqual([]);
}

/** The progress bar disappears once the models are loaded and warmed up. */
export async function waitForModels(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { name: 'facematch' })).toBeVisible();
  await expect(page.getByRole('progressbar')).toHaveCount(0, { timeout: 120_000 });
  await expect(page.getByRole('alert')).toHaveText('');
}

export async function choosePhoto(page: Page, slot: 'A' | 'B', file: string): Promise<void> {
  await panel(page, slot).getByLabel(`Choose photo ${slot}`).setInputFiles(file);
}

/** Waits until the slot's analysis settles and returns the number of faces it reports. timeoutMs: software
 * GPU backends take minutes a photo when another browser shares the cores. */
export async function facesFound(page: Page, slot: 'A' | 'B', timeoutMs = 120_000): Promise<number> {
  const status = panelStatus(page, slot);
  await expect(status).toHaveText(/faces? found|No faces found/, { timeout: timeoutMs });
  const text = (await status.textContent()) ?? '';
  const match = /(\d+) faces? found/.exec(text);
  const count = match ? Number(match[1]) : 0;
  // the crop strip renders at transition priority, a moment after the status line
  if (count > 0) await expect(panel(page, slot).getByRole('list', { name: `Faces in photo ${slot}` }).getByRole('button')).toHaveCount(count);
  return count;
}

export interface MatchRow {
  a: number;
  b: number;
  distance: number;
}

/** Reads the list named "Matches": face numbers (1-based) and distances, in the order shown. */
export async function readMatches(page: Page): Promise<MatchRow[]> {
  const items = page.getByRole('list', { name: 'Matches' }).getByRole('listitem');
  const labels = await items.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''));
  return labels.map((label) => {
    const m = /A(\d+) matches B(\d+), distance (-?[\d.]+)/.exec(label);
    if (!m) throw new Error(`unexpected match label: ${label}`);
    return { a: Number(m[1]), b: Number(m[2]), distance: Number(m[3]) };
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}

/** The boxes of the faces the app found in a slot, in its numbering (face n is index n - 1). */
export async function detectedBoxes(page: Page, slot: 'A' | 'B'): Promise<Box[]> {
  const buttons = panel(page, slot).getByRole('list', { name: `Faces in photo ${slot}` }).getByRole('button');
  const boxes = await buttons.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-box') ?? ''));
  return boxes.map((b) => b.split(',').map(Number) as Box);
}

/** Labels each detected face with the labelled person it overlaps best (IoU >= 0.5), or null. */
export function nameFaces(detected: Box[], labels: LabelledFace[]): (string | null)[] {
  return detected.map((box) => {
    let best: LabelledFace | null = null;
    let bestIou = 0.5;
    for (const label of labels) {
      const overlap = iou(box, label.box);
      if (overlap >= bestIou) {
        best = label;
        bestIou = overlap;
      }
    }
    return best?.name ?? null;
  });
}

/**
 * Counts messages the page sends to its workers and analysis results that come back cancelled, from
 * the outside (wrapping Worker before the app starts), so specs can prove work was or was not done.
 */
export async function watchWorkerTraffic(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const traffic = { sent: 0, cancelled: 0 };
    (window as unknown as { __workerTraffic: typeof traffic }).__workerTraffic = traffic;
    const post = Worker.prototype.postMessage;
    Worker.prototype.postMessage = function (this: Worker, ...args: unknown[]) {
      traffic.sent++;
      if (!(this as unknown as { __watched?: boolean }).__watched) {
        (this as unknown as { __watched?: boolean }).__watched = true;
        this.addEventListener('message', (event: MessageEvent) => {
          const value = (event.data as { value?: { cancelled?: boolean } } | null)?.value;
          if (value && value.cancelled === true) traffic.cancelled++;
        });
      }
      return (post as (...a: unknown[]) => void).apply(this, args);
    } as typeof Worker.prototype.postMessage;
  });
}

export async function workerTraffic(page: Page): Promise<{ sent: number; cancelled: number }> {
  return page.evaluate(() => ({ ...(window as unknown as { __workerTraffic: { sent: number; cancelled: number } }).__workerTraffic }));
}

/**
 * Starts measuring the page's main thread from the inside: a 50 ms interval records how late each tick fires (a
 * long task shows as a long gap), and long tasks are listed with what the photo panels were doing at the time.
 */
export async function watchMainThread(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __gaps: number[]; __longTasks: string[] };
    w.__gaps = [];
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const status = [...document.querySelectorAll('[data-status]')].map((n) => n.getAttribute('data-status')).join('/');
        w.__longTasks.push(`${Math.round(e.duration)} ms at ${Math.round(e.startTime)} (${status})`);
      }
    }).observe({ type: 'longtask' });
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.__gaps.push(now - last);
      last = now;
    }, 50);
  });
}

/** What watchMainThread() saw; `reset` starts a new measuring window. */
export async function mainThreadGaps(page: Page, reset = false): Promise<{ longest: number; ticks: number; longTasks: string }> {
  return page.evaluate((reset) => {
    const w = window as unknown as { __gaps: number[]; __longTasks: string[] };
    const seen = { longest: Math.max(0, ...w.__gaps), ticks: w.__gaps.length, longTasks: w.__longTasks.join('; ') };
    if (reset) {
      w.__gaps.length = 0;
      w.__longTasks.length = 0;
    }
    return seen;
  }, reset);
}

/** The PNG's tEXt chunks, keyword -> text. */
export function pngTexts(bytes: Buffer): Record<string, string> {
  const texts: Record<string, string> = {};
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const data = bytes.subarray(at + 8, at + 8 + length);
      const zero = data.indexOf(0);
      texts[data.toString('latin1', 0, zero)] = data.toString('latin1', zero + 1);
    }
    at += 12 + length;
  }
  return texts;
}

/** Reads rows of one of the Library's IndexedDB stores, as the page sees them. */
export type StoreReader = <Row>(store: string) => Promise<Row[]>;

/**
 * What the Library keeps, read from IndexedDB itself rather than through the app. `summarise` runs in the page
 * (Blobs do not cross to the test), with a reader of the 'facematch-library' database.
 */
export async function readLibraryDb<T>(page: Page, summarise: (all: StoreReader) => Promise<T>): Promise<T> {
  const reader = await page.evaluateHandle(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('facematch-library');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = <Row,>(store: string) =>
      new Promise<Row[]>((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result as Row[]);
        request.onerror = () => reject(request.error);
      });
    // closed afterwards, so a later clear or upgrade of the database is not blocked by this connection
    return { all, close: () => db.close() };
  });
  const all = await reader.evaluateHandle(({ all }) => all);
  try {
    return await all.evaluate(summarise);
  } finally {
    await all.dispose();
    await reader.evaluate(({ close }) => close());
    await reader.dispose();
  }
}

/**
 * Compare's matches by who the faces are (from the photos' labels): every matched pair must be one person. Returns
 * the people matched, sorted.
 */
export async function matchedPeople(page: Page, labelsA: LabelledFace[], labelsB: LabelledFace[]): Promise<(string | null)[]> {
  const namesA = nameFaces(await detectedBoxes(page, 'A'), labelsA);
  const namesB = nameFaces(await detectedBoxes(page, 'B'), labelsB);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
  const matched = (await readMatches(page)).map((m) => {
    expect(namesA[m.a - 1]).toBe(namesB[m.b - 1]);
    return namesA[m.a - 1];
  });
  return matched.sort();
}
