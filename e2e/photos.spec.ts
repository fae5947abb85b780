// Photo lifecycle: replacing a photo cancels its old work, a photo with no face or a file that is not an
// image leaves the other photo's results alone, and photos arrive by URL, paste and drop too.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import {
  bbtLabels,
  bbtPhoto,
  choosePhoto,
  detectedBoxes,
  facesFound,
  faceapiImages,
  iou,
  openApp,
  panel,
  panelStatus,
  screenshot,
  watchWorkerTraffic,
  whitePng,
  workerTraffic,
} from './support';

async function boxesMatchLabels(page: Page, slot: 'A' | 'B', photo: number): Promise<void> {
  const boxes = await detectedBoxes(page, slot);
  for (const label of bbtLabels(photo)) {
    if (!label.name) continue;
    expect(Math.max(...boxes.map((b) => iou(b, label.box))), `${label.name} in bbt${photo}`).toBeGreaterThan(0.7);
  }
}

test('replacing a photo cancels its old work; no-face and non-image photos keep the other results', async ({ page }) => {
  await watchWorkerTraffic(page);
  await openApp(page);
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'B')).toBe(6);
  const timingB = await panelStatus(page, 'B').locator('span[title]').getAttribute('title');

  // Replace A while its first photo is still being analysed: the old request comes back cancelled and
  // only the new photo's faces are shown.
  await choosePhoto(page, 'A', bbtPhoto(1));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces/);
  await choosePhoto(page, 'A', bbtPhoto(3));
  await facesFound(page, 'A');
  await expect(panel(page, 'A').getByText('bbt3.jpg')).toBeVisible();
  await boxesMatchLabels(page, 'A', 3);
  await expect.poll(async () => (await workerTraffic(page)).cancelled).toBe(1);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();

  // A photo without faces says so; B's faces stay, and B is not analysed again.
  await choosePhoto(page, 'A', whitePng);
  expect(await facesFound(page, 'A')).toBe(0);
  await expect(panelStatus(page, 'A')).toHaveText(/No faces found/);
  await expect(page.getByText('No faces found in photo A')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Matches' })).toHaveCount(0);
  await expect(panel(page, 'B').getByRole('list', { name: 'Faces in photo B' }).getByRole('button')).toHaveCount(6);
  expect(await panelStatus(page, 'B').locator('span[title]').getAttribute('title')).toBe(timingB);

  // Not an image: a plain alert, and B is still there.
  await choosePhoto(page, 'A', path.join(faceapiImages, 'SOURCE.md'));
  await expect(page.getByRole('alert')).toContainText('SOURCE.md');
  await expect(page.getByRole('alert')).toContainText('not an image');
  await expect(panelStatus(page, 'B')).toHaveText(/6 faces found/);
  await screenshot(page, '04-error');

  // Removing A leaves B's results untouched too.
  await page.getByRole('button', { name: 'Remove photo A' }).click();
  await expect(panel(page, 'A').getByRole('button', { name: /Drop a photo here/ })).toBeVisible();
  await expect(panelStatus(page, 'B')).toHaveText(/6 faces found/);
  expect(await panelStatus(page, 'B').locator('span[title]').getAttribute('title')).toBe(timingB);
});

test('photos by URL (with and without CORS), paste and drop', async ({ page }) => {
  // A real second origin (another port): /open/ allows cross-origin reads, /closed/ (like most sites) does not.
  const bytes = fs.readFileSync(bbtPhoto(5));
  const imageHost = http.createServer((request, response) => {
    const cors = request.url?.startsWith('/open/') ? { 'access-control-allow-origin': '*' } : {};
    response.writeHead(200, { 'content-type': 'image/jpeg', ...cors });
    response.end(bytes);
  });
  await new Promise<void>((resolve) => imageHost.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}`;
  try {
    await openApp(page);
    await loadByUrlPasteAndDrop(page, origin);
  } finally {
    imageHost.close();
  }
});

/** URL (refused, then allowed) into A, paste into B, then drop into B. */
async function loadByUrlPasteAndDrop(page: Page, origin: string): Promise<void> {
  const urlField = panel(page, 'A').getByRole('textbox', { name: 'Image URL for photo A' });
  await urlField.fill(`${origin}/closed/cast.jpg`);
  await urlField.press('Enter');
  await expect(page.getByRole('alert')).toContainText(`${new URL(origin).host} refused to let this page read the image`);
  await expect(panel(page, 'A').getByRole('button', { name: /Drop a photo here/ })).toBeVisible();

  await urlField.fill(`${origin}/open/bbt5.jpg`);
  await urlField.press('Enter');
  await facesFound(page, 'A');
  await expect(panel(page, 'A').getByText('bbt5.jpg')).toBeVisible();
  await boxesMatchLabels(page, 'A', 5);

  // Paste into the focused panel B.
  const photoBytes = [...fs.readFileSync(bbtPhoto(2))];
  await panel(page, 'B').focus();
  await page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], 'clipboard.jpg', { type: 'image/jpeg' }));
    document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
  }, photoBytes);
  await facesFound(page, 'B');
  await boxesMatchLabels(page, 'B', 2);

  // Drop replaces B; A keeps its faces.
  const dropBytes = [...fs.readFileSync(bbtPhoto(3))];
  await page.evaluate((data) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(data)], 'dropped.jpg', { type: 'image/jpeg' }));
    const target = document.querySelector('section[aria-label="Photo B"]')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, dropBytes);
  await expect(panel(page, 'B').getByText('dropped.jpg')).toBeVisible();
  await facesFound(page, 'B');
  await boxesMatchLabels(page, 'B', 3);
  await expect(panelStatus(page, 'A')).toHaveText(/faces found/);
}
