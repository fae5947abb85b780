// Command-line flags for the headless Debian Chromium that the e2e suite (playwright.config.ts) and the bench
// (scripts/bench/run-bench.ts) drive: one list, so both run the browser the same way.
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  // keep WebGL2 (SwiftShader) available so the backend choice is really exercised
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * WebGPU on SwiftShader (Vulkan on the CPU), for the WebGPU specs and the bench only: Chromium 156 headless on
 * Debian gives workers a WebGPU adapter with these (vendor "google", architecture "swiftshader", a fallback
 * adapter) and none without. '--enable-features=Vulkan' made no difference there, so it is not passed.
 */
export const WEBGPU_SWIFTSHADER_FLAGS: readonly string[] = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
