// Types for faceres.mjs (used by the TypeScript tests).
export const FACERES_PACKAGE: string;
export const FACERES_FILES: Record<string, string>;
export const FACERES_RECIPE: string;
export function buildFaceres(files: Record<string, Uint8Array>): { 'model.json': Uint8Array; 'faceres.bin': Uint8Array };
