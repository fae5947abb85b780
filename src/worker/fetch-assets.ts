// An AssetReader over the app's own /models/ folder that counts bytes as they stream in, so the UI
// can show real download progress. Integrity is checked by src/ml/assets.ts against index.json.
import type { AssetReader } from '../ml/types';

export function modelUrl(relativePath: string): string {
  return new URL(`${import.meta.env.BASE_URL}models/${relativePath}`, self.location.origin).href;
}

export function createFetchAssetReader(onBytes: (delta: number) => void): AssetReader {
  return async (relativePath) => {
    const response = await fetch(modelUrl(relativePath));
    if (!response.ok) throw new Error(`model file ${relativePath}: HTTP ${response.status}`);
    if (!response.body) {
      const bytes = await response.arrayBuffer();
      onBytes(bytes.byteLength);
      return bytes;
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.byteLength;
      onBytes(value.byteLength);
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out.buffer;
  };
}
