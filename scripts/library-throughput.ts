// Library indexing throughput in the real app: N FDDB photos into "Add photos", timed until the queue is empty, with
// the main thread's long tasks. Prints figures, asserts nothing (a measuring tool, not a test).
//   npx vite build --outDir dist-idx && node --import tsx scripts/library-throughput.ts [--dist dist-idx] [--count 668] [--port 4193]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS } from './chromium-flags';

const arg = (name: string, fallback: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const dist = arg('dist', 'dist-idx');
const count = Number(arg('count', '668'));
const port = Number(arg('port', '4193'));
const shared = path.resolve(process.env.SHARED_DIR ?? '../shared');
const fddb = path.join(shared, 'datasets/fddb');
const images = (JSON.parse(fs.readFileSync(path.join(fddb, 'detection.json'), 'utf8')) as { images: { image: string }[] }).images
  .slice(0, count)
  .map((i) => path.join(fddb, i.image));

/** CPU seconds (user + system) used so far by `root` and every process under it. */
function cpuSeconds(root: number): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const children = new Map<number, number[]>();
  const stats = new Map<number, string[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      stats.set(pid, fields);
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), pid]);
    } catch {
      // gone meanwhile
    }
  }
  const visit = (pid: number) => {
    const f = stats.get(pid);
    if (f) total += (Number(f[11]) + Number(f[12])) / tick;
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return total;
}

const server = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort', '--outDir', dist], { stdio: 'ignore', detached: true });
const stop = () => {
  try {
    process.kill(-server.pid!);
  } catch {
    // already gone
  }
};
try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://localhost:${port}/`)).ok) break;
    } catch {
      if (i > 100) throw new Error('preview server did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: [...CHROMIUM_FLAGS] });
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('console', (m) => {
    if (m.text().startsWith('fm:')) console.log(m.text());
  });
  await page.addInitScript(() => {
    const tasks: number[] = [];
    (window as unknown as { __longTasks: number[] }).__longTasks = tasks;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration))).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`http://localhost:${port}/library`);
  await page.getByRole('progressbar').first().waitFor({ state: 'detached', timeout: 180_000 }).catch(() => undefined);
  const backend = await page.locator('footer, header').first().textContent().catch(() => '');
  // this process's tree: the browser (launched by it), the preview server and this script, which idle meanwhile
  const cpu0 = cpuSeconds(process.pid);
  const t0 = Date.now();
  await page.getByLabel('Add photos to the library').setInputFiles(images);
  const bar = page.getByRole('progressbar', { name: 'Indexing photos' });
  await bar.waitFor({ timeout: 120_000 });
  let lastText = '';
  while ((await bar.count()) > 0) {
    lastText = (await bar.getAttribute('aria-valuetext').catch(() => lastText)) ?? lastText;
    await page.waitForTimeout(500);
  }
  const seconds = (Date.now() - t0) / 1000;
  const cpu = cpuSeconds(process.pid) - cpu0;
  const status = await page.getByRole('status', { name: 'Library status' }).textContent();
  const longTasks = await page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
  const photos = Number(/([\d,]+) photos?/.exec(status ?? '')?.[1].replace(/,/g, '') ?? 0);
  console.log(`backend/footer: ${backend?.replace(/\s+/g, ' ').slice(0, 160)}`);
  console.log(`status: ${status}; last progress: ${lastText}`);
  console.log(`${photos} photos in ${seconds.toFixed(1)} s from the add: ${(photos / seconds).toFixed(2)} photos/s`);
  // the wall-clock rate depends on what else the machine runs; the CPU the browser used per photo does not (much)
  console.log(`browser CPU: ${cpu.toFixed(1)} s, ${((1000 * cpu) / photos).toFixed(0)} ms a photo (2 idle cores at full use: ${((2 * photos) / cpu).toFixed(1)} photos/s); load average ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  console.log(`main-thread long tasks: ${longTasks.length}, over 50 ms: ${longTasks.filter((d) => d > 50).length}, max ${Math.max(0, ...longTasks).toFixed(0)} ms`);
  await browser.close();
} finally {
  stop();
}
