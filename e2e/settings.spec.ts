// The settings panel: shows the backend that runs and why, overrides it (a fresh worker, the photos re-run),
// and a lost WebGL context restarts the worker on WASM instead of breaking the page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { writeSyntheticResnet50H5 } from '../test/resnet50/synthetic-keras-h5';
import { bbtPhoto, choosePhoto, faceapiImages, facesFound, openApp, waitForModels } from './support';

const settings = (page: Page) => page.getByRole('region', { name: 'Settings' });
const shownBackend = (page: Page) => settings(page).locator('.settings-backend');

async function openSettings(page: Page): Promise<void> {
  // keyboard: the disclosure opens with Enter on its summary
  await page.getByText('Settings', { exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(settings(page)).toBeVisible();
}

test('the settings panel shows the backend and switching to WASM re-runs the photos', async ({ page }) => {
  const workers: import('@playwright/test').Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  await openApp(page);
  await openSettings(page);
  // headless Chromium has only SwiftShader, so auto picks WASM and says why
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'wasm');
  await expect(shownBackend(page)).toContainText(/WASM: (no )?SIMD, .*cross-origin isolated/);
  await expect(settings(page)).toContainText(/software-rendered|not available/);

  await choosePhoto(page, 'A', bbtPhoto(4));
  expect(await facesFound(page, 'A')).toBe(6);

  const backend = settings(page).getByRole('combobox', { name: 'Compute backend' });
  await backend.selectOption('wasm');
  await expect(settings(page)).toContainText('Chosen in these settings.');
  expect(workers.filter((w) => w.url().includes('facematch.worker')).length).toBe(2);
  expect(await facesFound(page, 'A')).toBe(6);
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'wasm');
  await expect(page.getByRole('alert')).toHaveText('');

  // remembered across sessions
  await page.reload();
  await waitForModels(page);
  await openSettings(page);
  await expect(settings(page).getByRole('combobox', { name: 'Compute backend' })).toHaveValue('wasm');
});

test('a lost WebGL context restarts the worker on WASM and the interrupted work still finishes', async ({ page }) => {
  test.setTimeout(300_000);
  const workers: import('@playwright/test').Worker[] = [];
  page.on('worker', (w) => workers.push(w));
  await page.goto('/?backend=webgl');
  await openSettings(page);
  // SwiftShader takes minutes to warm the models up on WebGL: the context is lost while they load,
  // with a photo waiting for them.
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'webgl', { timeout: 120_000 });
  await expect(settings(page)).toContainText('Requested by the ?backend= address parameter.');
  await choosePhoto(page, 'A', path.join(faceapiImages, 'examples/images/sheldon/sheldon1.png'));
  await expect(page.getByRole('progressbar')).toHaveCount(1);
  const mlWorker = workers.find((w) => w.url().includes('facematch.worker'))!;
  const lost = await mlWorker.evaluate(() =>
    (self as unknown as { facematchDebug: { loseGpu(): boolean } }).facematchDebug.loseGpu(),
  );
  expect(lost).toBe(true);

  await expect(page.getByRole('contentinfo').getByRole('status')).toContainText(/WebGL context lost.*restarted it on WASM/, {
    timeout: 120_000,
  });
  await expect(shownBackend(page)).toHaveAttribute('data-backend', 'wasm', { timeout: 120_000 });
  expect(await facesFound(page, 'A')).toBe(1);
  expect(workers.filter((w) => w.url().includes('facematch.worker')).length).toBe(2);
  await expect(page.getByRole('alert')).toHaveText('');
});

test('stored ResNet50 weights are listed with their size and can be deleted', async ({ page }) => {
  test.setTimeout(300_000);
  const chooser = page.getByRole('combobox', { name: 'Face model' });
  await openApp(page);
  await openSettings(page);
  await expect(settings(page)).toContainText('No model weights are stored');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'facematch-e2e-'));
  const h5Path = path.join(dir, 'rcmalli_vggface_tf_notop_resnet50.h5');
  fs.writeFileSync(h5Path, (await writeSyntheticResnet50H5({ seed: 7 })).bytes);
  try {
    await page.getByLabel('VGGFace2 ResNet50 weights file (.h5)').setInputFiles(h5Path);
    await expect(chooser).toHaveValue('vggface2-resnet50', { timeout: 180_000 });
    await expect(page.getByRole('progressbar')).toHaveCount(0, { timeout: 180_000 });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await expect(settings(page)).toContainText(/VGGFace2 ResNet50: \d+\.\d MB/);

  await settings(page).getByRole('button', { name: 'Delete stored weights' }).click();
  await expect(settings(page)).toContainText('No model weights are stored');
  await expect(chooser).toHaveValue('dlib-resnet29');
  await expect(chooser.locator('option[value="vggface2-resnet50"]')).toHaveCount(0);
  // gone for good: a new session does not offer it
  await page.reload();
  await waitForModels(page);
  await expect(chooser).toHaveValue('dlib-resnet29');
  await expect(chooser.locator('option[value="vggface2-resnet50"]')).toHaveCount(0);
});
