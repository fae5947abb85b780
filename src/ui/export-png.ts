// Renders the matched pairs into one PNG (crop A, crop B, distance, same-person probability, face numbers; threshold
// and embedder in the header) and downloads it. Plain canvas work on the main thread: it only copies small crops.
// The same figures go into a PNG tEXt chunk, so they stay readable by tools (and tests) without OCR.
import type { EmbedderInfo, MatchMode, MatchPair } from '../ml/types';
import type { Face } from '../model/photo';
import { pairCertainty, pairLine } from './match-words';

export const EXPORT_FILE_NAME = 'facematch-matches.png';

const CELL = 128;
const PAD = 16;
const HEADER = 112;
const TEXT_WIDTH = 260;

/** Each matched face's crop decoded once (off the main thread), however many pairs it is in. */
async function decodeCrops(faces: Face[]): Promise<Map<Face, ImageBitmap>> {
  const unique = [...new Set(faces)];
  const bitmaps = await Promise.all(unique.map((face) => createImageBitmap(face.crop)));
  return new Map(unique.map((face, i) => [face, bitmaps[i]]));
}

export interface ExportInput {
  pairs: MatchPair[];
  facesA: Face[];
  facesB: Face[];
  nameA: string;
  nameB: string;
  embedder: EmbedderInfo;
  threshold: number;
  mode: MatchMode;
}

export const modeLabel = (mode: MatchMode) =>
  mode === 'one-to-one' ? 'one-to-one' : 'every pair under the threshold';

export async function renderMatchesPng(input: ExportInput): Promise<Blob> {
  const crops = await decodeCrops(input.pairs.flatMap((pair) => [input.facesA[pair.a], input.facesB[pair.b]]));
  const width = PAD + CELL + PAD + CELL + PAD + TEXT_WIDTH + PAD;
  const rowHeight = CELL + PAD;
  const height = HEADER + Math.max(1, input.pairs.length) * rowHeight + PAD;
  const canvas = new OffscreenCanvas(width, height);
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);

  g.fillStyle = '#0f172a';
  g.font = '600 20px system-ui, sans-serif';
  g.fillText(`facematch: ${input.pairs.length} matched pair${input.pairs.length === 1 ? '' : 's'}`, PAD, 32);
  g.font = '14px system-ui, sans-serif';
  g.fillStyle = '#334155';
  g.fillText(`A: ${input.nameA}   B: ${input.nameB}`, PAD, 56, width - 2 * PAD);
  g.fillText(`Embedder: ${input.embedder.label}`, PAD, 76, width - 2 * PAD);
  const threshold = `Threshold: ${input.embedder.metric} distance ≤ ${input.threshold.toFixed(3)} (${modeLabel(input.mode)})`;
  g.fillText(threshold, PAD, 96, width - 2 * PAD);
  const fit = input.embedder.calibration?.fit;

  input.pairs.forEach((pair, row) => {
    const top = HEADER + row * rowHeight;
    const faceA = input.facesA[pair.a];
    const faceB = input.facesB[pair.b];
    g.imageSmoothingQuality = 'high';
    g.drawImage(crops.get(faceA)!, PAD, top, CELL, CELL);
    g.drawImage(crops.get(faceB)!, PAD * 2 + CELL, top, CELL, CELL);
    const textLeft = PAD * 3 + CELL * 2;
    g.fillStyle = '#0f172a';
    g.font = '600 18px system-ui, sans-serif';
    g.fillText(`A${pair.a + 1}  ↔  B${pair.b + 1}`, textLeft, top + 40);
    g.font = '15px ui-monospace, monospace';
    g.fillStyle = '#334155';
    g.fillText(`distance ${pair.distance.toFixed(3)}`, textLeft, top + 68);
    const sure = pairCertainty(fit, pair.distance);
    if (sure) {
      g.fillStyle = sure.uncertain ? '#9a3412' : '#0f172a';
      g.fillText(`${sure.said} same person${sure.uncertain ? ', uncertain' : ''}`, textLeft, top + 92, TEXT_WIDTH);
      g.fillStyle = '#334155';
    }
    g.fillText(`#${row + 1} of ${input.pairs.length}`, textLeft, top + (fit ? 116 : 92));
  });
  if (input.pairs.length === 0) {
    g.fillStyle = '#64748b';
    g.font = '15px system-ui, sans-serif';
    g.fillText('No pair is under the threshold.', PAD, HEADER + 40);
  }
  for (const bitmap of crops.values()) bitmap.close();
  const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
  const lines = [
    `facematch: ${input.pairs.length} matched pair${input.pairs.length === 1 ? '' : 's'}`,
    `Embedder: ${input.embedder.label}${input.embedder.calibration ? '' : ' (not calibrated: no probabilities)'}`,
    threshold.replace('≤', '<='),
    ...input.pairs.map((pair) => pairLine(pair, fit)),
  ];
  return new Blob([withTextChunk(png, 'Description', lines.join('\n'))], { type: 'image/png' });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** The PNG with a tEXt chunk (Latin-1 keyword and text) inserted right after IHDR. */
export function withTextChunk(png: Uint8Array, keyword: string, text: string): Uint8Array<ArrayBuffer> {
  const latin1 = (s: string) => Uint8Array.from(s, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 63));
  const data = new Uint8Array([...latin1(keyword), 0, ...latin1(text)]);
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  chunk.set(latin1('tEXt'), 4);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  // signature (8) + IHDR (4 length + 4 type + 13 data + 4 crc)
  const afterIhdr = 33;
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, afterIhdr), 0);
  out.set(chunk, afterIhdr);
  out.set(png.subarray(afterIhdr), afterIhdr + chunk.length);
  return out;
}

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
