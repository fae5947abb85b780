// Renders the matched pairs into one PNG (crop A, crop B, distance, face numbers; threshold and embedder
// in the header) and downloads it. Plain canvas work on the main thread: it only copies small crops.
import type { EmbedderInfo, FaceCrop, MatchMode, MatchPair } from '../ml/types';
import type { UiFace } from './store';

export const EXPORT_FILE_NAME = 'facematch-matches.png';

const CELL = 128;
const PAD = 16;
const HEADER = 112;
const TEXT_WIDTH = 260;

function cropCanvas(crop: FaceCrop): OffscreenCanvas {
  const canvas = new OffscreenCanvas(crop.width, crop.height);
  canvas.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(crop.rgba), crop.width, crop.height), 0, 0);
  return canvas;
}

export interface ExportInput {
  pairs: MatchPair[];
  facesA: UiFace[];
  facesB: UiFace[];
  nameA: string;
  nameB: string;
  embedder: EmbedderInfo;
  threshold: number;
  mode: MatchMode;
}

export const modeLabel = (mode: MatchMode) =>
  mode === 'one-to-one' ? 'one-to-one' : 'every pair under the threshold';

export async function renderMatchesPng(input: ExportInput): Promise<Blob> {
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
  g.fillText(
    `Threshold: ${input.embedder.metric} distance ≤ ${input.threshold.toFixed(3)} (${modeLabel(input.mode)})`,
    PAD,
    96,
    width - 2 * PAD,
  );

  input.pairs.forEach((pair, row) => {
    const top = HEADER + row * rowHeight;
    const faceA = input.facesA[pair.a];
    const faceB = input.facesB[pair.b];
    g.imageSmoothingQuality = 'high';
    g.drawImage(cropCanvas(faceA.crop), PAD, top, CELL, CELL);
    g.drawImage(cropCanvas(faceB.crop), PAD * 2 + CELL, top, CELL, CELL);
    const textLeft = PAD * 3 + CELL * 2;
    g.fillStyle = '#0f172a';
    g.font = '600 18px system-ui, sans-serif';
    g.fillText(`A${pair.a + 1}  ↔  B${pair.b + 1}`, textLeft, top + 40);
    g.font = '15px ui-monospace, monospace';
    g.fillStyle = '#334155';
    g.fillText(`distance ${pair.distance.toFixed(3)}`, textLeft, top + 68);
    g.fillText(`#${row + 1} of ${input.pairs.length}`, textLeft, top + 92);
  });
  if (input.pairs.length === 0) {
    g.fillStyle = '#64748b';
    g.font = '15px system-ui, sans-serif';
    g.fillText('No pair is under the threshold.', PAD, HEADER + 40);
  }
  return canvas.convertToBlob({ type: 'image/png' });
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
