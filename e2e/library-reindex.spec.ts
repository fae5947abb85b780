// A change of face model re-indexes the Library in the background from what it stores (the photo files are not kept):
// every face gets the new model's vector, the old model's vectors go only once all are there, a reload in the middle
// resumes where it stopped, and two Library photos then match in Compare with the new model.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { bbtLabels, bbtPhoto, facesFound, matchedPeople, readLibraryDb, repoRoot, sharedDir } from './support';

const status = (page: Page) => page.getByRole('status', { name: 'Library status' });
const reindexing = (page: Page) => page.getByRole('progressbar', { name: /^Re-indexing for / });

/** 30 FDDB photos and bbt4/bbt5 (who is who is labelled there; VGGFace2 MobileNet pairs them right from the files, e2e/embedders.spec.ts), as one folder. */
function folder(): string {
  const root = path.join(repoRoot, 'test-results', 'library-reindex', 'photos');
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  const fddb = (JSON.parse(fs.readFileSync(path.join(sharedDir, 'datasets/fddb/detection.json'), 'utf8')) as { images: { image: string }[] }).images;
  for (const { image } of fddb.slice(0, 30)) fs.copyFileSync(path.join(sharedDir, 'datasets/fddb', image), path.join(root, image.replace(/\//g, '_')));
  fs.copyFileSync(bbtPhoto(4), path.join(root, 'bbt4.jpg'));
  fs.copyFileSync(bbtPhoto(5), path.join(root, 'bbt5.jpg'));
  return root;
}

/** The vectors IndexedDB holds, counted per model key, and the faces stored. */
async function stored(page: Page): Promise<{ faces: number; sourceBytes: number; vectors: Record<string, number> }> {
  return readLibraryDb(page, async (all) => {
    const faces = await all<{ source?: { image: Blob } }>('faces');
    const vectors: Record<string, number> = {};
    for (const row of await all<{ embedder: string }>('embeddings')) vectors[row.embedder] = (vectors[row.embedder] ?? 0) + 1;
    if (faces.some((f) => !(f.source?.image instanceof Blob))) throw new Error('a face without its source');
    return { faces: faces.length, sourceBytes: faces.reduce((n, f) => n + (f.source?.image.size ?? 0), 0), vectors };
  });
}

test('switching the face model re-indexes the library in the background, resumes after a reload, then matches with the new model', async ({ page }) => {
  test.setTimeout(480_000);
  await page.goto('/library');
  await page.getByLabel('Add a folder to the library').setInputFiles(folder());
  await expect(status(page)).toHaveText(/^32 photos · [\d,]+ faces$/, { timeout: 300_000 });
  await expect(page.getByRole('progressbar', { name: 'Indexing photos' })).toHaveCount(0);
  const before = await stored(page);
  const [dlibKey] = Object.keys(before.vectors);
  expect(dlibKey).toMatch(/^dlib-resnet29@/);
  expect(before.vectors).toEqual({ [dlibKey]: before.faces });
  expect(before.faces).toBeGreaterThan(60);
  console.log(`library-reindex: ${before.faces} faces, their sources ${(before.sourceBytes / before.faces / 1024).toFixed(1)} KB a face (README: "What is stored")`);

  // The switch: a progress bar for the new model, while both models' vectors are kept.
  const chooser = page.getByRole('combobox', { name: 'Face model' });
  await chooser.selectOption('vggface2-mobilenet');
  await expect(reindexing(page)).toBeVisible({ timeout: 120_000 });
  await expect(reindexing(page)).toHaveAccessibleName(/^Re-indexing for VGGFace2 MobileNet/);
  const total = Number(await reindexing(page).getAttribute('aria-valuemax'));
  expect(total).toBeGreaterThanOrEqual(25); // every photo with a face
  await expect.poll(async () => Number(await reindexing(page).getAttribute('aria-valuenow')), { intervals: [50] }).toBeGreaterThanOrEqual(4);
  const midway = await stored(page);
  expect(midway.vectors[dlibKey]).toBe(before.faces);
  const newKeys = Object.keys(midway.vectors).filter((k) => k !== dlibKey);
  expect(newKeys).toHaveLength(1);
  expect(newKeys[0]).toMatch(/^vggface2-mobilenet@/);

  // A reload in the middle: the re-index goes on from where it was (the new model is remembered), not from the start.
  const doneBeforeReload = midway.vectors[newKeys[0]];
  expect(doneBeforeReload).toBeLessThan(before.faces);
  await page.reload();
  await expect(reindexing(page)).toBeVisible({ timeout: 120_000 });
  expect(Number(await reindexing(page).getAttribute('aria-valuemax'))).toBeLessThan(total);
  await expect(reindexing(page)).toHaveCount(0, { timeout: 240_000 });

  // Every face has the new model's vector and the old ones are gone.
  await expect.poll(async () => (await stored(page)).vectors, { timeout: 30_000 }).toEqual({ [newKeys[0]]: before.faces });
  await expect(status(page)).toHaveText(`32 photos · ${before.faces} faces`);

  // Two stored photos in Compare, from the new vectors: the four people bbt4 and bbt5 share are paired.
  const grid = page.getByRole('list', { name: 'Library photos' });
  const detail = page.getByRole('region', { name: 'Photo' });
  await grid.getByRole('button', { name: /^bbt4\.jpg, \d+ faces$/ }).click();
  await detail.getByRole('button', { name: 'Open as photo A in Compare' }).click();
  await facesFound(page, 'A');
  await page.getByRole('link', { name: 'Library' }).click();
  await grid.getByRole('button', { name: /^bbt5\.jpg, \d+ faces$/ }).click();
  await detail.getByRole('button', { name: 'Open as photo B in Compare' }).click();
  await facesFound(page, 'B');
  await expect(page.getByText(/Pairs with cosine distance ≤ threshold match/)).toBeVisible();
  expect(await matchedPeople(page, bbtLabels(4), bbtLabels(5))).toEqual(['leonard', 'penny', 'raj', 'sheldon']);
});

test('a second tab leaves the indexing to the first and says so; the first indexes what the second adds', async ({ page, context }) => {
  test.setTimeout(300_000);
  const photos = fs.readdirSync(folder()).filter((f) => !f.startsWith('bbt')).slice(0, 20);
  expect(photos).toHaveLength(20);
  const dir = path.join(repoRoot, 'test-results', 'library-reindex', 'photos');
  await page.goto('/library');
  const second = await context.newPage();
  await second.goto('/library');
  // both tabs' models are ready (the chooser is enabled once they are)
  for (const tab of [page, second]) await expect(tab.getByRole('combobox', { name: 'Face model' })).toBeEnabled({ timeout: 120_000 });
  await page.getByLabel('Add photos to the library').setInputFiles(photos.map((f) => path.join(dir, f)));
  await expect(page.getByRole('progressbar', { name: 'Indexing photos' })).toBeVisible({ timeout: 120_000 });
  // the queue is the shared database: the second tab's worker queues its photos there and leaves them to the lock holder
  await second.getByLabel('Add photos to the library').setInputFiles([bbtPhoto(4), bbtPhoto(5)]);
  await expect(second.getByText('Another tab is indexing this library')).toBeVisible({ timeout: 60_000 });
  await expect(status(page)).toHaveText(/^22 photos · /, { timeout: 240_000 });
  await expect(second.getByRole('status', { name: 'Library status' })).toHaveText(/^22 photos · /);
  const analysed = (p: Page) => p.getByRole('region', { name: 'Library' }).getAttribute('data-analysed-this-session');
  expect(Number(await analysed(page))).toBe(22);
  expect(Number(await analysed(second))).toBe(0);
  // once the first tab's queue is empty it lets go, and the second tab stops saying it waits
  await expect(second.getByText('Another tab is indexing this library')).toHaveCount(0, { timeout: 60_000 });
});
