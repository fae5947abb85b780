import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';
import packageJson from './package.json' with { type: 'json' };

/** Shown in the footer; FACEMATCH_VERSION lets the update e2e build a second, different version. */
const appVersion = process.env.FACEMATCH_VERSION ?? packageJson.version;

// Threaded WASM needs SharedArrayBuffer, which the browser only grants to cross-origin isolated pages.
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Privacy: the page and its workers may only talk to the app's own origin. Scripts come only from here
 * ('wasm-unsafe-eval' lets tfjs compile its WASM). The one deliberate exception is img-src http(s):
 * a web address the user types is loaded as an <img crossorigin> (the host must allow CORS) and turned
 * into a local blob; fetch/XHR/WebSocket/beacon to other origins stay blocked by connect-src.
 */
export const contentSecurityPolicy = [
  "default-src 'self'",
  // blob: for tfjs-backend-wasm's pthread workers, which importScripts() their glue from a blob URL
  // (only same-origin script can mint a blob: URL).
  "script-src 'self' blob: 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' blob: data: https: http:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The CSP as a <meta> tag in the built index.html (works on any static host). Not in dev: React's
 * fast refresh injects an inline script and Vite's client opens a WebSocket.
 */
function cspMeta(): Plugin {
  return {
    name: 'facematch-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: () => [
        // frame-ancestors is ignored in <meta>; the preview header carries it.
        {
          tag: 'meta',
          attrs: {
            'http-equiv': 'Content-Security-Policy',
            content: contentSecurityPolicy.replace("; frame-ancestors 'none'", ''),
          },
          injectTo: 'head-prepend',
        },
      ],
    },
  };
}

export default defineConfig({
  base: '/',
  define: { __APP_VERSION__: JSON.stringify(appVersion) },
  plugins: [
    react(),
    cspMeta(),
    VitePWA({
      // A new version is offered in the UI and applied only when the user accepts (never half-applied).
      registerType: 'prompt',
      injectRegister: false,
      manifest: {
        name: 'facematch: find the same people in two photos',
        short_name: 'facematch',
        description: 'Find the same people in two photos. Everything runs in your browser; no photo leaves your device.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        theme_color: '#2563eb',
        background_color: '#f6f7fb',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // App shell, worker chunks, the tfjs WASM binaries and every built-in model file (the largest,
        // faceres.bin, is 6.98 MB; the h5wasm chunk for ResNet50 imports 4.8 MB).
        globPatterns: ['**/*.{js,css,html,svg,png,wasm,json,bin,webmanifest}'],
        maximumFileSizeToCacheInBytes: 16 * 1024 * 1024,
        // First install takes control at once; later versions wait for the user (no skipWaiting).
        clientsClaim: true,
        skipWaiting: false,
        cleanupOutdatedCaches: true,
        navigateFallback: '/index.html',
      },
    }),
  ],
  server: { headers: crossOriginIsolation },
  preview: { headers: { ...crossOriginIsolation, 'Content-Security-Policy': contentSecurityPolicy } },
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
