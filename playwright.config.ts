import { defineConfig } from '@playwright/test';
import { CHROMIUM_FLAGS, WEBGPU_SWIFTSHADER_FLAGS } from './scripts/chromium-flags';

// E2E runs the production build (vite preview) in Debian's Chromium; no Playwright browser download.
// E2E_PORT and E2E_DIST (a build made with `vite build --outDir DIR`) let two people in one checkout run
// the suite side by side without one build overwriting the other's.
const port = Number(process.env.E2E_PORT ?? 4173);
const dist = process.env.E2E_DIST;
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  // WASM runs one thread per page on a 2-core machine, so two browsers use both cores; E2E_WORKERS overrides.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  fullyParallel: false,
  timeout: 180_000,
  expect: { timeout: 90_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    baseURL: `http://localhost:${port}`,
    browserName: 'chromium',
    viewport: { width: 1360, height: 900 },
    acceptDownloads: true,
    trace: 'retain-on-failure',
  },
  // The WebGPU specs get a browser with a (SwiftShader) WebGPU adapter; every other spec keeps today's browser,
  // which has none, so their automatic choice is tested as most machines without a GPU see it.
  projects: [
    {
      name: 'chromium',
      testIgnore: /webgpu.*\.spec\.ts$/,
      use: { launchOptions: { executablePath: chromium, args: [...CHROMIUM_FLAGS] } },
    },
    {
      name: 'webgpu-swiftshader',
      testMatch: /webgpu.*\.spec\.ts$/,
      use: { launchOptions: { executablePath: chromium, args: [...CHROMIUM_FLAGS, ...WEBGPU_SWIFTSHADER_FLAGS] } },
    },
  ],
  webServer: {
    command: port === 4173 && !dist ? 'npm run preview' : `npx vite preview --port ${port} --strictPort${dist ? ` --outDir ${dist}` : ''}`,
    url: `http://localhost:${port}`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
