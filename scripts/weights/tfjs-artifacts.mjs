// Writes named float32 arrays as a tfjs weights manifest (weights.json + one .bin), the format
// tf.io.decodeWeights reads, and returns the entry for public/models/index.json.
import fs from 'node:fs';
import path from 'node:path';
import { sha256 } from './npm-package.mjs';

export function writeWeights(outDir, id, arrays, extra = {}) {
  const dir = path.join(outDir, id);
  fs.mkdirSync(dir, { recursive: true });
  const specs = [];
  const chunks = [];
  for (const { name, shape, data } of arrays) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`${id}/${name}: ${data.length} values for shape [${shape}]`);
    specs.push({ name, shape, dtype: 'float32' });
    chunks.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  const bin = Buffer.concat(chunks);
  const binName = 'weights.bin';
  fs.writeFileSync(path.join(dir, binName), bin);
  const manifest = [{ paths: [binName], weights: specs }];
  const manifestText = JSON.stringify(manifest);
  fs.writeFileSync(path.join(dir, 'weights.json'), manifestText);
  return {
    id,
    files: {
      'weights.json': { bytes: Buffer.byteLength(manifestText), sha256: sha256(manifestText) },
      [binName]: { bytes: bin.length, sha256: sha256(bin) },
    },
    ...extra,
  };
}
