// Draws the app icon (the favicon's design: two photo frames joined by a line) as PNGs for the web app
// manifest, 4x4 supersampled. Run once: `node scripts/icons/make-icons.mjs`; the PNGs are committed in public/.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');
const BLUE = [0x25, 0x63, 0xeb];
const WHITE = [255, 255, 255];
const YELLOW = [0xfb, 0xbf, 0x24];

/** Signed distance to a rounded rectangle (x, y, w, h, r), in 32-unit icon space. */
function roundRect(px, py, x, y, w, h, r) {
  const cx = x + w / 2;
  const cy = y + h / 2;
  const qx = Math.abs(px - cx) - w / 2 + r;
  const qy = Math.abs(py - cy) - h / 2 + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Colour at a point in 32-unit space; `maskable` fills the whole square and shrinks the art to the safe zone. */
function colourAt(u, v, maskable) {
  if (maskable) {
    u = (u - 16) / 0.8 + 16;
    v = (v - 16) / 0.8 + 16;
  } else if (roundRect(u, v, 0, 0, 32, 32, 7) > 0) return null;
  // frames: stroke 2 centred on the rect outline
  for (const fx of [5, 17]) if (Math.abs(roundRect(u, v, fx, 8, 10, 13, 2)) <= 1) return WHITE;
  // the line: a capsule from (10,25) to (22,25), width 2.5
  const dx = Math.max(10 - u, 0, u - 22);
  if (Math.hypot(dx, v - 25) <= 1.25) return YELLOW;
  return BLUE;
}

function draw(size, maskable) {
  const png = new PNG({ width: size, height: size });
  const ss = 4;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = colourAt(((x + (sx + 0.5) / ss) / size) * 32, ((y + (sy + 0.5) / ss) / size) * 32, maskable);
          if (!c) continue;
          r += c[0]; g += c[1]; b += c[2]; a++;
        }
      }
      const i = (y * size + x) * 4;
      png.data[i] = a ? Math.round(r / a) : 0;
      png.data[i + 1] = a ? Math.round(g / a) : 0;
      png.data[i + 2] = a ? Math.round(b / a) : 0;
      png.data[i + 3] = Math.round((255 * a) / (ss * ss));
    }
  }
  return PNG.sync.write(png);
}

for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['icon-maskable-512.png', 512, true],
  ['apple-touch-icon.png', 180, true],
]) {
  fs.writeFileSync(path.join(out, name), draw(size, maskable));
  console.log(name, size);
}
