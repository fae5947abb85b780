// (b) Two bbt cast photos: the people in both are matched, the threshold and pairing mode re-pair instantly
// without any model work, and the exported PNG holds every pair.
import fs from 'node:fs';
import { PNG } from 'pngjs';
import { expect, test, type Page } from '@playwright/test';
import {
  bbtLabels,
  bbtPhoto,
  choosePhoto,
  detectedBoxes,
  facesFound,
  nameFaces,
  openApp,
  readMatches,
  screenshot,
  watchWorkerTraffic,
  workerTraffic,
  type MatchRow,
} from './support';

async function exportPng(page: Page): Promise<{ bytes: Buffer; png: PNG; fileName: string }> {
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export matches (PNG)' }).click();
  const file = await download;
  const bytes = fs.readFileSync(await file.path());
  return { bytes, png: PNG.sync.read(bytes), fileName: file.suggestedFilename() };
}

function expectOneToOne(rows: MatchRow[]): void {
  expect(new Set(rows.map((r) => r.a)).size).toBe(rows.length);
  expect(new Set(rows.map((r) => r.b)).size).toBe(rows.length);
}

test('bbt3 and bbt4: the four people in both are matched; threshold, mode and export', async ({ page }) => {
  await watchWorkerTraffic(page);
  await openApp(page);
  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  const countA = await facesFound(page, 'A');
  const countB = await facesFound(page, 'B');
  const namesA = nameFaces(await detectedBoxes(page, 'A'), bbtLabels(3));
  const namesB = nameFaces(await detectedBoxes(page, 'B'), bbtLabels(4));
  for (const name of ['sheldon', 'howard', 'penny', 'raj', 'leonard']) expect(namesA).toContain(name);
  for (const name of ['leonard', 'amy', 'raj', 'penny', 'sheldon', 'bernadette']) expect(namesB).toContain(name);

  const list = page.getByRole('list', { name: 'Matches' });
  await expect(list.getByRole('listitem').first()).toBeVisible();
  await screenshot(page, '03-results');

  // At the embedder's calibrated default, one-to-one: exactly the people in both photos, best first.
  const slider = page.getByRole('slider', { name: 'Threshold' });
  const defaultThreshold = Number(await slider.inputValue());
  const matches = await readMatches(page);
  const matchedNames = matches.map((m) => [namesA[m.a - 1], namesB[m.b - 1]]);
  for (const [a, b] of matchedNames) expect(a, `A${a} matched with B${b}`).toBe(b);
  expect(matchedNames.map(([a]) => a).sort()).toEqual(['leonard', 'penny', 'raj', 'sheldon']);
  expectOneToOne(matches);
  const distances = matches.map((m) => m.distance);
  expect(distances).toEqual([...distances].sort((x, y) => x - y));
  for (const d of distances) expect(d).toBeLessThanOrEqual(defaultThreshold);
  const fourPairs = await exportPng(page);
  expect(fourPairs.fileName).toBe('facematch-matches.png');
  expect(fourPairs.bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);

  // Everything below re-pairs the stored matrix: no message may reach the worker.
  const before = await workerTraffic(page);

  await slider.focus();
  await page.keyboard.press('Home');
  await expect(slider).toHaveValue('0');
  await expect(list.getByRole('listitem')).toHaveCount(0);
  await expect(page.getByText('No pair is under the threshold')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export matches (PNG)' })).toBeDisabled();

  await page.keyboard.press('End');
  await expect(list.getByRole('listitem')).toHaveCount(Math.min(countA, countB));
  expectOneToOne(await readMatches(page));

  await page.getByRole('radio', { name: 'every pair under the threshold' }).check();
  await expect(list.getByRole('listitem')).toHaveCount(countA * countB);
  const allPairs = await readMatches(page);
  expect(new Set(allPairs.map((m) => `${m.a},${m.b}`)).size).toBe(countA * countB);
  const everyPair = await exportPng(page);
  expect(everyPair.png.height).toBeGreaterThan(fourPairs.png.height);
  expect(everyPair.bytes.length).toBeGreaterThan(fourPairs.bytes.length);

  await page.getByRole('button', { name: /^Reset to/ }).click();
  await expect(slider).toHaveValue(String(defaultThreshold));
  await page.getByRole('radio', { name: 'one-to-one' }).check();
  await expect(list.getByRole('listitem')).toHaveCount(4);

  const after = await workerTraffic(page);
  expect(after.sent).toBe(before.sent);

  // Hovering a match highlights both faces and the matrix cell reads out its distance.
  await list.getByRole('listitem').first().hover();
  await expect(page.locator('.matrix-readout')).toContainText(`A${matches[0].a} × B${matches[0].b}`);
  await expect(page.locator('.matrix-readout')).toContainText(matches[0].distance.toFixed(3));
  await screenshot(page, '05-highlight');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, '06-results-dark');
  await page.setViewportSize({ width: 420, height: 900 });
  await screenshot(page, '07-results-narrow');
});
