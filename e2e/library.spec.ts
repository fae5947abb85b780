// The Library: a folder of real photos (FDDB folds 1 and 2, 136 photos) indexed on the device, kept across a reload
// in the middle of indexing (nothing analysed twice), added again (nothing added), shown offline; and a folder with
// bad files indexes the good ones and lists the rest with their reasons.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { bbtLabels, bbtPhoto, facesFound, matchedPeople, readLibraryDb, repoRoot, screenshot, sharedDir } from './support';

interface FddbImage {
  image: string;
  fold: number;
  boxes: number[][];
}

const fddbImages = (JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as { images: FddbImage[] }).images.filter(
  (i) => i.fold === 1 || i.fold === 2,
);

/** A folder as a person would pick it: the 136 photos in FDDB's own sub-folders. */
function fddbFolder(): string {
  const root = path.join(repoRoot, 'test-results', 'library', 'fddb-folds-1-2');
  for (const { image } of fddbImages) {
    const to = path.join(root, image);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    if (!fs.existsSync(to)) fs.copyFileSync(path.join(sharedDir, 'datasets/fddb', image), to);
  }
  return root;
}

/** FDDB folds 1 and 2 hold one photo twice (the same bytes under two names): the library keeps it once. */
const uniquePhotos = new Set(fddbImages.map(({ image }) => createHash('sha256').update(fs.readFileSync(path.join(sharedDir, 'datasets/fddb', image))).digest('hex'))).size;

const status = (page: Page) => page.getByRole('status', { name: 'Library status' });
const progress = (page: Page) => page.getByRole('progressbar', { name: 'Indexing photos' });

async function readStatus(page: Page): Promise<{ photos: number; faces: number }> {
  const text = (await status(page).textContent()) ?? '';
  const m = /([\d,]+) photos? · ([\d,]+) faces?/.exec(text);
  if (!m) throw new Error(`unexpected status: ${text}`);
  return { photos: Number(m[1].replace(/,/g, '')), faces: Number(m[2].replace(/,/g, '')) };
}

/** Every tile of the virtualised grid, scrolled through: photo id -> faces. */
async function gridTiles(page: Page): Promise<Map<string, number>> {
  return page.evaluate(async () => {
    const scroller = document.querySelector<HTMLElement>('.library-grid-scroll')!;
    const seen = new Map<string, number>();
    for (let top = 0; ; top += scroller.clientHeight / 2) {
      scroller.scrollTop = top;
      await new Promise((resolve) => setTimeout(resolve, 120));
      for (const tile of document.querySelectorAll<HTMLElement>('.library-tile')) {
        seen.set(tile.dataset.id!, Number(tile.dataset.faces ?? -1));
      }
      if (top >= scroller.scrollHeight) break;
    }
    scroller.scrollTop = 0;
    return [...seen.entries()];
  }).then((entries) => new Map(entries));
}

test('a folder of 136 photos: indexed with progress, kept across a reload mid-way, not added twice, shown offline', async ({ page, context }) => {
  test.setTimeout(480_000);
  const folder = fddbFolder();
  await page.goto('/library');
  await expect(page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Library' })).toHaveAttribute('aria-current', 'page');
  await expect(status(page)).toHaveText('0 photos · 0 faces');
  await page.getByLabel('Add a folder to the library').setInputFiles(folder);
  await expect(page.getByText(`Added ${uniquePhotos} photos; 1 file already in the library.`)).toBeVisible();
  await expect(progress(page)).toBeVisible();
  await expect(progress(page)).toHaveAttribute('aria-valuemax', String(uniquePhotos));
  await expect(progress(page)).toHaveAttribute('aria-valuetext', /of \d+ photos · \d+ faces? found/);

  // Paused, nothing more is indexed; resumed, it goes on.
  await expect.poll(async () => (await readStatus(page)).photos, { timeout: 240_000, intervals: [100] }).toBeGreaterThanOrEqual(5);
  await page.getByRole('button', { name: 'Pause indexing' }).click();
  await expect(progress(page)).toHaveAttribute('aria-valuetext', /paused/);
  const paused = (await readStatus(page)).photos;
  await page.waitForTimeout(2500);
  // at most the photo that was in flight when the pause came
  expect((await readStatus(page)).photos).toBeLessThanOrEqual(paused + 1);
  await page.getByRole('button', { name: 'Resume indexing' }).click();

  // Close the tab in the middle (a reload): what is stored stays, the rest is indexed after it, none twice.
  await expect.poll(async () => (await readStatus(page)).photos, { timeout: 240_000, intervals: [100] }).toBeGreaterThanOrEqual(20);
  console.log(`library: before the reload, ${await progress(page).getAttribute('aria-valuetext')}`);
  await page.reload();
  // read at once, before the new worker has its models and resumes (its first answer is the stored count)
  await expect.poll(async () => (await readStatus(page)).photos, { intervals: [50] }).toBeGreaterThanOrEqual(20);
  const before = await readStatus(page);
  expect(before.photos).toBeGreaterThanOrEqual(20);
  expect(before.photos).toBeLessThan(uniquePhotos);
  await expect.poll(async () => (await readStatus(page)).photos, { timeout: 300_000 }).toBeGreaterThanOrEqual(uniquePhotos - 10);
  console.log(`library: after the reload, ${await progress(page).getAttribute('aria-valuetext')}`);
  await expect.poll(async () => (await readStatus(page)).photos, { timeout: 300_000 }).toBe(uniquePhotos);
  const after = await readStatus(page);
  console.log(`library: ${after.photos} photos, ${after.faces} faces`);
  await expect(progress(page)).toHaveCount(0);
  // this worker analysed exactly the photos the first one had not stored (read from the last progress report)
  const analysed = await page.getByRole('region', { name: 'Library' }).getAttribute('data-analysed-this-session');
  expect(Number(analysed)).toBe(uniquePhotos - before.photos);

  // The grid and the status line agree, and MTCNN finds about as many faces as FDDB annotates (recall ~0.86).
  const tiles = await gridTiles(page);
  expect(tiles.size).toBe(uniquePhotos);
  expect([...tiles.values()].reduce((sum, n) => sum + n, 0)).toBe(after.faces);
  const annotated = fddbImages.reduce((sum, i) => sum + i.boxes.length, 0);
  expect(after.faces).toBeGreaterThan(0.75 * annotated);
  expect(after.faces).toBeLessThan(1.15 * annotated);

  await screenshot(page, '10-library');
  // what the library keeps per photo, read from IndexedDB itself (README: "What is stored")
  const stored = await readLibraryDb(page, async (all) => {
    const previews = await all<{ blob: Blob }>('previews');
    const faces = await all<{ crop: Blob }>('faces');
    const vectors = await all<{ vector: Float32Array }>('embeddings');
    return {
      previews: previews.reduce((n, p) => n + p.blob.size, 0),
      crops: faces.reduce((n, f) => n + f.crop.size, 0),
      vectors: vectors.reduce((n, v) => n + v.vector.byteLength, 0),
    };
  });
  console.log(
    `library: per photo ${(stored.previews / after.photos / 1024).toFixed(1)} KB preview, ${(stored.crops / after.photos / 1024).toFixed(1)} KB of crops, ` +
      `${(stored.vectors / after.photos / 1024).toFixed(2)} KB of vectors (${after.faces} faces)`,
  );

  // The same folder again adds nothing.
  await page.getByLabel('Add a folder to the library').setInputFiles(folder);
  await expect(page.getByText('Added 0 photos; 136 files already in the library.')).toBeVisible();
  expect(uniquePhotos).toBe(135);
  expect(await readStatus(page)).toEqual(after);

  // Offline, the whole library is still there, previews included.
  await expect(page.getByRole('status', { name: 'Offline readiness' })).toHaveText('Ready for offline use', { timeout: 120_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(status(page)).toHaveText(`${uniquePhotos} photos · ${after.faces.toLocaleString('en')} faces`);
  const firstPreview = page.locator('.library-tile img').first();
  await expect(firstPreview).toBeVisible();
  expect(await firstPreview.evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth))).toBeGreaterThan(100);

  // back and forward move between the views
  await page.getByRole('link', { name: 'Compare' }).click();
  await expect(page.getByRole('region', { name: 'Photo A' })).toBeVisible();
  await page.goBack();
  await expect(status(page)).toBeVisible();
});

test('a folder with bad files: the good ones are indexed, the others listed with their reasons', async ({ page }) => {
  const folder = path.join(repoRoot, 'test-results', 'library', 'mixed-folder');
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const bbt3 = fs.readFileSync(bbtPhoto(3));
  fs.copyFileSync(bbtPhoto(3), path.join(folder, 'bbt3.jpg'));
  fs.copyFileSync(bbtPhoto(4), path.join(folder, 'bbt4.jpg'));
  fs.copyFileSync(path.join(sharedDir, 'datasets/group-photos/traversy-examples/groups/bill-steve-elon.jpg'), path.join(folder, 'png-named-jpg.jpg'));
  fs.writeFileSync(path.join(folder, 'cut-in-half.jpg'), bbt3.subarray(0, bbt3.length >> 1));
  fs.copyFileSync(path.join(sharedDir, 'datasets/faceapi-js-images/SOURCE.md'), path.join(folder, 'notes.txt'));

  await page.goto('/library');
  await page.getByLabel('Add a folder to the library').setInputFiles(folder);
  await expect(status(page)).toHaveText(/^3 photos · \d+ faces$/, { timeout: 180_000 });
  const skipped = page.getByRole('list', { name: 'Skipped files' });
  await expect(skipped.getByRole('listitem')).toHaveCount(2);
  await expect(skipped).toContainText(/cut-in-half\.jpg: a JPEG file, but it is incomplete or damaged/);
  await expect(skipped).toContainText(/notes\.txt: not an image this browser can open/);
  const { faces } = await readStatus(page);
  // bbt3's five people, bbt4's six and the three in the mislabelled PNG
  expect(faces).toBeGreaterThanOrEqual(14);

  // Two Library photos side by side in Compare, from what is stored (no file, no new analysis): the four people
  // bbt3 and bbt4 share are matched, as when the files are dropped on Compare.
  const grid = page.getByRole('list', { name: 'Library photos' });
  await grid.getByRole('button', { name: /^bbt3\.jpg, \d+ faces$/ }).click();
  const detail = page.getByRole('region', { name: 'Photo' });
  await expect(detail.getByRole('img', { name: /^bbt3\.jpg, \d+ faces marked$/ })).toBeVisible();
  await detail.getByRole('button', { name: 'Open as photo A in Compare' }).click();
  await expect(page).toHaveURL(/\/$/);
  await facesFound(page, 'A');
  await page.getByRole('link', { name: 'Library' }).click();
  await grid.getByRole('button', { name: /^bbt4\.jpg, \d+ faces$/ }).click();
  await detail.getByRole('button', { name: 'Open as photo B in Compare' }).click();
  await facesFound(page, 'B');
  expect(await matchedPeople(page, bbtLabels(3), bbtLabels(4))).toEqual(['leonard', 'penny', 'raj', 'sheldon']);

  // Removing a photo takes its faces with it; clearing asks first, then empties the library.
  await page.getByRole('link', { name: 'Library' }).click();
  await grid.getByRole('button', { name: /^png-named-jpg\.jpg, \d+ faces$/ }).click();
  await detail.getByRole('button', { name: 'Remove from the library' }).click();
  await expect(status(page)).toHaveText(/^2 photos · /);
  expect((await readStatus(page)).faces).toBeLessThan(faces);
  await page.getByRole('button', { name: 'Clear the library' }).click();
  const confirm = page.getByRole('group', { name: 'Confirm clearing the library' });
  await confirm.getByRole('button', { name: 'Keep the library' }).click();
  await expect(status(page)).toHaveText(/^2 photos · /);
  await page.getByRole('button', { name: 'Clear the library' }).click();
  await confirm.getByRole('button', { name: 'Clear everything' }).click();
  await expect(status(page)).toHaveText('0 photos · 0 faces');
  await expect(skipped).toHaveCount(0);
  await page.reload();
  await expect(status(page)).toHaveText('0 photos · 0 faces');
});
