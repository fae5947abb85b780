// Colours of the distance matrix's cells and of the digits on them. Backgrounds are opaque so the digits' contrast
// does not depend on what lies beneath (light or dark page), and each digit colour is white or dark, whichever has
// the higher WCAG contrast on its cell: with pure black as the dark one of the two always reaches 4.58:1 (axe's AA
// rule for small text is 4.5:1); the theme's ink stands in for black where it reaches 4.5 too.

export type Rgb = [number, number, number];

export function hslToRgb(h: number, s: number, l: number): Rgb {
  const sat = s / 100;
  const light = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = sat * Math.min(light, 1 - light);
  const f = (n: number) => light - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)].map((v) => Math.round(v * 255)) as Rgb;
}

/** WCAG 2.1 relative luminance of an sRGB colour. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function contrastRatio(x: Rgb, y: Rgb): number {
  const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
  return (hi + 0.05) / (lo + 0.05);
}

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
/** --text of the light theme */
const INK: Rgb = [15, 23, 42];
const css = ([r, g, b]: Rgb) => `rgb(${r} ${g} ${b})`;

export interface CellPaint {
  background: string;
  color: string;
  /** the digits' contrast on the background, for tests */
  contrast: number;
}

/** Close faces are dark and saturated, distant ones light and grey; the threshold is where the hue turns. */
export function cellPaint(distance: number, under: boolean, scaleMax: number): CellPaint {
  const t = Math.min(1, Math.max(0, distance / Math.max(scaleMax, 1e-6)));
  const rgb = under ? hslToRgb(150, 65, 16 + 20 * t) : hslToRgb(215, 55 - 30 * t, 42 + 48 * t);
  const onWhite = contrastRatio(rgb, WHITE);
  const onInk = contrastRatio(rgb, INK);
  if (onWhite >= contrastRatio(rgb, BLACK)) return { background: css(rgb), color: css(WHITE), contrast: onWhite };
  if (onInk >= 4.5) return { background: css(rgb), color: css(INK), contrast: onInk };
  return { background: css(rgb), color: css(BLACK), contrast: contrastRatio(rgb, BLACK) };
}
