// (a) The built app finds the faces of a real group photo in its worker, draws them, and says which
// tfjs backend ran, on a cross-origin isolated page.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { PNG } from 'pngjs';
import { bbtLabels, bbtPhoto, choosePhoto, detectedBoxes, facesFound, iou, panel, screenshot, waitForModels } from './support';

test('detects and draws the six faces of bbt4 in the worker', async ({ page }) => {
  const workers: string[] = [];
  page.on('worker', (worker) => workers.push(worker.url()));
  await page.goto('/');
  await expect(page.getByRole('progressbar')).toBeVisible();
  await screenshot(page, '01-loading');
  await waitForModels(page);
  await screenshot(page, '02-empty');

  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  const badge = page.locator('.backend-badge[data-backend]');
  const backend = await badge.getAttribute('data-backend');
  expect(['wasm', 'webgl']).toContain(backend);
  // The test browser renders WebGL with SwiftShader: the app must notice and use WASM instead.
  expect(backend).toBe('wasm');
  await expect(badge).toHaveAttribute('data-isolated', 'true');
  await expect(badge).toContainText(/SIMD, \d+ threads?/);
  expect(workers.some((url) => url.includes('facematch.worker'))).toBe(true);

  await choosePhoto(page, 'A', bbtPhoto(4));
  expect(await facesFound(page, 'A')).toBe(6);
  await expect(panel(page, 'A').getByRole('img', { name: /bbt4\.jpg, 6 faces marked/ })).toBeVisible();

  // Every labelled face is found where the reference MTCNN puts it.
  const boxes = await detectedBoxes(page, 'A');
  for (const label of bbtLabels(4)) {
    expect(Math.max(...boxes.map((b) => iou(b, label.box))), `face of ${label.name}`).toBeGreaterThan(0.7);
  }

  // The boxes are really drawn: what the page shows differs from the bare photo along each box's top edge,
  // and is untouched in a corner far from every face. The photo is an <img> and the marks an SVG overlay,
  // so both are compared as rendered: a screenshot with the overlay, and one with it hidden.
  const stage = panel(page, 'A').locator('.photo-frame');
  const shownPng = PNG.sync.read(await stage.screenshot());
  await page.addStyleTag({ content: 'section[aria-label="Photo A"] .face-overlay { visibility: hidden; }' });
  const plainPng = PNG.sync.read(await stage.screenshot());
  const photo = await page.evaluate(async (bytes) => {
    const bare = await createImageBitmap(new Blob([new Uint8Array(bytes)]), { imageOrientation: 'from-image' });
    return { width: bare.width, height: bare.height };
  }, [...fs.readFileSync(bbtPhoto(4))]);
  const drawn = onScreenDifference(shownPng, plainPng, photo, boxes);
  for (const coverage of drawn.edgeCoverage) expect(coverage).toBeGreaterThan(0.9);
  expect(drawn.cornerChanged).toBe(0);
});

/**
 * Compares two same-size screenshots of the photo stage: per box, the share of its top edge's columns that
 * changed within 4 px, and how many pixels changed in a 20 px corner far from every face. The image shows the
 * photo letterboxed ("contain"), so photo coordinates are mapped into the screenshot first.
 */
function onScreenDifference(shown: PNG, plain: PNG, photo: { width: number; height: number }, boxes: number[][]) {
  const scale = Math.min(shown.width / photo.width, shown.height / photo.height);
  const left = (shown.width - photo.width * scale) / 2;
  const top = (shown.height - photo.height * scale) / 2;
  const differs = (x: number, y: number) => {
    const i = (Math.round(y) * shown.width + Math.round(x)) * 4;
    const d = (k: number) => Math.abs(shown.data[i + k] - plain.data[i + k]);
    return d(0) + d(1) + d(2) > 60;
  };
  const edgeCoverage = boxes.map(([x, y, w]) => {
    let hit = 0;
    let columns = 0;
    for (let cx = left + (x + 0.35 * w) * scale; cx <= left + (x + 0.9 * w) * scale; cx += 1, columns++) {
      for (let dy = -4; dy <= 4; dy++) {
        if (differs(cx, top + y * scale + dy)) {
          hit++;
          break;
        }
      }
    }
    return hit / columns;
  });
  let cornerChanged = 0;
  const right = left + photo.width * scale;
  const bottom = top + photo.height * scale;
  for (let y = Math.floor(bottom) - 20; y < Math.floor(bottom); y++) for (let x = Math.floor(right) - 20; x < Math.floor(right); x++) if (differs(x, y)) cornerChanged++;
  return { edgeCoverage, cornerChanged };
}
