// Offline PWA and privacy: the manifest and its icons, a service worker that precaches the whole app
// (shell, tfjs WASM, built-in models) and keeps cross-origin isolation on cached responses, a full
// detect-embed-match session offline, and no request to any origin but the app's own.
import { expect, test, type Page, type Request } from '@playwright/test';
import {
  bbtLabels,
  bbtPhoto,
  choosePhoto,
  detectedBoxes,
  facesFound,
  nameFaces,
  openApp,
  readMatches,
  waitForModels,
} from './support';

interface Manifest {
  name: string;
  short_name: string;
  start_url: string;
  display: string;
  theme_color: string;
  background_color: string;
  icons: { src: string; sizes: string; type: string; purpose?: string }[];
}

async function pngSize(page: Page, src: string): Promise<{ w: number; h: number }> {
  return page.evaluate(async (url) => {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob());
    return { w: bitmap.width, h: bitmap.height };
  }, src);
}

/** The cast members matched between two bbt photos, checked against the who-is-who labels. */
async function checkCastMatches(page: Page, a: number, b: number): Promise<(string | null)[]> {
  const namesA = nameFaces(await detectedBoxes(page, 'A'), bbtLabels(a));
  const namesB = nameFaces(await detectedBoxes(page, 'B'), bbtLabels(b));
  const matches = await readMatches(page);
  for (const m of matches) {
    expect(namesA[m.a - 1], `A${m.a} ~ B${m.b}`).not.toBeNull();
    expect(namesA[m.a - 1], `A${m.a} ~ B${m.b}`).toBe(namesB[m.b - 1]);
  }
  return matches.map((m) => namesA[m.a - 1]);
}

test('installable and offline: manifest, service worker, then the whole flow with the network off', async ({ page, context }) => {
  await openApp(page);

  // Manifest: linked, valid fields, icons that load with the sizes they claim.
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(href).toBeTruthy();
  const manifestResponse = await page.request.get(href!);
  expect(manifestResponse.ok()).toBe(true);
  const manifest = (await manifestResponse.json()) as Manifest;
  expect(manifest.name).toContain('facematch');
  expect(manifest.short_name).toBe('facematch');
  expect(manifest.start_url).toBe('/');
  expect(manifest.display).toBe('standalone');
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
  const sizes = manifest.icons.map((i) => i.sizes);
  expect(sizes).toEqual(expect.arrayContaining(['192x192', '512x512']));
  expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);
  for (const icon of manifest.icons) {
    expect(icon.type).toBe('image/png');
    const [w, h] = icon.sizes.split('x').map(Number);
    expect(await pngSize(page, icon.src), icon.src).toEqual({ w, h });
  }

  // The service worker precaches everything, then says so.
  await expect(page.getByText('Ready for offline use')).toBeVisible({ timeout: 120_000 });
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  for (const needed of [
    '/index.html',
    '/models/index.json',
    '/models/mtcnn/weights.bin',
    '/models/vggface2-mobilenet/faceres.bin',
    '/models/dlib-resnet29/face_recognition_model.bin',
  ]) {
    expect(cached, needed).toContain(needed);
  }
  expect(cached.filter((u) => u.endsWith('.wasm'))).toHaveLength(3);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);

  // Network off: the reload is served by the service worker, still cross-origin isolated.
  await context.setOffline(true);
  const fromNetwork: string[] = [];
  const fromWorker: string[] = [];
  context.on('response', (r) => (r.fromServiceWorker() ? fromWorker : fromNetwork).push(r.url()));
  const failed: string[] = [];
  context.on('requestfailed', (r) => failed.push(r.url()));
  await page.reload();
  await waitForModels(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await expect(page.getByText('Ready for offline use')).toBeVisible();
  // the worker is isolated too (threaded WASM possible), and its backend started from cached files
  await expect(page.locator('.backend-badge')).toHaveAttribute('data-isolated', 'true');

  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'A')).toBeGreaterThanOrEqual(5);
  expect(await facesFound(page, 'B')).toBeGreaterThanOrEqual(6);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
  // the four people in both photos, as online (e2e/matches.spec.ts)
  expect((await checkCastMatches(page, 3, 4)).sort()).toEqual(['leonard', 'penny', 'raj', 'sheldon']);
  await expect(page.getByRole('alert')).toHaveText('');

  expect(failed, 'requests that failed offline').toEqual([]);
  expect(fromWorker.some((u) => u.includes('/models/dlib-resnet29/face_recognition_model.bin'))).toBe(true);
  expect(fromWorker.some((u) => u.endsWith('.wasm'))).toBe(true);
  expect(fromNetwork.filter((u) => u.startsWith('http')), 'responses that came from the network').toEqual([]);
  await context.setOffline(false);
});

test('privacy: a whole session talks only to the app origin, and the CSP blocks other origins', async ({ page, context, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  const requests: Request[] = [];
  context.on('request', (r) => requests.push(r));
  const violations: string[] = [];
  await page.exposeFunction('__cspViolation', (v: string) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      (window as unknown as { __cspViolation: (v: string) => void }).__cspViolation(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });

  await openApp(page);
  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  await facesFound(page, 'A');
  await facesFound(page, 'B');
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export matches (PNG)' }).click();
  expect((await (await download).path()) ?? '').not.toBe('');
  await expect(page.getByText('Ready for offline use')).toBeVisible({ timeout: 120_000 });

  const urls = requests.map((r) => r.url());
  // the worker's own fetches are seen too (the models come from the worker)
  expect(urls.some((u) => u.includes('/models/mtcnn/weights.bin'))).toBe(true);
  const foreign = urls.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:') && new URL(u).origin !== origin);
  expect(foreign, 'requests to other origins').toEqual([]);
  expect(violations, 'CSP violations during a normal session').toEqual([]);

  // The policy is really there: a script cannot reach another origin.
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(csp).toContain("connect-src 'self' blob: data:");
  expect(csp).toContain("script-src 'self' blob: 'wasm-unsafe-eval'");
  const outcome = await page.evaluate(async () => {
    try {
      await fetch('http://127.0.0.1:9/beacon', { mode: 'no-cors' });
      return 'sent';
    } catch {
      return 'blocked';
    }
  });
  expect(outcome).toBe('blocked');
  await expect.poll(() => violations.some((v) => v.startsWith('connect-src') && v.includes('127.0.0.1:9'))).toBe(true);
  expect(requests.map((r) => r.url()).filter((u) => u.includes('127.0.0.1:9'))).toEqual([]);
});
