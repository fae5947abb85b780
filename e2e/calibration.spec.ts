// How sure each match is: bbt3 + bbt4 under the default embedder show each match's calibrated same-person
// probability (list, accessible name, matrix, exported PNG); the named operating points move the slider and the
// LFW rates shown; and axe-core finds no WCAG 2.1 A/AA violation on the results page, light or dark.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { bbtPhoto, choosePhoto, facesFound, openApp, pngTexts, readMatches, screenshot, screenshotDir } from './support';

interface SureMatch {
  a: number;
  b: number;
  distance: number;
  /** per cent; ">99%" reads as 99.5, "<1%" as 0.5 */
  percent: number;
  said: string;
}

const percentOf = (said: string) => (said === '>99' ? 99.5 : said === '<1' ? 0.5 : Number(said));

async function readSureMatches(page: Page): Promise<SureMatch[]> {
  const items = page.getByRole('list', { name: 'Matches' }).getByRole('listitem');
  const labels = await items.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-label') ?? ''));
  return labels.map((label) => {
    const m = /^A(\d+) matches B(\d+), distance (-?[\d.]+), (<1|>99|\d+)% same person/.exec(label);
    if (!m) throw new Error(`match label without a probability: ${label}`);
    return { a: Number(m[1]), b: Number(m[2]), distance: Number(m[3]), percent: percentOf(m[4]), said: `${m[4]}%` };
  });
}

/** "1 in 1,000" -> 0.001, "1.2%" -> 0.012, "no ..." -> 0. */
function rateOf(text: string): number {
  const oneIn = /1 in ([\d,]+)/.exec(text);
  if (oneIn) return 1 / Number(oneIn[1].replace(/,/g, ''));
  const percent = /([\d.]+)%/.exec(text);
  if (percent) return Number(percent[1]) / 100;
  if (/^no /.test(text)) return 0;
  throw new Error(`unreadable rate: ${text}`);
}

async function expectNoAxeViolations(page: Page, when: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = results.violations.map((v) => `${v.id} (${v.nodes.length}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe violations ${when}`).toEqual([]);
}

test('bbt3 + bbt4: calibrated probabilities, operating points, export and accessibility', async ({ page }) => {
  await openApp(page);
  await choosePhoto(page, 'A', bbtPhoto(3));
  await choosePhoto(page, 'B', bbtPhoto(4));
  await facesFound(page, 'A');
  await facesFound(page, 'B');
  const list = page.getByRole('list', { name: 'Matches' });
  await expect(list.getByRole('listitem')).toHaveCount(4);

  // Each of the four true pairs is shown, in words and in its accessible name, as more than 90% the same person.
  const matches = await readSureMatches(page);
  expect(matches.map(({ a, b, distance }) => ({ a, b, distance }))).toEqual(await readMatches(page));
  for (const m of matches) {
    expect(m.percent, `A${m.a} B${m.b}`).toBeGreaterThan(90);
    await expect(list.getByRole('listitem', { name: new RegExp(`^A${m.a} matches B${m.b},`) })).toContainText(`${m.distance.toFixed(3)} · ${m.said} same person`);
  }
  await expect(list.getByText('uncertain')).toHaveCount(0);

  // The matrix's cells switch from distances to probabilities; a matched cell then reads its pair's per cent.
  const matrix = page.getByRole('table', { name: /Distance matrix/ });
  const firstCell = matrix.getByRole('button', { name: new RegExp(`^A${matches[0].a} and B${matches[0].b}:`) });
  await expect(firstCell).toHaveText(matches[0].distance.toFixed(3).replace(/^0/, ''));
  // (axe here, with distances in the cells, and again below with probabilities, in the dark theme)
  await expectNoAxeViolations(page, 'on the results page, cells showing distances');
  await expect(firstCell).toHaveAccessibleName(new RegExp(`${matches[0].said} same person, matched$`));
  await page.getByRole('radio', { name: '% same person' }).check();
  await expect(firstCell).toHaveText(matches[0].said.replace('%', ''));

  // The export carries each pair's probability (drawn, and in its text chunk).
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export matches (PNG)' }).click();
  const bytes = fs.readFileSync(await (await download).path());
  fs.mkdirSync(screenshotDir, { recursive: true });
  fs.writeFileSync(path.join(screenshotDir, '10-export-calibrated.png'), bytes);
  const lines = (pngTexts(bytes).Description ?? '').split('\n').filter((line) => line.includes('<->'));
  expect(lines).toEqual(matches.map((m) => `A${m.a} <-> B${m.b}: distance ${m.distance.toFixed(3)}, ${m.said} same person`));

  await screenshot(page, '08-calibrated');

  // Operating points: each moves the slider to its stated threshold and the LFW rates follow.
  const slider = page.getByRole('slider', { name: 'Threshold' });
  const points = page.getByRole('group', { name: 'Operating points' });
  const balanced = points.getByRole('button', { name: /^Balanced/ });
  await expect(balanced).toHaveAttribute('aria-pressed', 'true');
  const balancedValue = Number(await slider.inputValue());
  const falseMatches = page.locator('.rates .false-match-rate');
  const misses = page.locator('.rates .miss-rate');
  const ratesAtBalanced = { fm: rateOf((await falseMatches.textContent())!), miss: rateOf((await misses.textContent())!) };

  const strict = points.getByRole('button', { name: /^Strict/ });
  await strict.click();
  await expect(strict).toHaveAttribute('aria-pressed', 'true');
  await expect(balanced).toHaveAttribute('aria-pressed', 'false');
  const strictValue = Number(await slider.inputValue());
  expect(strictValue).toBeLessThan(balancedValue);
  await expect(strict).toContainText(strictValue.toFixed(3));
  await expect(page.locator('.threshold-value')).toHaveText(strictValue.toFixed(3));
  const ratesAtStrict = { fm: rateOf((await falseMatches.textContent())!), miss: rateOf((await misses.textContent())!) };
  expect(ratesAtStrict.fm).toBeLessThanOrEqual(1 / 1000);
  expect(ratesAtStrict.fm).toBeLessThan(ratesAtBalanced.fm);
  expect(ratesAtStrict.miss).toBeGreaterThan(ratesAtBalanced.miss);

  const loose = points.getByRole('button', { name: /^Loose/ });
  await loose.click();
  await expect(loose).toHaveAttribute('aria-pressed', 'true');
  const looseValue = Number(await slider.inputValue());
  expect(looseValue).toBeGreaterThan(balancedValue);
  await expect(loose).toContainText(looseValue.toFixed(3));
  const ratesAtLoose = { fm: rateOf((await falseMatches.textContent())!), miss: rateOf((await misses.textContent())!) };
  expect(ratesAtLoose.miss).toBeLessThanOrEqual(1 / 100);
  expect(ratesAtLoose.miss).toBeLessThan(ratesAtBalanced.miss);
  expect(ratesAtLoose.fm).toBeGreaterThan(ratesAtBalanced.fm);

  // One step past Loose (the loosest point) by hand: no named point is on, and the rates are said there.
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('.rates')).toContainText((looseValue + 0.005).toFixed(3));
  await expect(points.getByRole('button', { pressed: true })).toHaveCount(0);
  expect(rateOf((await falseMatches.textContent())!)).toBeGreaterThanOrEqual(ratesAtLoose.fm);

  await page.getByRole('button', { name: /^Reset to/ }).click();
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectNoAxeViolations(page, 'on the results page, cells showing probabilities, dark theme');
  await screenshot(page, '09-calibrated-dark');
});
