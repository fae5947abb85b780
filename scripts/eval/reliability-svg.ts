// A reliability diagram as a small standalone SVG (no plotting library): observed same-person share against the
// predicted probability per bin, the diagonal as perfect calibration, and the pairs per bin as a bar strip.
import type { CalibrationScore } from './calibration';

export function reliabilitySvg(title: string, subtitle: string, score: CalibrationScore): string {
  const size = 320;
  const left = 56;
  const top = 56;
  const strip = 60;
  const width = left + size + 40;
  const height = top + size + 40 + strip + 24;
  const x = (p: number) => left + p * size;
  const y = (p: number) => top + size - p * size;
  const most = Math.max(...score.bins.map((b) => b.pairs), 1);
  const stripTop = top + size + 40;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  parts.push(`<title>${escape(title)}</title>`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="12" y="22" font-size="15" font-weight="600" fill="#0f172a">${escape(title)}</text>`);
  parts.push(`<text x="12" y="40" fill="#334155">${escape(subtitle)}</text>`);
  for (let i = 0; i <= 10; i++) {
    const p = i / 10;
    parts.push(`<line x1="${x(p)}" y1="${top}" x2="${x(p)}" y2="${top + size}" stroke="#e2e8f0"/>`);
    parts.push(`<line x1="${left}" y1="${y(p)}" x2="${left + size}" y2="${y(p)}" stroke="#e2e8f0"/>`);
    if (i % 2 === 0) {
      parts.push(`<text x="${x(p)}" y="${top + size + 16}" text-anchor="middle" fill="#334155">${p.toFixed(1)}</text>`);
      parts.push(`<text x="${left - 6}" y="${y(p) + 4}" text-anchor="end" fill="#334155">${p.toFixed(1)}</text>`);
    }
  }
  parts.push(`<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#64748b"/>`);
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#94a3b8" stroke-dasharray="4 4"/>`);
  const points = score.bins.filter((b) => b.pairs > 0);
  parts.push(`<polyline fill="none" stroke="#0f766e" stroke-width="2" points="${points.map((b) => `${x(b.predicted!).toFixed(1)},${y(b.observed!).toFixed(1)}`).join(' ')}"/>`);
  for (const b of points) {
    const r = 3 + 5 * Math.sqrt(b.pairs / most);
    parts.push(`<circle cx="${x(b.predicted!).toFixed(1)}" cy="${y(b.observed!).toFixed(1)}" r="${r.toFixed(1)}" fill="#0f766e" fill-opacity="0.8"><title>predicted ${b.predicted!.toFixed(3)}, observed ${b.observed!.toFixed(3)}, ${b.pairs} pairs</title></circle>`);
  }
  parts.push(`<text x="${left + size / 2}" y="${top + size + 32}" text-anchor="middle" fill="#0f172a">predicted P(same person), held-out folds</text>`);
  parts.push(`<text transform="translate(16 ${top + size / 2}) rotate(-90)" text-anchor="middle" fill="#0f172a">observed share same person</text>`);
  // pairs per bin, log-scaled so the near-empty middle bins stay visible
  const barWidth = size / score.bins.length;
  const logMost = Math.log10(most + 1);
  score.bins.forEach((b) => {
    const h = b.pairs ? Math.max(1, (strip * Math.log10(b.pairs + 1)) / logMost) : 0;
    parts.push(`<rect x="${(x(b.from) + 1).toFixed(1)}" y="${(stripTop + strip - h).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#94a3b8"/>`);
    parts.push(`<text x="${(x(b.from) + barWidth / 2).toFixed(1)}" y="${(stripTop + strip - h - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#334155">${b.pairs}</text>`);
  });
  parts.push(`<line x1="${left}" y1="${stripTop + strip}" x2="${left + size}" y2="${stripTop + strip}" stroke="#64748b"/>`);
  parts.push(`<text x="${left + size / 2}" y="${stripTop + strip + 16}" text-anchor="middle" fill="#0f172a">pairs per bin (log scale)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
