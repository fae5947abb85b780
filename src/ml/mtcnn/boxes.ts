// The box arithmetic of ipazc mtcnn 0.0.9, in float64 like numpy, including its quirks
// (+1 areas, suppression on "> threshold", np.fix, 1-based pad()). Each function mirrors one
// helper of the reference so a difference can be traced stage by stage.
import { argsortNumpy } from './argsort';

export interface ScoredBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

/** A candidate face: corners, score and the regression offsets that refine it. */
export interface Candidate extends ScoredBox {
  /** dx1, dy1, dx2, dy2 as the net predicted them (float32 values) */
  reg: [number, number, number, number];
}

export type NmsMethod = 'Union' | 'Min';

/** ipazc __nms: indices kept, in pick order (descending score, numpy's tie order). */
export function nms(boxes: readonly ScoredBox[], threshold: number, method: NmsMethod): number[] {
  const n = boxes.length;
  if (n === 0) return [];
  // Flat float64 columns and in-place compaction: same arithmetic as before, a fraction of the time on the
  // thousands of P-Net candidates of a 1 MP photo.
  const x1 = new Float64Array(n);
  const y1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const y2 = new Float64Array(n);
  const area = new Float64Array(n);
  const scores = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const b = boxes[i];
    x1[i] = b.x1;
    y1[i] = b.y1;
    x2[i] = b.x2;
    y2[i] = b.y2;
    area[i] = (b.x2 - b.x1 + 1) * (b.y2 - b.y1 + 1);
    scores[i] = b.score;
  }
  const remaining = argsortNumpy(scores);
  const byMin = method === 'Min';
  const pick: number[] = [];
  let count = n;
  while (count > 0) {
    const i = remaining[count - 1];
    pick.push(i);
    const ax1 = x1[i];
    const ay1 = y1[i];
    const ax2 = x2[i];
    const ay2 = y2[i];
    const areaI = area[i];
    let kept = 0;
    for (let k = 0; k < count - 1; k++) {
      const j = remaining[k];
      const w = Math.max(0, Math.min(ax2, x2[j]) - Math.max(ax1, x1[j]) + 1);
      const h = Math.max(0, Math.min(ay2, y2[j]) - Math.max(ay1, y1[j]) + 1);
      const inter = w * h;
      const overlap = byMin ? inter / Math.min(areaI, area[j]) : inter / (areaI + area[j] - inter);
      if (overlap <= threshold) remaining[kept++] = j;
    }
    count = kept;
  }
  return pick;
}

/** ipazc __rerec: square on the longer side, same centre (mutates and returns the box). */
export function rerec<B extends { x1: number; y1: number; x2: number; y2: number }>(box: B): B {
  const h = box.y2 - box.y1;
  const w = box.x2 - box.x1;
  const l = Math.max(w, h);
  box.x1 = box.x1 + w * 0.5 - l * 0.5;
  box.y1 = box.y1 + h * 0.5 - l * 0.5;
  box.x2 = box.x1 + l;
  box.y2 = box.y1 + l;
  return box;
}

/** ipazc __bbreg: refine with offsets relative to the +1 width/height (mutates and returns the box). */
export function bbreg<B extends { x1: number; y1: number; x2: number; y2: number }>(
  box: B,
  reg: ArrayLike<number>,
): B {
  const w = box.x2 - box.x1 + 1;
  const h = box.y2 - box.y1 + 1;
  const x1 = box.x1 + reg[0] * w;
  const y1 = box.y1 + reg[1] * h;
  const x2 = box.x2 + reg[2] * w;
  const y2 = box.y2 + reg[3] * h;
  box.x1 = x1;
  box.y1 = y1;
  box.x2 = x2;
  box.y2 = y2;
  return box;
}

/** np.fix: round toward zero (Math.trunc keeps -0, which compares and computes like 0). */
export const fix = (v: number) => Math.trunc(v) + 0;

/** numpy astype(np.int32) of a float: truncation toward zero, wrapped to 32 bits. */
const toInt32 = (v: number) => Math.trunc(v) | 0;

/** The source rectangle of a patch and where it lands in the zero-filled (tmph x tmpw) buffer; 0-based, end-exclusive. */
export interface PatchWindow {
  tmpw: number;
  tmph: number;
  /** destination window in the buffer */
  dx0: number;
  dx1: number;
  dy0: number;
  dy1: number;
  /** source window in the image */
  sx0: number;
  sx1: number;
  sy0: number;
  sy1: number;
}

/** ipazc __pad for one box, converted from its 1-based inclusive form to slices. */
export function padBox(box: { x1: number; y1: number; x2: number; y2: number }, width: number, height: number): PatchWindow {
  const tmpw = toInt32(box.x2 - box.x1 + 1);
  const tmph = toInt32(box.y2 - box.y1 + 1);
  let dx = 1;
  let dy = 1;
  let edx = tmpw;
  let edy = tmph;
  let x = toInt32(box.x1);
  let y = toInt32(box.y1);
  let ex = toInt32(box.x2);
  let ey = toInt32(box.y2);
  if (ex > width) {
    edx = -ex + width + tmpw;
    ex = width;
  }
  if (ey > height) {
    edy = -ey + height + tmph;
    ey = height;
  }
  if (x < 1) {
    dx = 2 - x;
    x = 1;
  }
  if (y < 1) {
    dy = 2 - y;
    y = 1;
  }
  return { tmpw, tmph, dx0: dx - 1, dx1: edx, dy0: dy - 1, dy1: edy, sx0: x - 1, sx1: ex, sy0: y - 1, sy1: ey };
}

/**
 * ipazc __generate_bounding_box for one P-Net scale. `prob` and `reg` are the raw P-Net maps of the
 * transposed image: prob[a * mapH + b] is the face probability of the cell at image column a, row b;
 * reg holds 4 values per cell in the same order.
 */
export function generateCandidates(
  prob: ArrayLike<number>,
  reg: ArrayLike<number>,
  mapW: number,
  mapH: number,
  scale: number,
  threshold: number,
): Candidate[] {
  const passing: number[] = [];
  for (let i = 0; i < mapW * mapH; i++) if (prob[i] >= threshold) passing.push(i);
  // Quirk kept from the reference: with exactly one passing cell its regression maps are np.flipud-ed,
  // so the offsets come from the mirrored column.
  const mirrored = passing.length === 1;
  return passing.map((i) => {
    const a = Math.floor(i / mapH);
    const b = i - a * mapH;
    const r = 4 * ((mirrored ? mapW - 1 - a : a) * mapH + b);
    return {
      x1: fix((2 * a + 1) / scale),
      y1: fix((2 * b + 1) / scale),
      x2: fix((2 * a + 12) / scale),
      y2: fix((2 * b + 12) / scale),
      score: prob[i],
      reg: [reg[r], reg[r + 1], reg[r + 2], reg[r + 3]],
    };
  });
}

/** A finite positive double as mantissa * 2^exponent, exactly. */
function decompose(x: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  return exponentBits === 0 ? [fraction, -1074] : [fraction | (1n << 52n), exponentBits - 1075];
}

/**
 * base^n for a positive base and integer n >= 0, correctly rounded like glibc's pow (numpy's np.power).
 * V8's Math.pow is off by an ulp for some powers of 0.709, which moves pyramid sizes and box corners.
 */
export function powCorrectlyRounded(base: number, n: number): number {
  if (n === 0) return 1;
  const [mantissa, exponent] = decompose(base);
  let m = mantissa ** BigInt(n);
  let e = exponent * n;
  const bits = m.toString(2).length;
  if (bits > 53) {
    const shift = BigInt(bits - 53);
    const rest = m & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    m >>= shift;
    if (rest > half || (rest === half && (m & 1n) === 1n)) m += 1n;
    e += bits - 53;
  }
  let value = Number(m); // at most 2^53: exact
  for (; e > 0; e--) value *= 2;
  for (; e < 0; e++) value *= 0.5;
  return value;
}

/**
 * numpy's pow on the reference machine was not always correctly rounded: for the default factor 0.709 its
 * 0.709^3 and 0.709^9 were one ulp above, 0.709^6 one ulp below (read off the reference's scales, which
 * cover k = 0..12; the others agree with correct rounding). Kept so pyramid sizes and box corners match.
 */
const REFERENCE_POW_ULPS: Record<number, Record<number, number>> = { 0.709: { 3: 1, 6: -1, 9: 1 } };

function nextDouble(x: number, direction: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + BigInt(direction)); // x > 0: the bit pattern is monotonic
  return view.getFloat64(0);
}

/** ipazc __compute_scale_pyramid. */
export function scalePyramid(width: number, height: number, minFaceSize: number, scaleFactor: number): number[] {
  const m = 12 / minFaceSize;
  let minLayer = Math.min(height, width) * m;
  const scales: number[] = [];
  for (let count = 0; minLayer >= 12; count++) {
    const ulps = REFERENCE_POW_ULPS[scaleFactor]?.[count] ?? 0;
    scales.push(m * nextDouble(powCorrectlyRounded(scaleFactor, count), ulps));
    minLayer = minLayer * scaleFactor;
  }
  return scales;
}
