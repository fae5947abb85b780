// The Library's storage edges: a folder given through the File System Access picker (a real directory handle, from
// the origin-private file system, stands in for the one the picker would return), and a full quota mid-indexing
// (Chromium's own quota override), which stops with a clear message, keeps what is stored consistent, and resumes.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { sharedDir } from './support';

const fddb = (JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as { images: { image: string; fold: number }[] }).images;

const status = (page: Page) => page.getByRole('status', { name: 'Library status' });

async function readStatus(page: Page): Promise<{ photos: number; faces: number }> {
  const m = /([\d,]+) photos? · ([\d,]+) faces?/.exec((await status(page).textContent()) ?? '');
  if (!m) throw new Error('no status');
  return { photos: Number(m[1].replace(/,/g, '')), faces: Number(m[2].replace(/,/g, '')) };
}

test('a folder from the directory picker: every file in it and its sub-folders, the bad one listed', async ({ page }) => {
  test.setTimeout(240_000);
  // showDirectoryPicker needs a person to pick; the handle it returns is the same API as the private file system's
  await page.addInitScript(() => {
    (window as unknown as { showDirectoryPicker: () => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker = async () =>
      (await navigator.storage.getDirectory()).getDirectoryHandle('trip');
  });
  await page.goto('/library');
  const photos = fddb.slice(0, 3).map(({ image }) => ({ name: path.basename(image), bytes: [...fs.readFileSync(path.join(sharedDir, 'datasets/fddb', image))] }));
  await page.evaluate(async (files) => {
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('trip', { create: true });
    const day = await root.getDirectoryHandle('day-1', { create: true });
    for (const [i, f] of files.entries()) {
      const handle = await (i === 0 ? root : day).getFileHandle(f.name, { create: true });
      const writable = await handle.createWritable();
      await writable.write(new Uint8Array(f.bytes));
      await writable.close();
    }
    const note = await (await day.getFileHandle('notes.txt', { create: true })).createWritable();
    await note.write('not a photo');
    await note.close();
  }, photos);
  await page.getByText('Add a folder', { exact: true }).click();
  await expect(page.getByText('Added 4 photos.')).toBeVisible();
  await expect(status(page)).toHaveText(/^3 photos · \d+ faces$/, { timeout: 180_000 });
  await expect(page.getByRole('list', { name: 'Skipped files' })).toContainText('trip/day-1/notes.txt');
  await page.getByRole('list', { name: 'Library photos' }).getByRole('button', { name: new RegExp(`^${photos[1].name}, `) }).click();
  await expect(page.getByRole('region', { name: 'Photo' })).toContainText('trip/day-1');
});

test('a full quota: adding says so and keeps the library whole; with space again the same files are added', async ({ page }) => {
  test.setTimeout(420_000);
  await page.goto('/library');
  await expect(page.getByRole('status', { name: 'Offline readiness' })).toHaveText('Ready for offline use', { timeout: 180_000 });
  // photos of folds 3 and 4, each once (FDDB lists a few photos twice under two names)
  const seen = new Set<string>();
  const later = fddb
    .filter((i) => i.fold === 3 || i.fold === 4)
    .map(({ image }) => path.join(sharedDir, 'datasets/fddb', image))
    .filter((file) => {
      const hash = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      return !seen.has(hash) && seen.add(hash) !== undefined;
    });
  const [first, more] = [later.slice(0, 4), later.slice(4, 104)];
  expect(more).toHaveLength(100);
  const bytes = (files: string[]) => files.reduce((sum, f) => sum + fs.statSync(f).size, 0);

  // Chromium's own quota override, set before the library writes anything (it held only from then on here): room
  // for the first photos, not for the 100 more (their files are kept until indexed)
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  const { usage } = await page.evaluate(() => navigator.storage.estimate());
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: (usage ?? 0) + bytes(first) * 3 + 400_000 });
  expect(bytes(more)).toBeGreaterThan(bytes(first) * 3 + 400_000);

  await page.getByLabel('Add photos to the library').setInputFiles(first);
  await expect(status(page)).toHaveText(/^4 photos · \d+ faces$/, { timeout: 240_000 });
  const stored = await readStatus(page);
  await page.getByLabel('Add photos to the library').setInputFiles(more);
  // files are queued in slices, each in one transaction: the refused ones are counted and the rest kept
  const refusal = page.getByText(/^(\d+) files not added: the browser has no more storage space for this site\./);
  await expect(refusal).toBeVisible({ timeout: 60_000 });
  const refused = Number(/^(\d+)/.exec((await refusal.textContent()) ?? '')![1]);
  expect(refused).toBeGreaterThan(0);
  if (refused < 100) await expect(page.getByText(`Added ${100 - refused} photos.`, { exact: true })).toBeVisible();
  else await expect(page.getByText(/^Added /)).toHaveCount(0);
  // what is stored stays whole while the queued ones are indexed or refused for space: each tile is a whole photo
  await page.waitForTimeout(2000);
  const after = await readStatus(page);
  expect(after.photos).toBeGreaterThanOrEqual(stored.photos);
  await expect(page.getByRole('list', { name: 'Library photos' }).getByRole('button', { name: /, \d+ faces?$/ })).toHaveCount(after.photos);

  // space again: the same 100 files, and only the refused ones are new
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 20 * 1024 ** 3 });
  await page.getByLabel('Add photos to the library').setInputFiles(more);
  await expect(page.getByText(refused === 100 ? 'Added 100 photos.' : `Added ${refused} photos; ${100 - refused} files already in the library.`, { exact: true })).toBeVisible();
  // "Resume" if the queue had stopped for space meanwhile
  const resume = page.getByRole('button', { name: 'Resume indexing' });
  if (await resume.count()) await resume.first().click();
  await expect(status(page)).toHaveText(/^104 photos · \d+ faces$/, { timeout: 360_000 });
});
