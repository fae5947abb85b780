// People: a library of the five cast group photos and the 40 labelled face photos of their 8 people is grouped into
// people whose faces each come from one identity; naming, "Not this person", merging, the contact sheet and the
// JSON export work and survive a reload and a full re-run; find by photo ranks that person's photos first; the
// People list works offline.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { bbtLabels, bbtPhoto, faceapiImages, nameFaces, pngTexts, screenshot, type Box } from './support';

const CAST = ['amy', 'bernadette', 'howard', 'leonard', 'penny', 'raj', 'sheldon', 'stuart'];
const castPhotos = CAST.flatMap((name) => [1, 2, 3, 4, 5].map((n) => path.join(faceapiImages, `examples/images/${name}/${name}${n}.png`)));
const groupPhotos = [1, 2, 3, 4, 5].map(bbtPhoto);
const allPhotos = [...groupPhotos, ...castPhotos];

/** Who a face is: a labelled photo's folder, or the label of the group-photo face its box overlaps. */
function identityOf(photoName: string, box: Box): string | null {
  const group = /^bbt(\d)\.jpg$/.exec(photoName);
  if (group) return nameFaces([box], bbtLabels(Number(group[1])))[0];
  return CAST.find((name) => photoName.startsWith(name)) ?? null;
}

/** Which photos show a person, from the labels. */
function photosShowing(identity: string): Set<string> {
  const names = new Set([1, 2, 3, 4, 5].map((n) => `${identity}${n}.png`));
  for (let n = 1; n <= 5; n++) if (bbtLabels(n).some((l) => l.name === identity)) names.add(`bbt${n}.jpg`);
  return names;
}

const status = (page: Page) => page.getByRole('status', { name: 'Library status' });
const peopleList = (page: Page) => page.getByRole('list', { name: 'People' });
const personRegion = (page: Page) => page.getByRole('region', { name: 'Person', exact: true });

interface PersonRead {
  id: string;
  label: string;
  faces: { photo: string; box: Box; identity: string | null }[];
}

/** Opens every person in the list and reads their faces (photo and box), in list order. */
async function readPeople(page: Page): Promise<PersonRead[]> {
  const buttons = peopleList(page).getByRole('listitem').getByRole('button');
  const count = await buttons.count();
  const people: PersonRead[] = [];
  for (let i = 0; i < count; i++) {
    const button = buttons.nth(i);
    const label = (await button.getAttribute('aria-label')) ?? '';
    const id = await peopleList(page).getByRole('listitem').nth(i).getAttribute('data-person');
    await button.click();
    const region = personRegion(page);
    // the region says whose faces it shows once they are read
    await expect(region).toHaveAttribute('data-person', id!);
    const faces = await region.getByRole('list', { name: 'Faces' }).getByRole('listitem').evaluateAll((items) =>
      items.map((li) => ({ alt: li.querySelector('img,[role=img]')?.getAttribute('alt') ?? li.querySelector('[role=img]')?.getAttribute('aria-label') ?? '', box: li.getAttribute('data-box') ?? '' })),
    );
    people.push({
      id: id!,
      label,
      faces: faces.map(({ alt, box }) => {
        const photo = alt.replace(/^Face in /, '');
        const parsed = box.split(',').map(Number) as Box;
        return { photo, box: parsed, identity: identityOf(photo, parsed) };
      }),
    });
  }
  return people;
}

/** Each cast member's biggest person has at least `faces` faces. */
function expectEveryoneFound(people: PersonRead[], faces: number): void {
  const summary = people.map((p) => `${p.faces[0].identity}×${p.faces.length}`).join(' ');
  for (const identity of CAST) {
    const biggest = Math.max(0, ...people.filter((p) => p.faces[0].identity === identity).map((p) => p.faces.length));
    expect(biggest, `${identity}'s biggest person; people: ${summary}`).toBeGreaterThanOrEqual(faces);
  }
}

/** Faces the list accounts for (people and unsorted): grouping is done when it equals the status line's faces. */
async function groupedFaces(page: Page): Promise<number> {
  return page.evaluate(() => {
    const inPeople = [...document.querySelectorAll<HTMLElement>('.people-list [data-faces]')].reduce((sum, li) => sum + Number(li.dataset.faces), 0);
    const unsorted = Number(document.querySelector<HTMLElement>('.people button[data-faces]')?.dataset.faces ?? 0);
    return inPeople + unsorted;
  });
}

async function facesInLibrary(page: Page): Promise<number> {
  const m = /· ([\d,]+) faces?/.exec((await status(page).textContent()) ?? '');
  return m ? Number(m[1].replace(/,/g, '')) : -1;
}

test('people: grouped one identity each; named, corrected and merged for good; exported; found by photo; offline', async ({ page, context, browser }) => {
  test.setTimeout(540_000);
  // straight to the People section, before the models are ready
  await page.goto('/library/people');
  await expect(page.getByRole('tab', { name: 'People' })).toHaveAttribute('aria-selected', 'true');
  await page.getByLabel('Add photos to the library').setInputFiles(allPhotos);

  // Named while indexing goes on, twice in a row: the last name stays, and later grouping only adds to that person.
  const indexing = page.getByRole('progressbar', { name: 'Indexing photos' });
  const firstPerson = peopleList(page).getByRole('listitem').first();
  await expect(firstPerson).toBeVisible({ timeout: 240_000 });
  const earlyId = (await firstPerson.getAttribute('data-person'))!;
  await peopleList(page).locator(`[data-person="${earlyId}"]`).getByRole('button').click();
  await expect(personRegion(page)).toHaveAttribute('data-person', earlyId);
  const earlyFace = personRegion(page).getByRole('list', { name: 'Faces' }).getByRole('listitem').first();
  const earlyPhoto = ((await earlyFace.getByRole('img').getAttribute('alt')) ?? '').replace(/^Face in /, '');
  const earlyIdentity = identityOf(earlyPhoto, (await earlyFace.getAttribute('data-box'))!.split(',').map(Number) as Box) ?? 'bystander';
  const earlyName = `${earlyIdentity.replace(/^./, (c) => c.toUpperCase())} early`;
  const nameBox = personRegion(page).getByRole('textbox', { name: 'Name' });
  await nameBox.fill('Somebody');
  await nameBox.press('Enter');
  await nameBox.fill(earlyName);
  await nameBox.press('Enter');
  await expect(peopleList(page).getByRole('button', { name: new RegExp(`^${earlyName}, \\d+ photos?$`) })).toBeVisible();
  // this all happened mid-indexing
  await expect(indexing).toBeVisible();
  const earlyFaces = Number(await peopleList(page).locator(`[data-person="${earlyId}"]`).getAttribute('data-faces'));
  await personRegion(page).getByRole('button', { name: 'Close' }).click();

  await expect(status(page)).toHaveText(/^45 photos · \d+ faces$/, { timeout: 360_000 });
  const faces = await facesInLibrary(page);
  // every labelled face plus the bystanders: at least the 40 portraits and the 19 labelled cast faces of the groups
  expect(faces).toBeGreaterThanOrEqual(40 + 19);
  await expect.poll(() => groupedFaces(page), { timeout: 120_000 }).toBe(faces);

  // Every person is one identity (a bystander never joins a cast member), and each cast member is found as a person.
  const people = await readPeople(page);
  await screenshot(page, 'people');
  const summary = people.map((p) => `${p.faces[0].identity}×${p.faces.length}`).join(' ');
  // precision first: an identity may be split in two or three (one click merges them), never mixed with another
  expect(people.length, summary).toBeGreaterThanOrEqual(CAST.length);
  expect(people.length, summary).toBeLessThanOrEqual(2 * CAST.length);
  for (const person of people) {
    const identities = new Set(person.faces.map((f) => f.identity ?? `bystander ${f.photo} ${f.box.join(',')}`));
    expect([...identities], `${person.label}: ${JSON.stringify(person.faces)}`).toHaveLength(1);
    // never two faces of one photo in one person
    expect(new Set(person.faces.map((f) => f.photo)).size).toBe(person.faces.length);
  }
  // the early name held through the rest of the indexing, on the same person, who kept every face they had
  await expect(peopleList(page).getByRole('button', { name: /^Somebody, / })).toHaveCount(0);
  const early = peopleList(page).locator(`[data-person="${earlyId}"]`);
  await expect(early.getByRole('button', { name: new RegExp(`^${earlyName}, `) })).toBeVisible();
  expect(Number(await early.getAttribute('data-faces'))).toBeGreaterThanOrEqual(earlyFaces);
  // photo by photo, someone whose first faces came before their group existed may be in pieces of two
  expectEveryoneFound(people, 2);

  // Naming the biggest person names them in the list.
  const [first] = people;
  const name = first.faces[0].identity!.replace(/^./, (c) => c.toUpperCase());
  await peopleList(page).getByRole('button', { name: first.label }).click();
  await personRegion(page).getByRole('textbox', { name: 'Name' }).fill(name);
  await personRegion(page).getByRole('textbox', { name: 'Name' }).press('Enter');
  await expect(peopleList(page).getByRole('button', { name: new RegExp(`^${name}, \\d+ photos$`) })).toBeVisible();

  // "Not this person" takes a face out for good: a full re-run does not put it back.
  const facesOf = (region = personRegion(page)) => region.getByRole('list', { name: 'Faces' }).getByRole('listitem');
  const before = await facesOf().count();
  const leaving = facesOf().last();
  const leavingPhoto = ((await leaving.getByRole('img').getAttribute('alt')) ?? '').replace(/^Face in /, '');
  await leaving.getByRole('button', { name: 'Not this person' }).click();
  await expect(facesOf()).toHaveCount(before - 1);
  await page.getByRole('button', { name: 'Group everyone again' }).click();
  await expect(page.getByRole('button', { name: 'Grouping everyone…' })).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByRole('button', { name: 'Group everyone again' })).toBeEnabled();
  await expect(facesOf()).toHaveCount(before - 1);
  await expect(personRegion(page).getByRole('img', { name: `Face in ${leavingPhoto}` })).toHaveCount(0);
  await expect(peopleList(page).getByRole('button', { name: new RegExp(`^${name}, `) })).toBeVisible();
  // the full re-run sees everyone at once: each cast member is a person of at least three faces, still one identity each
  const regrouped = await readPeople(page);
  for (const person of regrouped) expect(new Set(person.faces.map((f) => f.identity ?? `bystander ${f.photo}`)).size, person.label).toBe(1);
  expectEveryoneFound(regrouped, 3);

  // Merging two people: one fewer in the list, the merged one has the faces of both.
  const listed = await peopleList(page).getByRole('listitem').count();
  // two people nobody named yet
  const unnamed = peopleList(page)
    .getByRole('listitem')
    .filter({ hasNot: page.getByRole('button', { name: new RegExp(`^${name}, `) }) });
  const [second, third] = [unnamed.nth(0), unnamed.nth(1)];
  const mergedFaces = Number(await second.getAttribute('data-faces')) + Number(await third.getAttribute('data-faces'));
  await second.getByRole('checkbox', { name: 'Select' }).check();
  await third.getByRole('checkbox', { name: 'Select' }).check();
  await page.getByRole('button', { name: 'Merge selected people' }).click();
  await expect(peopleList(page).getByRole('listitem')).toHaveCount(listed - 1);
  await expect(peopleList(page).locator(`[data-faces="${mergedFaces}"]`)).not.toHaveCount(0);

  // The contact sheet: one row per named person, the names in its text chunk.
  const [sheet] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export contact sheet' }).click()]);
  expect(sheet.suggestedFilename()).toBe('facematch-people.png');
  const png = fs.readFileSync(await sheet.path());
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  const rows = JSON.parse(pngTexts(png)['facematch-people'] ?? '[]') as { name: string; faces: number }[];
  // the person named early is still named so, unless they are the one just renamed
  expect(rows.map((r) => r.name).sort()).toEqual((first.id === earlyId ? [name] : [name, earlyName]).sort());
  expect(rows.find((r) => r.name === name)?.faces).toBe(before - 1);

  // The JSON export: names and faces by photo hash, no vectors unless asked.
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export people' }).click()]);
  const exported = JSON.parse(fs.readFileSync(await json.path(), 'utf8')) as {
    format: string;
    people: { name: string | null; faces: unknown[]; notThisPerson?: unknown[] }[];
    embeddings?: unknown;
  };
  expect(exported.format).toBe('facematch-people');
  expect(exported.embeddings).toBeUndefined();
  expect(exported.people.find((p) => p.name === name)?.faces).toHaveLength(before - 1);
  // the face taken out goes with the file, so the other browser does not put it back either
  expect(exported.people.find((p) => p.name === name)?.notThisPerson).toHaveLength(1);
  expect(exported.people).toHaveLength(listed - 1);
  const exportedFile = await json.path();

  // All of it survives a reload.
  await page.reload();
  await expect(peopleList(page).getByRole('listitem')).toHaveCount(listed - 1, { timeout: 60_000 });
  await peopleList(page).getByRole('button', { name: new RegExp(`^${name}, `) }).click();
  await expect(facesOf()).toHaveCount(before - 1);
  await expect(personRegion(page).getByRole('img', { name: `Face in ${leavingPhoto}` })).toHaveCount(0);

  // Find by photo: one of the named person's portraits ranks photos that show them first.
  const identity = first.faces[0].identity!;
  const showing = photosShowing(identity);
  await page.getByLabel('Find a person by photo').setInputFiles(path.join(faceapiImages, `examples/images/${identity}/${identity}2.png`));
  const results = page.getByRole('list', { name: 'Search results' }).getByRole('button');
  await expect(results.first()).toBeVisible({ timeout: 120_000 });
  const hits = (await results.allTextContents()).map((t) => /^(.*), distance ([\d.]+)$/.exec(t)!);
  expect(hits[0][1]).toBe(`${identity}2.png`);
  expect(Number(hits[0][2])).toBeLessThan(0.05);
  const distances = hits.map((h) => Number(h[2]));
  expect([...distances].sort((a, b) => a - b)).toEqual(distances);
  // the photos that show them come before any that do not
  const firstStranger = hits.findIndex((h) => !showing.has(h[1]));
  const matchedShowing = hits.filter((h) => showing.has(h[1])).length;
  expect(matchedShowing, JSON.stringify(hits.map((h) => h.slice(1)))).toBeGreaterThanOrEqual(Math.min(6, showing.size));
  if (firstStranger >= 0) expect(firstStranger).toBeGreaterThanOrEqual(matchedShowing);

  // Offline, the People list is all there.
  await expect(page.getByRole('status', { name: 'Offline readiness' })).toHaveText('Ready for offline use', { timeout: 120_000 });
  await context.setOffline(true);
  await page.reload();
  await expect(peopleList(page).getByRole('listitem')).toHaveCount(listed - 1, { timeout: 60_000 });
  await expect(peopleList(page).getByRole('button', { name: new RegExp(`^${name}, `) })).toBeVisible();
  await context.setOffline(false);

  // "Same person?": after a full re-run (the same answer however indexing was timed), one click merges a pair, and
  // one click keeps another apart for good (a re-run and a reload do not offer it again).
  await page.getByRole('button', { name: 'Group everyone again' }).click();
  await expect(page.getByRole('button', { name: 'Group everyone again' })).toBeEnabled({ timeout: 60_000 });
  const suggestions = page.getByRole('region', { name: 'Same person?' }).first().getByRole('group');
  await expect(suggestions.first()).toBeVisible({ timeout: 60_000 });
  const peopleBefore = await peopleList(page).getByRole('listitem').count();
  const [kept, gone] = (await suggestions.first().getAttribute('data-pair'))!.split('|');
  const facesOfPerson = async (id: string) => Number(await peopleList(page).locator(`[data-person="${id}"]`).getAttribute('data-faces'));
  const together = (await facesOfPerson(kept)) + (await facesOfPerson(gone));
  await suggestions.first().getByRole('button', { name: 'Same person' }).click();
  await expect(peopleList(page).getByRole('listitem')).toHaveCount(peopleBefore - 1);
  const survivor = (await peopleList(page).locator(`[data-person="${kept}"]`).count()) > 0 ? kept : gone;
  await expect(peopleList(page).locator(`[data-person="${survivor}"]`)).toHaveAttribute('data-faces', String(together));
  await expect(page.locator(`[data-pair*="${kept === survivor ? gone : kept}"]`)).toHaveCount(0);
  // which pairs are offered depends on where the early naming pinned faces; usually another one is left
  if ((await suggestions.count()) === 0) test.info().annotations.push({ type: 'note', description: 'no second pair offered: "Not the same" not exercised' });
  else {
    const apart = (await suggestions.first().getAttribute('data-pair'))!;
    await suggestions.first().getByRole('button', { name: 'Not the same' }).click();
    await expect(page.locator(`[data-pair="${apart}"]`)).toHaveCount(0);
    const othersLeft = await suggestions.count();
    await page.getByRole('button', { name: 'Group everyone again' }).click();
    await expect(page.getByRole('button', { name: 'Group everyone again' })).toBeEnabled({ timeout: 60_000 });
    await page.reload();
    await expect(peopleList(page).getByRole('listitem')).toHaveCount(peopleBefore - 1, { timeout: 60_000 });
    // suggestions are asked for once the list settles: wait for the other pairs, if any were left
    if (othersLeft > 0) await expect(suggestions.first()).toBeVisible({ timeout: 60_000 });
    else await page.waitForTimeout(3_000);
    await expect(page.locator(`[data-pair="${apart}"]`)).toHaveCount(0);
  }

  // Another browser with the same photos: importing the JSON restores the named person with the same faces.
  const other = await browser.newContext();
  try {
    const otherPage = await other.newPage();
    await otherPage.goto('/library/people');
    await otherPage.getByLabel('Add photos to the library').setInputFiles(allPhotos);
    await expect(status(otherPage)).toHaveText(`45 photos · ${faces} faces`, { timeout: 360_000 });
    await otherPage.getByLabel('Import people').setInputFiles(exportedFile);
    await expect(otherPage.getByRole('alert')).toContainText(`Imported ${listed - 1} people with `);
    await peopleList(otherPage).getByRole('button', { name: new RegExp(`^${name}, `) }).click();
    // their faces come back pinned to them (automatic grouping may still add the ones the export left unsorted)
    await expect.poll(() => facesOf(personRegion(otherPage)).count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(before - 1);
    // and still one identity: every face of theirs is in a photo that shows them
    const theirPhotos = (await facesOf(personRegion(otherPage)).getByRole('img').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt') ?? ''))).map((alt) => alt.replace(/^Face in /, ''));
    const showingNamed = photosShowing(first.faces[0].identity!);
    expect(theirPhotos.filter((p) => !showingNamed.has(p))).toEqual([]);
  } finally {
    await other.close();
  }
});
