// Where eval:lfw caches LFW detections and embeddings (.eval/lfw), shared with eval:cluster: file names carry the
// weights' fingerprint, so rebuilt weights get new caches.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../test/support/node-ml';

export const lfwCacheDir = path.join(repoRoot, '.eval/lfw');

/** 8 hex digits over a model's weight files as public/models/index.json records them; 'user' when not built in. */
export function weightsFingerprint(modelId: string): string {
  const index = JSON.parse(fs.readFileSync(path.join(repoRoot, 'public/models/index.json'), 'utf8')) as {
    models: Record<string, { files: Record<string, { sha256: string }> } | undefined>;
  };
  const files = index.models[modelId]?.files;
  if (!files) return 'user';
  const digests = Object.keys(files).sort().map((name) => `${name}:${files[name].sha256}`);
  return createHash('sha256').update(digests.join('\n')).digest('hex').slice(0, 8);
}

export function detectorKey(detectorName: string): string {
  return detectorName === 'mtcnn' ? `mtcnn-${weightsFingerprint('mtcnn')}` : detectorName;
}

export function embeddingCachePath(o: { embedderId: string; crop: string; detector: string; flip: boolean; boxScale?: number; zoom?: number }): string {
  return path.join(
    lfwCacheDir,
    `embeddings-${o.embedderId}-${weightsFingerprint(o.embedderId)}-${o.crop}-${detectorKey(o.detector)}${o.flip ? '-flip' : ''}${o.boxScale ? `-box${o.boxScale}` : ''}${o.zoom ? `-zoom${o.zoom}` : ''}.jsonl`,
  );
}

export function readJsonl<T>(file: string): Map<string, T> {
  const map = new Map<string, T>();
  if (!fs.existsSync(file)) return map;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { image, value } = JSON.parse(line) as { image: string; value: T };
    map.set(image, value);
  }
  return map;
}

/** The cached embeddings: image -> vector (stored as base64 float32). */
export function readEmbeddings(file: string): Map<string, Float32Array> {
  return new Map([...readJsonl<string>(file)].map(([k, v]) => [k, new Float32Array(new Uint8Array(Buffer.from(v, 'base64')).buffer)]));
}
