// Types for mtcnn.mjs (used by the TypeScript tests).
export const MTCNN_PACKAGE: string;
export const MTCNN_FILES: Record<string, string>;
export function convertMtcnn(files: Record<string, Uint8Array>): { name: string; shape: number[]; data: Float32Array }[];
