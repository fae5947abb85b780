// Photo formats: HEIC (which Chromium cannot decode) gets a message naming it and saying what to do, and loses
// nothing already done; AVIF and WebP (which it decodes) are analysed like the JPEG they were made from.
// The files are made from a real photo by Debian's own encoders (.ci/run installs them).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { bbtLabels, bbtPhoto, choosePhoto, detectedBoxes, facesFound, nameFaces, openApp, panelStatus, readMatches, repoRoot } from './support';

const outDir = path.join(repoRoot, 'test-results', 'formats');

function encode(tool: string, args: string[], out: string): string {
  const file = path.join(outDir, out);
  try {
    execFileSync(tool, [...args, file], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`${tool} failed (apt-get install libheif-examples libavif-bin webp): ${(error as Error).message}`);
  }
  return file;
}

test.beforeAll(() => {
  fs.mkdirSync(outDir, { recursive: true });
});

test('a HEIC photo gets a message that names the format; the other photo keeps its faces', async ({ page }) => {
  const heic = encode('heif-enc', ['-q', '70', bbtPhoto(3), '-o'], 'bbt3.heic');
  expect(fs.readFileSync(heic).subarray(4, 12).toString('latin1')).toBe('ftypheic');
  await openApp(page);
  await choosePhoto(page, 'B', bbtPhoto(4));
  const countB = await facesFound(page, 'B');
  await choosePhoto(page, 'A', heic);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('“bbt3.heic” is a HEIC photo');
  await expect(alert).toContainText('export it as JPEG');
  await expect(panelStatus(page, 'A')).toContainText('HEIC');
  await expect(panelStatus(page, 'B')).toHaveText(new RegExp(`^${countB} faces found`));
});

for (const { format, make } of [
  { format: 'AVIF', make: () => encode('avifenc', ['--min', '10', '--max', '30', bbtPhoto(3)], 'bbt3.avif') },
  { format: 'WebP', make: () => encode('cwebp', ['-quiet', '-q', '85', bbtPhoto(3), '-o'], 'bbt3.webp') },
]) {
  test(`a photo in ${format} is analysed like the JPEG it was made from`, async ({ page }) => {
    const file = make();
    await openApp(page);
    await choosePhoto(page, 'A', file);
    await choosePhoto(page, 'B', bbtPhoto(4));
    await facesFound(page, 'A');
    await facesFound(page, 'B');
    const namesA = nameFaces(await detectedBoxes(page, 'A'), bbtLabels(3));
    const namesB = nameFaces(await detectedBoxes(page, 'B'), bbtLabels(4));
    for (const label of bbtLabels(3)) expect(namesA).toContain(label.name);
    await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
    const matched = (await readMatches(page)).map((m) => {
      expect(namesA[m.a - 1]).toBe(namesB[m.b - 1]);
      return namesA[m.a - 1];
    });
    expect(matched.sort()).toEqual(['leonard', 'penny', 'raj', 'sheldon']);
    await expect(page.getByRole('alert')).toHaveText('');
  });
}
