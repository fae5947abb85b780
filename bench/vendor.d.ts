// tfjs-backend-wasm 1.7.0 for face-api.js's tfjs-core 1.7 (resolved by the plugin in bench/vite.config.ts).
declare module 'faceapi-wasm-backend' {
  export function setWasmPath(path: string): void;
}
