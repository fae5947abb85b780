// Types for npm-package.mjs (used by the TypeScript tests).
export function sha256(bytes: Uint8Array | string): string;
export function fetchPackageFiles(cacheDir: string, spec: string, files: Record<string, string>): Record<string, Uint8Array>;
