// The update flow with two real builds: a page running version 1 (served and precached by its service worker)
// hears of version 2, offers it, keeps the person's photos and results while offering, keeps running version 1
// everywhere until the person accepts, and then runs version 2 whole.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { serveStatic, type Mounts, type StaticServer } from '../scripts/bench/serve';
import { bbtPhoto, choosePhoto, facesFound, readMatches, repoRoot, waitForModels } from './support';

const v1Dir = path.resolve(repoRoot, process.env.E2E_DIST ?? 'dist');
const v2Dir = path.join(repoRoot, 'test-results', 'update-v2');
const V2_VERSION = '0.0.0-e2e-update';

let server: StaticServer;
const mounts: Mounts = { '/': v1Dir };

test.beforeAll(async () => {
  test.setTimeout(180_000);
  // version 2: the same app with another version string, so its main chunk, index.html and precache list differ
  execFileSync('npx', ['vite', 'build', '--outDir', v2Dir, '--emptyOutDir', '--logLevel', 'warn'], {
    cwd: repoRoot,
    env: { ...process.env, FACEMATCH_VERSION: V2_VERSION },
    stdio: 'pipe',
  });
  server = await serveStatic(mounts);
});

test.afterAll(async () => {
  await server?.close();
});

const version = (page: Page) => page.locator('.app-version');

/** Every script the page (and its workers) loaded, by file name; each must belong to the build named. */
async function scriptsLoaded(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => new URL(e.name).pathname)
      .filter((p) => p.endsWith('.js')),
  );
}

function expectAllFrom(scripts: string[], dir: string): void {
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) expect(fs.existsSync(path.join(dir, script)), `${script} in ${path.basename(dir)}`).toBe(true);
}

test('a new version is offered, applied only on accept, never mixed with the running one', async ({ page, context }) => {
  test.setTimeout(300_000);
  await page.goto(server.url);
  await waitForModels(page);
  await expect(page.getByRole('status', { name: 'Offline readiness' })).toHaveText('Ready for offline use', { timeout: 120_000 });
  const v1Label = (await version(page).textContent()) ?? '';
  expect(v1Label).not.toContain(V2_VERSION);
  const v1Main = await scriptsLoaded(page);
  expectAllFrom(v1Main, v1Dir);

  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  const countA = await facesFound(page, 'A');
  const countB = await facesFound(page, 'B');
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
  const matches = await readMatches(page);

  // Version 2 is deployed; the open tab checks for it (as it does hourly and when it becomes visible).
  mounts['/'] = v2Dir;
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  const offer = page.getByRole('status', { name: 'Update available' });
  await expect(offer).toContainText('A new version is available', { timeout: 60_000 });
  await expect(offer).toContainText('the photos will need to be chosen again');

  // The offer changes nothing: same version, same photos, same results.
  await expect(version(page)).toHaveText(v1Label);
  await expect(page.getByRole('region', { name: 'Photo A' }).getByRole('status')).toHaveText(new RegExp(`^${countA} faces found`));
  await expect(page.getByRole('region', { name: 'Photo B' }).getByRole('status')).toHaveText(new RegExp(`^${countB} faces found`));
  expect(await readMatches(page)).toEqual(matches);

  // Until accepted, a second tab still gets version 1 whole, from the old service worker, though the server has v2.
  const second = await context.newPage();
  await second.goto(server.url);
  await waitForModels(second);
  await expect(version(second)).toHaveText(v1Label);
  expectAllFrom(await scriptsLoaded(second), v1Dir);
  await second.close();

  // Accepted: the page reloads into version 2, all of it.
  await offer.getByRole('button', { name: 'Reload to update' }).click();
  await expect(version(page)).toHaveText(`facematch ${V2_VERSION}`, { timeout: 60_000 });
  await waitForModels(page);
  const v2Scripts = await scriptsLoaded(page);
  expectAllFrom(v2Scripts, v2Dir);
  expect(v2Scripts.some((s) => !fs.existsSync(path.join(v1Dir, s))), 'version 2 has a script version 1 lacks').toBe(true);
  await expect(page.getByRole('status', { name: 'Update available' })).toHaveCount(0);

  // and it works
  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'A')).toBe(countA);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
  expect((await readMatches(page)).map((m) => [m.a, m.b])).toEqual(matches.map((m) => [m.a, m.b]));
});
