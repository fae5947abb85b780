import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Threaded WASM needs SharedArrayBuffer, which the browser only grants to cross-origin isolated pages.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: '/',
  plugins: [react()],
  server: { headers: crossOriginIsolation },
  preview: { headers: crossOriginIsolation },
  worker: {
    format: 'es',
    rolldownOptions: {
      // Compressing the worker bundle breaks tfjs-backend-wasm's threaded glue (ReferenceError at start).
      output: { minify: { compress: false, mangle: true } },
    },
  },
  build: {
    target: 'es2022',
    // The tfjs worker chunk is large by nature; it loads off the main thread.
    chunkSizeWarningLimit: 4096,
  },
});
