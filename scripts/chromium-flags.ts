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
