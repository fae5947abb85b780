import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// The bench page is a separate build (.bench/dist), so face-api.js never enters the app's bundle.
// The models and photos are served beside it by scripts/bench/serve.ts, not copied.
const here = fileURLToPath(new URL('.', import.meta.url));
const peerWasm = fileURLToPath(new URL('../.bench/vendor/tfjs-backend-wasm-1.7.0/tf-backend-wasm.esm.js', import.meta.url));
const faceapiEntry = fileURLToPath(new URL('../node_modules/face-api.js/build/es6/index.js', import.meta.url));
const MISSING = '\0faceapi-wasm-backend-missing';

/**
 * `faceapi-wasm-backend` = tfjs-backend-wasm 1.7.0 from .bench/vendor (scripts/bench/vendor-peer.mjs), with its
 * `@tensorflow/tfjs-core` import bound to the very module face-api.js uses (one engine), not the app's 4.22.
 */
function faceapiWasmBackend(): Plugin {
  return {
    name: 'faceapi-wasm-backend',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source === 'faceapi-wasm-backend') return fs.existsSync(peerWasm) ? peerWasm : MISSING;
      if (source === '@tensorflow/tfjs-core' && importer === peerWasm) {
        return this.resolve('@tensorflow/tfjs-core', faceapiEntry, { skipSelf: true });
      }
      return null;
    },
    load(id) {
      if (id !== MISSING) return null;
      return 'export function setWasmPath() { throw new Error("tfjs-backend-wasm 1.7.0 was not vendored (node scripts/bench/vendor-peer.mjs)"); }';
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [faceapiWasmBackend()],
  worker: {
    format: 'es',
    plugins: () => [faceapiWasmBackend()],
    // as in the app: compressing the worker bundle breaks tfjs-backend-wasm's threaded glue
    rolldownOptions: { output: { minify: { compress: false, mangle: true } } },
  },
  build: {
    outDir: fileURLToPath(new URL('../.bench/dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8192,
    reportCompressedSize: false,
  },
});
