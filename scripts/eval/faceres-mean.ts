// Mean VGGFace2 MobileNet descriptor over the FDDB faces that MTCNN finds (2002-03 news photos, none of them in
// LFW's pairs), written next to the model: subtracting it centres the descriptors before the cosine distance.
//   node --import tsx scripts/eval/faceres-mean.ts [--limit N]
import fs from 'node:fs';
import path from 'node:path';
import { loadSharedImage, readModelAsset, repoRoot, sharedPath, useBackend } from '../../test/support/node-ml';
import { createVggface2Mobilenet } from '../../src/ml/embedders/vggface2-mobilenet';
import { createMtcnn } from '../../src/ml/mtcnn';
import { analyzeDetections } from '../../src/ml/pipeline';

const limitIndex = process.argv.indexOf('--limit');
const limit = limitIndex > 0 ? Number(process.argv[limitIndex + 1]) : Infinity;
await useBackend();
const detector = await createMtcnn(readModelAsset);
// Raw descriptors: no centring, no flip (the mean is taken of what the network itself outputs).
const embedder = await createVggface2Mobilenet(readModelAsset, { flip: false, centre: false });
const { images } = JSON.parse(fs.readFileSync(sharedPath('datasets/fddb/detection.json'), 'utf8')) as { images: { image: string }[] };
const sum = new Float64Array(embedder.info.dim);
let faces = 0;
for (const { image } of images.slice(0, limit)) {
  const rgb = loadSharedImage(`datasets/fddb/${image}`);
  const detections = (await detector.detect(rgb)).filter((d) => d.confidence >= 0.95);
  for (const face of await analyzeDetections(rgb, detections, embedder)) {
    face.embedding.forEach((v, i) => (sum[i] += v));
    faces++;
  }
}
const mean = Array.from(sum, (v) => Number((v / faces).toPrecision(5)));
const out = path.join(repoRoot, 'src/ml/embedders/vggface2-mobilenet/mean-descriptor.json');
fs.writeFileSync(out, JSON.stringify({ source: 'scripts/eval/faceres-mean.ts over FDDB (datasets/fddb), MTCNN faces with confidence >= 0.95, vggface2 crop', faces, mean }) + '\n');
console.log(`mean of ${faces} faces from ${Math.min(limit, images.length)} FDDB photos -> ${path.relative(repoRoot, out)}`);
embedder.dispose();
detector.dispose();
