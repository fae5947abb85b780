// The WebGPU backend on SwiftShader (the 'webgpu-swiftshader' project in playwright.config.ts gives this browser a
// software WebGPU adapter): auto never takes it, ?backend=webgpu runs the whole flow on it, and a lost device
// restarts the worker on the next backend with the interrupted photo finished.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { bbtLabels, bbtPhoto, choosePhoto, detectedBoxes, faceapiImages, facesFound, nameFaces, panel, panelStatus, readMatches, waitForModels } from './support';

const settings = (page: Page) => page.getByRole('region', { name: 'Settings' });
const shownBackend = (page: Page) => settings(page).locator('.settings-backend');
const badge = (page: Page) => page.locator('.backend-badge');

async function openSettings(page: Page): Promise<void> {
  await page.getByText('Settings', { exact: true }).click();
  await expect(settings(page)).toBeVisible();
}

function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

test('auto stays on WASM where the only WebGPU adapter is SwiftShader, and says why', async ({ page }) => {
  const problems = watchErrors(page);
  await page.goto('/');
  await waitForModels(page);
  // the adapter exists here: this browser really offers WebGPU, and auto turns it down
  const adapter = await page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { architecture?: string } } | null> } }).gpu;
    return (await gpu?.requestAdapter())?.info?.architecture ?? null;
  });
  expect(adapter).toBe('swiftshader');
  await openSettings(page);
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'wasm');
  await expect(badge(page)).toContainText('CPU (WASM)');
  await expect(settings(page)).toContainText('the WebGPU adapter is a software one (google swiftshader)');
  expect(problems).toEqual([]);
});

// One group photo on SwiftShader WebGPU took 106-113 s here while the parity spec used the other core; the CI
// machine was slower (bbt4 missed 120 s), so each photo of this flow gets 6 minutes.
const SWIFTSHADER_PHOTO_MS = 360_000;

/** What the panel says each step took (its title: decode, detect and embed ms). */
const stepTimes = (page: Page, slot: 'A' | 'B') => panel(page, slot).locator('[title^="decode"]').first().getAttribute('title');

// One test, so the WebGPU warm-up (a minute or more on SwiftShader) is paid once: the flow, then a device loss.
test('?backend=webgpu: bbt3 and bbt4 matched on WebGPU; a lost device mid-analysis restarts on WASM and the photo finishes', async ({ page }) => {
  test.setTimeout(1_200_000);
  const problems = watchErrors(page);
  const workers: import('@playwright/test').Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  const t0 = Date.now();
  await page.goto('/?backend=webgpu');
  await waitForModels(page);
  const readyMs = Date.now() - t0;
  await expect(badge(page)).toContainText('GPU (WebGPU)');
  await openSettings(page);
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'webgpu');
  await expect(settings(page)).toContainText('Requested by the ?backend= address parameter.');

  const t1 = Date.now();
  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  const countA = await facesFound(page, 'A', SWIFTSHADER_PHOTO_MS);
  const countB = await facesFound(page, 'B', SWIFTSHADER_PHOTO_MS);
  const photosMs = Date.now() - t1;
  const timesA = await stepTimes(page, 'A');
  const timesB = await stepTimes(page, 'B');
  const namesA = nameFaces(await detectedBoxes(page, 'A'), bbtLabels(3));
  const namesB = nameFaces(await detectedBoxes(page, 'B'), bbtLabels(4));
  const matches = await readMatches(page);
  const matched = matches.map((m) => [namesA[m.a - 1], namesB[m.b - 1]]);
  for (const [a, b] of matched) expect(a, `A${a} matched with B${b}`).toBe(b);
  expect(matched.map(([a]) => a).sort()).toEqual(['leonard', 'penny', 'raj', 'sheldon']);
  const timing = `WebGPU (SwiftShader): models ready ${readyMs} ms; bbt3+bbt4 ${photosMs} ms (${countA}+${countB} faces; A ${timesA}; B ${timesB})`;
  test.info().annotations.push({ type: 'timing', description: timing });
  console.log(timing);
  await expect(page.getByRole('alert')).toHaveText('');

  // The GPU goes away while a photo is being analysed: the worker restarts on the next backend in the order
  // (SwiftShader WebGL is software, so WASM) and the photo still finishes.
  const mlWorker = workers.find((w) => w.url().includes('facematch.worker'))!;
  await choosePhoto(page, 'A', path.join(faceapiImages, 'examples/images/sheldon/sheldon1.png'));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces/);
  const lost = await mlWorker.evaluate(() =>
    (self as unknown as { facematchDebug: { loseGpu(): boolean } }).facematchDebug.loseGpu(),
  );
  expect(lost).toBe(true);
  await expect(page.getByRole('contentinfo').getByRole('status')).toContainText(
    // the read-back that the lost device fails usually reports first (mapAsync rejects), device.lost later
    /WebGPU (device lost|failed: .*mapAsync).*restarted it on WASM/,
    { timeout: SWIFTSHADER_PHOTO_MS },
  );
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'wasm', { timeout: 120_000 });
  await expect(settings(page)).toContainText('Switched to WASM after the previous backend failed.');
  await expect(badge(page)).toContainText('CPU (WASM)');
  expect(await facesFound(page, 'A')).toBe(1);
  // B's results stay (they live in the page, not the worker)
  expect(await facesFound(page, 'B')).toBe(countB);
  expect(workers.filter((w) => w.url().includes('facematch.worker')).length).toBe(2);
  await expect(page.getByRole('alert')).toHaveText('');
  expect(problems).toEqual([]);
});
