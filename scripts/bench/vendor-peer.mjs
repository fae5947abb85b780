#!/usr/bin/env node
// The WASM backend that matches face-api.js's bundled tfjs-core 1.7.0: @tensorflow/tfjs-backend-wasm@1.7.0
// (plain WASM; SIMD and threads came in later versions). It cannot be an npm dependency here: its peer
// dependency on tfjs-core 1.7.0 conflicts with the app's 4.22. So, like the model weights, it is taken from
// the pinned tarball (sha256-checked) into .bench/vendor, and bench/vite.config.ts binds it to face-api's tfjs-core.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchPackageFiles } from '../weights/npm-package.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PEER_WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm@1.7.0';
export const PEER_WASM_DIR = path.join(root, '.bench/vendor/tfjs-backend-wasm-1.7.0');
const FILES = {
  'package/dist/tf-backend-wasm.esm.js': 'e545f60c9477b9ba00be35edd3f5c42825d66cfb4199bd4ebfe57e32d9051018',
  'package/dist/tfjs-backend-wasm.wasm': 'b9bc6aa79ecb5d68c54b279e089e1aad697d759cf5c77e6a79eae87665b29998',
};

export function vendorPeerWasm() {
  const files = fetchPackageFiles(path.join(root, '.cache/npm'), PEER_WASM_PACKAGE, FILES);
  fs.mkdirSync(PEER_WASM_DIR, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(PEER_WASM_DIR, path.basename(name)), bytes);
  return PEER_WASM_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`bench: ${PEER_WASM_PACKAGE} -> ${path.relative(root, vendorPeerWasm())}`);
}
