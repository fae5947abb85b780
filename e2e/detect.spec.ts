// (a) The built app finds the faces of a real group photo in its worker, draws them, and says which
// tfjs backend ran, on a cross-origin isolated page.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
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

  // The boxes are really drawn: the canvas differs from the bare photo along each box's top edge,
  // and is untouched in a corner far from every face.
  const photoBytes = [...fs.readFileSync(bbtPhoto(4))];
  const drawn = await page.evaluate(
    async ({ bytes, boxes }) => {
      const canvas = document.querySelector('section[aria-label="Photo A"] canvas.photo-canvas') as HTMLCanvasElement;
      const bare = await createImageBitmap(new Blob([new Uint8Array(bytes)]), { imageOrientation: 'from-image' });
      const scale = canvas.width / bare.width;
      const reference = new OffscreenCanvas(canvas.width, canvas.height).getContext('2d')!;
      reference.drawImage(bare, 0, 0, canvas.width, canvas.height);
      const shown = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const plain = reference.getImageData(0, 0, canvas.width, canvas.height).data;
      const differs = (x: number, y: number) => {
        const i = (Math.round(y) * canvas.width + Math.round(x)) * 4;
        return Math.abs(shown[i] - plain[i]) + Math.abs(shown[i + 1] - plain[i + 1]) + Math.abs(shown[i + 2] - plain[i + 2]) > 60;
      };
      const edgeCoverage = boxes.map(([x, y, w]) => {
        let hit = 0;
        let columns = 0;
        for (let cx = (x + 0.35 * w) * scale; cx <= (x + 0.9 * w) * scale; cx += 1, columns++) {
          for (let dy = -4; dy <= 4; dy++) {
            if (differs(cx, y * scale + dy)) {
              hit++;
              break;
            }
          }
        }
        return hit / columns;
      });
      let cornerChanged = 0;
      for (let y = canvas.height - 20; y < canvas.height; y++) for (let x = canvas.width - 20; x < canvas.width; x++) if (differs(x, y)) cornerChanged++;
      return { edgeCoverage, cornerChanged };
    },
    { bytes: photoBytes, boxes },
  );
  for (const coverage of drawn.edgeCoverage) expect(coverage).toBeGreaterThan(0.9);
  expect(drawn.cornerChanged).toBe(0);
});
