// The worker can die mid-analysis (a GPU fault, an out-of-memory kill, a bug): the UI restarts it on WASM,
// reloads the models and finishes the interrupted photo without the user doing anything.
import { expect, test } from '@playwright/test';
import { bbtPhoto, choosePhoto, facesFound, openApp, panelStatus } from './support';

test('a worker that crashes mid-analysis is restarted and the photo still gets analysed', async ({ page }) => {
  const workers: import('@playwright/test').Worker[] = [];
  page.on('worker', (worker) => workers.push(worker));
  await openApp(page);
  const mlWorker = workers.find((w) => w.url().includes('facematch.worker'));
  expect(mlWorker).toBeDefined();

  await choosePhoto(page, 'A', bbtPhoto(4));
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces/);
  // Runs when the worker next yields, i.e. at a checkpoint inside the analysis; the error is uncaught.
  await mlWorker!.evaluate(() => {
    queueMicrotask(() => {
      throw new Error('simulated worker crash');
    });
  });

  expect(await facesFound(page, 'A')).toBe(6);
  await expect(page.getByRole('contentinfo').getByRole('status')).toContainText('restarted it on WASM');
  expect(workers.filter((w) => w.url().includes('facematch.worker')).length).toBe(2);
  await expect(page.locator('.backend-badge[data-backend]')).toHaveAttribute('data-backend', 'wasm');

  // The restarted worker serves the next photo as usual.
  await choosePhoto(page, 'B', bbtPhoto(5));
  expect(await facesFound(page, 'B')).toBeGreaterThanOrEqual(5);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
});
