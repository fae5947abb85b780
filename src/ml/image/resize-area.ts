// cv2.resize(..., interpolation=INTER_AREA) reproduced operation by operation, for interleaved
// H x W x C images. MTCNN's reference (ipazc) resizes its pyramid (uint8) and its R/O-Net patches
// (float64) this way, and detections hinge on exact pixel values (thresholds, np.fix), so the
// order of float operations and the float32 weights of OpenCV 4.x are kept on purpose:
//  * shrinking on both axes: area averaging (integer ratios take OpenCV's "fast" block average);
//  * growing on either axis: OpenCV's linear interpolation with area-style weights.
// uint8 work is done in float32 (Math.fround) and rounded half-to-even, as OpenCV's cvRound does.

import { f32s, f64s, i32s, scratchArray, type ScratchArray } from '../scratch';

export type PixelArray = Uint8Array | Float64Array;

const f32 = Math.fround;

// Scratch arrays (../scratch.ts) for the tables, rows and patches: MTCNN resizes ~1,500 small patches per photo.
// Arrays over this length are not kept (a huge patch must not pin hundreds of MB).
const POOL_MAX_LENGTH = 1 << 21;
const scratch = <T extends ScratchArray>(slot: string, make: (n: number) => T, length: number): T =>
  scratchArray(`resize.${slot}`, make, length, POOL_MAX_LENGTH);

/** cvRound + saturate_cast<uchar>: round half to even, clamp to [0, 255]. */
export function saturateU8(value: number): number {
  let rounded = Math.round(value);
  if (rounded - value === 0.5 && rounded % 2 !== 0) rounded -= 1;
  return rounded < 0 ? 0 : rounded > 255 ? 255 : rounded;
}

interface AreaTab {
  source: Int32Array;
  dest: Int32Array;
  alpha: Float64Array;
  length: number;
}

/** OpenCV's computeResizeAreaTab: which source cells feed each destination cell, with float weights. */
function areaTab(sourceSize: number, destSize: number, channels: number, scale: number, slot: 'x' | 'y'): AreaTab {
  const capacity = sourceSize * 2 + destSize * 2;
  const tab: AreaTab = {
    source: scratch(`${slot}.source`, i32s, capacity),
    dest: scratch(`${slot}.dest`, i32s, capacity),
    alpha: scratch(`${slot}.alpha`, f64s, capacity),
    length: 0,
  };
  const push = (d: number, s: number, a: number) => {
    tab.dest[tab.length] = d * channels;
    tab.source[tab.length] = s * channels;
    tab.alpha[tab.length++] = f32(a);
  };
  for (let d = 0; d < destSize; d++) {
    const from = d * scale;
    const to = from + scale;
    const cellWidth = Math.min(scale, sourceSize - from);
    let first = Math.ceil(from);
    const last = Math.min(Math.floor(to), sourceSize - 1);
    first = Math.min(first, last);
    if (first - from > 1e-3) push(d, first - 1, (first - from) / cellWidth);
    for (let s = first; s < last; s++) push(d, s, 1.0 / cellWidth);
    if (to - last > 1e-3) push(d, last, Math.min(Math.min(to - last, 1), cellWidth) / cellWidth);
  }
  return tab;
}

// The uint8 path (float32 sums, the pyramid) and the float64 path (resizeAreaPadded, the R-/O-Net patches)
// keep their own unrolled inner loops: their rounding differs, and V8 optimises each better monomorphic.

/** uint8 accumulates in float32 (OpenCV's WT=float): Float32Array stores round each step, products are rounded first. */
/** For each destination pixel, the index one past its last tab entry. */
function tabEnds(dest: Int32Array, length: number, size: number, cn: number): Int32Array {
  const ends = scratch('ends', i32s, size);
  for (let k = 0; k < length; k++) ends[dest[k] / cn] = k + 1;
  for (let d = 1; d < size; d++) ends[d] = Math.max(ends[d], ends[d - 1]);
  return ends;
}

function resizeAreaGeneralU8(src: Uint8Array, sw: number, sh: number, dst: Uint8Array, dw: number, dh: number, cn: number, scaleX: number, scaleY: number): void {
  const { source: xs, dest: xd, alpha: xa, length: xn } = areaTab(sw, dw, cn, scaleX, 'x');
  const xEnd = tabEnds(xd, xn, dw, cn);
  const ytab = areaTab(sh, dh, 1, scaleY, 'y');
  const rowLength = dw * cn;
  const buf = scratch('buf32', f32s, rowLength);
  const sum = scratch('sum32', f32s, rowLength);
  const store = (dy: number) => {
    const offset = dy * rowLength;
    for (let i = 0; i < rowLength; i++) dst[offset + i] = saturateU8(sum[i]);
  };
  let previousDy = ytab.dest[0];
  let previousSy = -1;
  for (let j = 0; j < ytab.length; j++) {
    const beta = ytab.alpha[j];
    const dy = ytab.dest[j];
    const sy = ytab.source[j];
    // A source row shared by two destination rows comes twice in a row: its horizontal pass is reused.
    if (sy !== previousSy) {
      previousSy = sy;
      const rowOffset = sy * sw * cn;
      if (cn === 3) {
        // entries come grouped by destination pixel: accumulate each pixel in locals, in the same order
        for (let dx = 0, k = 0; dx < dw; dx++) {
          const end = xEnd[dx];
          let b0 = 0;
          let b1 = 0;
          let b2 = 0;
          for (; k < end; k++) {
            const s = rowOffset + xs[k];
            const a = xa[k];
            b0 = f32(b0 + f32(src[s] * a));
            b1 = f32(b1 + f32(src[s + 1] * a));
            b2 = f32(b2 + f32(src[s + 2] * a));
          }
          buf[3 * dx] = b0;
          buf[3 * dx + 1] = b1;
          buf[3 * dx + 2] = b2;
        }
      } else {
        buf.fill(0);
        for (let k = 0; k < xn; k++) for (let c = 0; c < cn; c++) buf[xd[k] + c] += f32(src[rowOffset + xs[k] + c] * xa[k]);
      }
    }
    if (dy !== previousDy) {
      store(previousDy);
      for (let i = 0; i < rowLength; i++) sum[i] = beta * buf[i];
      previousDy = dy;
    } else {
      for (let i = 0; i < rowLength; i++) sum[i] += f32(beta * buf[i]);
    }
  }
  store(previousDy);
}

/**
 * The vertical half of OpenCV's float64 area resize: destination rows are weighted sums of horizontally
 * resized source rows; `horizontal(sy, buf)` fills buf with source row sy resized across. Each source row is
 * resized once even when two destination rows share it.
 */
function areaRowsF64(sh: number, dh: number, rowLength: number, scaleY: number, dst: Float64Array, horizontal: (sy: number, buf: Float64Array) => void): void {
  const ytab = areaTab(sh, dh, 1, scaleY, 'y');
  const buf = scratch('buf64', f64s, rowLength);
  const sum = scratch('sum64', f64s, rowLength);
  let previousDy = ytab.dest[0];
  let previousSy = -1;
  for (let j = 0; j < ytab.length; j++) {
    const beta = ytab.alpha[j];
    const dy = ytab.dest[j];
    const sy = ytab.source[j];
    if (sy !== previousSy) {
      previousSy = sy;
      horizontal(sy, buf);
    }
    if (dy !== previousDy) {
      dst.set(sum, previousDy * rowLength);
      for (let i = 0; i < rowLength; i++) sum[i] = beta * buf[i];
      previousDy = dy;
    } else {
      for (let i = 0; i < rowLength; i++) sum[i] += beta * buf[i];
    }
  }
  dst.set(sum, previousDy * rowLength);
}

/** float64 images accumulate in float64 (OpenCV's WT=double) with the float32 weights. */
function resizeAreaGeneralF64(src: Float64Array, sw: number, sh: number, dst: Float64Array, dw: number, dh: number, cn: number, scaleX: number, scaleY: number): void {
  const { source: xs, dest: xd, alpha: xa, length: xn } = areaTab(sw, dw, cn, scaleX, 'x');
  areaRowsF64(sh, dh, dw * cn, scaleY, dst, (sy, buf) => {
    // (patches, the hot float64 case, go through resizeAreaPadded's unrolled loop; this serves the rest)
    const rowOffset = sy * sw * cn;
    buf.fill(0);
    for (let k = 0; k < xn; k++) for (let c = 0; c < cn; c++) buf[xd[k] + c] += src[rowOffset + xs[k] + c] * xa[k];
  });
}

/** OpenCV's resizeAreaFast_: integer shrink ratios average whole blocks (2x2 uint8 rounds with +2 >> 2). */
function resizeAreaFast<T extends PixelArray>(
  src: T, sw: number, sh: number, dst: T, dw: number, dh: number, cn: number, ix: number, iy: number,
): void {
  const u8 = src instanceof Uint8Array;
  const area = ix * iy;
  const scale = f32(1 / area);
  const srcStep = sw * cn;
  const offsets = scratch('offsets', i32s, area);
  for (let sy = 0, k = 0; sy < iy; sy++) for (let sx = 0; sx < ix; sx++) offsets[k++] = sy * srcStep + sx * cn;
  const fullWidth = Math.floor(sw / ix) * cn;
  const rowLength = dw * cn;
  const halfAndHalf = u8 && ix === 2 && iy === 2;
  for (let dy = 0; dy < dh; dy++) {
    const out = dy * rowLength;
    const sy0 = dy * iy;
    if (sy0 >= sh) {
      dst.fill(0, out, out + rowLength);
      continue;
    }
    const w = sy0 + iy <= sh ? fullWidth : 0;
    let dx = 0;
    for (; dx < w; dx++) {
      const channel = dx % cn;
      const base = sy0 * srcStep + ((dx - channel) / cn) * ix * cn + channel;
      if (halfAndHalf) {
        dst[out + dx] = (src[base] + src[base + cn] + src[base + srcStep] + src[base + srcStep + cn] + 2) >> 2;
        continue;
      }
      let total = 0;
      let k = 0;
      for (; k <= area - 4; k += 4) {
        total += src[base + offsets[k]] + src[base + offsets[k + 1]] + src[base + offsets[k + 2]] + src[base + offsets[k + 3]];
      }
      for (; k < area; k++) total += src[base + offsets[k]];
      dst[out + dx] = u8 ? saturateU8(f32(total * scale)) : total * scale;
    }
    // Cells cut by the right or bottom edge average what they have.
    for (; dx < rowLength; dx++) {
      const channel = dx % cn;
      const sx0 = ((dx - channel) / cn) * ix * cn + channel;
      let total = 0;
      let count = 0;
      for (let sy = 0; sy < iy && sy0 + sy < sh; sy++) {
        for (let sx = 0; sx < ix * cn && sx0 + sx < srcStep; sx += cn) {
          total += src[(sy0 + sy) * srcStep + sx0 + sx];
          count++;
        }
      }
      const mean = f32(f32(total) / count);
      dst[out + dx] = count === 0 ? 0 : u8 ? saturateU8(mean) : mean;
    }
  }
}

/** OpenCV's INTER_AREA when enlarging: linear interpolation whose weight is the overlap of pixel cells. */
function resizeAreaUp<T extends PixelArray>(
  src: T, sw: number, sh: number, dst: T, dw: number, dh: number, cn: number, invX: number, invY: number,
): void {
  const u8 = src instanceof Uint8Array;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  const xofs = scratch('xofs', i32s, dw);
  const alpha0 = scratch('alpha0', f64s, dw);
  const alpha1 = scratch('alpha1', f64s, dw);
  let xmax = dw;
  for (let dx = 0; dx < dw; dx++) {
    let sx = Math.floor(dx * scaleX);
    let fx = f32(dx + 1 - (sx + 1) * invX);
    fx = fx <= 0 ? 0 : f32(fx - Math.floor(fx));
    if (sx < 0) {
      fx = 0;
      sx = 0;
    }
    if (sx + 1 >= sw) {
      xmax = Math.min(xmax, dx);
      if (sx >= sw - 1) {
        fx = 0;
        sx = sw - 1;
      }
    }
    xofs[dx] = sx;
    alpha0[dx] = f32(1 - fx);
    alpha1[dx] = fx;
  }
  const row0 = scratch('row0', f64s, dw * cn);
  const row1 = scratch('row1', f64s, dw * cn);
  const horizontal = (sy: number, row: Float64Array) => {
    const offset = sy * sw * cn;
    for (let dx = 0; dx < dw; dx++) {
      const s = offset + xofs[dx] * cn;
      for (let c = 0; c < cn; c++) {
        row[dx * cn + c] = dx < xmax ? src[s + c] * alpha0[dx] + src[s + c + cn] * alpha1[dx] : src[s + c];
      }
    }
  };
  const clip = (y: number) => (y < 0 ? 0 : y >= sh ? sh - 1 : y);
  for (let dy = 0; dy < dh; dy++) {
    const sy = Math.floor(dy * scaleY);
    let fy = f32(dy + 1 - (sy + 1) * invY);
    fy = fy <= 0 ? 0 : f32(fy - Math.floor(fy));
    const beta0 = f32(1 - fy);
    horizontal(clip(sy), row0);
    horizontal(clip(sy + 1), row1);
    const out = dy * dw * cn;
    for (let i = 0; i < dw * cn; i++) {
      const value = row0[i] * beta0 + row1[i] * fy;
      // uint8 enlarging is only approximated (OpenCV uses 11-bit fixed point there); MTCNN never needs it.
      dst[out + i] = u8 ? saturateU8(value) : value;
    }
  }
}

/** cv2.resize(src, (dw, dh), interpolation=cv2.INTER_AREA) for an interleaved sh x sw x cn image. */
export function resizeArea<T extends PixelArray>(src: T, sw: number, sh: number, dw: number, dh: number, cn = 3): T {
  if (src.length !== sw * sh * cn) throw new Error(`resizeArea: ${src.length} values for ${sw}x${sh}x${cn}`);
  if (dw <= 0 || dh <= 0 || sw <= 0 || sh <= 0) throw new Error(`resizeArea: empty size ${sw}x${sh} -> ${dw}x${dh}`);
  const dst = (src instanceof Uint8Array ? new Uint8Array(dw * dh * cn) : new Float64Array(dw * dh * cn)) as T;
  return resizeAreaInto(src, sw, sh, dst, dw, dh, cn);
}

/** resizeArea writing into a given (zeroed) destination of dw * dh * cn values. */
function resizeAreaInto<T extends PixelArray>(src: T, sw: number, sh: number, dst: T, dw: number, dh: number, cn: number): T {
  if (sw === dw && sh === dh) {
    dst.set(src);
    return dst;
  }
  const invX = dw / sw;
  const invY = dh / sh;
  const scaleX = 1 / invX;
  const scaleY = 1 / invY;
  if (scaleX >= 1 && scaleY >= 1) {
    const ix = Math.round(scaleX);
    const iy = Math.round(scaleY);
    if (Math.abs(scaleX - ix) < Number.EPSILON && Math.abs(scaleY - iy) < Number.EPSILON) {
      resizeAreaFast(src, sw, sh, dst, dw, dh, cn, ix, iy);
    } else {
      if (src instanceof Uint8Array) resizeAreaGeneralU8(src, sw, sh, dst as Uint8Array, dw, dh, cn, scaleX, scaleY);
      else resizeAreaGeneralF64(src, sw, sh, dst as Float64Array, dw, dh, cn, scaleX, scaleY);
    }
  } else {
    resizeAreaUp(src, sw, sh, dst, dw, dh, cn, invX, invY);
  }
  return dst;
}

/**
 * A window of an interleaved RGB uint8 image placed into a zero-filled width x height canvas (MTCNN's padded
 * patches): image pixels [x0, x0 + cols) x [y0, y0 + rows) land at (left, top); everything else is 0.
 */
export interface PaddedWindow {
  width: number;
  height: number;
  x0: number;
  y0: number;
  cols: number;
  rows: number;
  left: number;
  top: number;
}

/** The padded window as a float64 buffer (what ipazc builds before cv2.resize). */
function materialize(src: Uint8Array, srcWidth: number, win: PaddedWindow): Float64Array {
  const stride = win.width * 3;
  const buffer = scratch('patch', f64s, win.height * stride);
  const cols = Math.max(0, win.cols);
  for (let r = 0; r < win.rows; r++) {
    const from = ((win.y0 + r) * srcWidth + win.x0) * 3;
    buffer.set(src.subarray(from, from + cols * 3), (win.top + r) * stride + win.left * 3);
  }
  return buffer;
}

/**
 * resizeArea(materialize(window), dw, dh) in float64, bit for bit, without building the padded copy when
 * shrinking (the costly case: large boxes): pixels are read straight from the image and padding reads as 0,
 * which adds nothing to a sum of non-negative terms. The result is a scratch view: valid until the next call.
 */
export function resizeAreaPadded(src: Uint8Array, srcWidth: number, win: PaddedWindow, dw: number, dh: number): Float64Array {
  const { width: sw, height: sh } = win;
  // the same arithmetic as resizeArea's dispatch (1 / (dw / sw) is not always sw / dw)
  const scaleX = 1 / (dw / sw);
  const scaleY = 1 / (dh / sh);
  const equal = sw === dw && sh === dh;
  const integer = Math.abs(scaleX - Math.round(scaleX)) < Number.EPSILON && Math.abs(scaleY - Math.round(scaleY)) < Number.EPSILON;
  const dst = scratch('patchDst', f64s, dh * dw * 3);
  if (equal || scaleX < 1 || scaleY < 1 || integer) return resizeAreaInto(materialize(src, srcWidth, win), sw, sh, dst, dw, dh, 3);

  const cn = 3;
  const { source: xs, dest: xd, alpha: xa, length: xn } = areaTab(sw, dw, cn, scaleX, 'x');
  const xEnd = tabEnds(xd, xn, dw, cn);
  // columns of the padded row that hold image pixels, as offsets into a row of the padded canvas
  const lo = win.left * cn;
  const hi = (win.left + Math.max(0, win.cols)) * cn;
  areaRowsF64(sh, dh, dw * cn, scaleY, dst, (sy, buf) => {
    const r = sy - win.top;
    if (r < 0 || r >= win.rows || hi <= lo) {
      buf.fill(0);
      return;
    }
    // image offset of padded column 0 on this row (may point before the row: only [lo, hi) is read)
    const base = ((win.y0 + r) * srcWidth + win.x0) * cn - lo;
    for (let dx = 0, k = 0; dx < dw; dx++) {
      const end = xEnd[dx];
      let b0 = 0;
      let b1 = 0;
      let b2 = 0;
      for (; k < end; k++) {
        const x = xs[k];
        if (x < lo || x >= hi) continue;
        const s = base + x;
        const a = xa[k];
        b0 += src[s] * a;
        b1 += src[s + 1] * a;
        b2 += src[s + 2] * a;
      }
      buf[3 * dx] = b0;
      buf[3 * dx + 1] = b1;
      buf[3 * dx + 2] = b2;
    }
  });
  return dst;
}
