// Start-up under every timing: photos given while the page is still loading its models must finish, never hang.
// None of these tests waits for "ready" before acting, except the one that acts just after it on purpose.
import { expect, test, type Page } from '@playwright/test';
import {
  bbtLabels,
  bbtPhoto,
  choosePhoto,
  detectedBoxes,
  facesFound,
  nameFaces,
  panel,
  panelStatus,
  readMatches,
  waitForModels,
} from './support';

/** The five people bbt3 and bbt5 share, by the who-is-who labels. */
const sharedCast = (a: number, b: number): string[] => {
  const inB = new Set(bbtLabels(b).map((f) => f.name));
  return bbtLabels(a)
    .map((f) => f.name)
    .filter((name): name is string => name !== null && inB.has(name))
    .sort();
};

function recordErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/** Both photos finish with every labelled person found, and the matches pair exactly the people in both. */
async function expectCastMatched(page: Page, a: number, b: number): Promise<void> {
  const countA = await facesFound(page, 'A');
  const countB = await facesFound(page, 'B');
  const namesA = nameFaces(await detectedBoxes(page, 'A'), bbtLabels(a));
  const namesB = nameFaces(await detectedBoxes(page, 'B'), bbtLabels(b));
  expect(countA).toBeGreaterThanOrEqual(bbtLabels(a).length);
  expect(countB).toBeGreaterThanOrEqual(bbtLabels(b).length);
  for (const label of bbtLabels(a)) if (label.name) expect(namesA).toContain(label.name);
  for (const label of bbtLabels(b)) if (label.name) expect(namesB).toContain(label.name);
  const list = page.getByRole('list', { name: 'Matches' });
  await expect(list.getByRole('listitem').first()).toBeVisible();
  const matches = await readMatches(page);
  const pairs = matches.map((m) => [namesA[m.a - 1], namesB[m.b - 1]]);
  for (const [x, y] of pairs) expect(x, `A ${x} matched with B ${y}`).toBe(y);
  expect(pairs.map(([x]) => x).sort()).toEqual(sharedCast(a, b));
  await expect(page.getByRole('alert')).toHaveText('');
}

type Moment = { name: string; wait: (page: Page) => Promise<void> };

const moments: Moment[] = [
  // as soon as the file inputs exist: the worker has not even been created yet
  { name: 'immediately after navigation', wait: async () => undefined },
  { name: 'at about 100 ms', wait: (page) => page.waitForTimeout(100) },
  { name: 'at about 500 ms', wait: (page) => page.waitForTimeout(500) },
  { name: 'at about 1 s', wait: (page) => page.waitForTimeout(1000) },
  {
    name: 'during the warm-up',
    // checked every frame in the page: Playwright's own polling, slowed by a loaded machine, missed a short warm-up
    wait: async (page) => {
      await page.waitForFunction(
        () => document.querySelector('[role=progressbar][aria-label="Loading face models"]')?.getAttribute('aria-valuetext')?.startsWith('Preparing') === true,
        null,
        { polling: 'raf', timeout: 60_000 },
      );
    },
  },
  { name: 'just after ready', wait: (page) => waitForModels(page) },
];

for (const moment of moments) {
  test(`both photos given ${moment.name} finish with the right faces and matches`, async ({ page }) => {
    const problems = recordErrors(page);
    // when the first visit's service worker takes control, relative to the analysis (it precaches alongside it)
    await page.addInitScript(() => {
      navigator.serviceWorker?.addEventListener('controllerchange', () => {
        const statuses = [...document.querySelectorAll('[data-status]')].map((n) => n.getAttribute('data-status'));
        (window as unknown as { __claimedDuring: string }).__claimedDuring = statuses.join('/');
      });
    });
    await page.goto('/', { waitUntil: 'commit' });
    await moment.wait(page);
    await choosePhoto(page, 'A', bbtPhoto(5));
    await choosePhoto(page, 'B', bbtPhoto(3));
    await expectCastMatched(page, 5, 3);
    // this fresh profile's service worker took control during this visit, and nothing was lost by it
    await expect.poll(() => page.evaluate(() => (window as unknown as { __claimedDuring?: string }).__claimedDuring ?? null), { timeout: 120_000 }).not.toBeNull();
    const claimedDuring = await page.evaluate(() => (window as unknown as { __claimedDuring: string }).__claimedDuring);
    console.log(`${moment.name}: the service worker took control with the photos ${claimedDuring}`);
    await expectCastMatched(page, 5, 3);
    expect(problems, 'uncaught page errors').toEqual([]);
  });
}

test('photo B replaced twice while the models load: only the last one is analysed, A is kept', async ({ page }) => {
  const problems = recordErrors(page);
  await page.goto('/', { waitUntil: 'commit' });
  await choosePhoto(page, 'A', bbtPhoto(5));
  await choosePhoto(page, 'B', bbtPhoto(1));
  await page.waitForTimeout(200);
  await choosePhoto(page, 'B', bbtPhoto(2));
  await expect(page.getByRole('progressbar', { name: 'Loading face models' })).toBeVisible();
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expect(panel(page, 'B').getByText('bbt3.jpg')).toBeVisible();
  await expectCastMatched(page, 5, 3);
  expect(problems).toEqual([]);
});

test('the embedder switched while both photos are being analysed: both finish on the new one', async ({ page }) => {
  const problems = recordErrors(page);
  await page.goto('/');
  await waitForModels(page);
  const chooser = page.getByRole('combobox', { name: 'Face model' });
  const before = await chooser.inputValue();
  const other = await chooser.locator('option').evaluateAll((options, current) =>
    options.map((o) => (o as HTMLOptionElement).value).find((v) => v !== current && v !== 'vggface2-resnet50') ?? null, before);
  expect(other).not.toBeNull();
  await choosePhoto(page, 'A', bbtPhoto(5));
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces|Opening/);
  await chooser.selectOption(other!);
  await expectCastMatched(page, 5, 3);
  await expect(chooser).toHaveValue(other!);
  // the matrix is only shown for faces embedded by the chosen model
  await expect(page.getByRole('table', { name: /^Distance matrix/ })).toBeVisible();
  expect(problems).toEqual([]);
});

test('a photo removed while it is analysed goes away; the other keeps its results', async ({ page }) => {
  const problems = recordErrors(page);
  await page.goto('/', { waitUntil: 'commit' });
  await choosePhoto(page, 'A', bbtPhoto(5));
  const countA = await facesFound(page, 'A');
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expect(panelStatus(page, 'B')).toHaveText(/Finding faces|Opening/);
  await page.getByRole('button', { name: 'Remove photo B' }).click();
  await expect(panelStatus(page, 'B')).toHaveText('');
  await expect(panel(page, 'B').getByRole('button', { name: /Drop a photo here/ })).toBeVisible();
  // A's faces stay; B's late result must not come back
  await page.waitForTimeout(3000);
  await expect(panelStatus(page, 'A')).toHaveText(new RegExp(`${countA} faces found`));
  await expect(panelStatus(page, 'B')).toHaveText('');
  await expect(panel(page, 'B').getByRole('list', { name: 'Faces in photo B' }).getByRole('button')).toHaveCount(0);
  // and the slot works again
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expectCastMatched(page, 5, 3);
  expect(problems).toEqual([]);
});

test('an analysis that stops making progress says so and its retry finishes it', async ({ page }) => {
  const problems = recordErrors(page);
  await page.addInitScript(() => {
    (globalThis as { facematchStallAfterMs?: number }).facematchStallAfterMs = 1500;
  });
  await page.goto('/');
  await waitForModels(page);
  const worker = page.workers().find((w) => /facematch\.worker/.test(w.url()));
  if (!worker) throw new Error('the analysis worker is not running');
  await choosePhoto(page, 'A', bbtPhoto(5));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces/);
  // Hang the worker's thread, as a runaway kernel or a wedged driver would; the evaluation never returns.
  void worker.evaluate(() => {
    for (;;) {
      // spin
    }
  }).catch(() => undefined);
  const retry = panel(page, 'A').getByRole('button', { name: 'Retry the analysis of photo A' });
  await expect(retry).toBeVisible({ timeout: 30_000 });
  await expect(panel(page, 'A').getByText(/taking much longer than it should/)).toBeVisible();
  await retry.click();
  await expect(retry).toHaveCount(0);
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expectCastMatched(page, 5, 3);
  expect(problems).toEqual([]);
});

test('a worker crash while a photo is queued behind another: both finish on a fresh worker', async ({ page }) => {
  const problems = recordErrors(page);
  await page.goto('/');
  await waitForModels(page);
  await choosePhoto(page, 'A', bbtPhoto(5));
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces/);
  const worker = page.workers().find((w) => /facematch\.worker/.test(w.url()));
  if (!worker) throw new Error('the analysis worker is not running');
  // an uncaught error, as a bug or an out-of-memory abort in the worker would raise
  await worker.evaluate(() => {
    setTimeout(() => {
      throw new Error('e2e: simulated worker crash');
    });
  });
  await expect(page.getByText(/The analysis worker stopped .*restarted it/)).toBeVisible();
  await expectCastMatched(page, 5, 3);
  expect(problems).toEqual([]);
});

test('the backend switched while both photos are being analysed: a fresh worker finishes both', async ({ page }) => {
  const problems = recordErrors(page);
  const workers: string[] = [];
  page.on('worker', (w) => workers.push(w.url()));
  await page.goto('/');
  await waitForModels(page);
  await choosePhoto(page, 'A', bbtPhoto(5));
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces|Opening/);
  await page.getByText('Settings', { exact: true }).click();
  await page.getByRole('region', { name: 'Settings' }).getByRole('combobox', { name: 'Compute backend' }).selectOption('wasm');
  await expectCastMatched(page, 5, 3);
  expect(workers.filter((url) => /facematch\.worker/.test(url)).length).toBe(2);
  expect(problems).toEqual([]);
});

test('offline, served by the service worker: both photos given at load finish', async ({ page, context }) => {
  const problems = recordErrors(page);
  await page.goto('/');
  await waitForModels(page);
  await expect(page.getByRole('status', { name: 'Offline readiness' })).toHaveText('Ready for offline use', { timeout: 120_000 });
  await context.setOffline(true);
  await page.reload({ waitUntil: 'commit' });
  await choosePhoto(page, 'A', bbtPhoto(5));
  await choosePhoto(page, 'B', bbtPhoto(3));
  await expectCastMatched(page, 5, 3);
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(problems).toEqual([]);
});
