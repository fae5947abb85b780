// Awkward and bad input, beyond e2e/photos.spec.ts (which covers a non-image file and a face-less photo):
// each gives a result or a clear message in the alert region, and the other photo's results stay.
// Files named with the wrong extension are decoded by content; an animated GIF uses its first frame;
// grey, palette-with-transparency and 1x1 images work; a 50 MP photo keeps the page responsive; a photo
// with 29 people finds them; several files dropped on one panel fill A and B (the first two images); a photo
// stored sideways with an EXIF orientation tag is shown and analysed upright.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import {
  bbtLabels,
  bbtPhoto,
  choosePhoto,
  detectedBoxes,
  facesFound,
  faceapiImages,
  iou,
  mainThreadGaps,
  openApp,
  panel,
  panelStatus,
  sharedDir,
  watchMainThread,
} from './support';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'facematch-bad-input-'));
function writeTmp(name: string, bytes: Uint8Array | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/**
 * A two-frame animated GIF: frame 1 is a real photo (6x7x6 colour cube, no dithering), frame 2 is plain
 * white. LZW is written uncompressed (9-bit codes, a clear code every 250 pixels), which every decoder reads.
 */
function animatedGif(photo: { width: number; height: number; data: Uint8Array }): Buffer {
  const { width, height } = photo;
  const palette = Buffer.alloc(768);
  for (let r = 0; r < 6; r++)
    for (let g = 0; g < 7; g++)
      for (let b = 0; b < 6; b++) {
        const i = (r * 7 + g) * 6 + b;
        palette[i * 3] = Math.round((r * 255) / 5);
        palette[i * 3 + 1] = Math.round((g * 255) / 6);
        palette[i * 3 + 2] = Math.round((b * 255) / 5);
      }
  const WHITE = (5 * 7 + 6) * 6 + 5;
  const photoIndices = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    const [r, g, b] = [photo.data[p * 4], photo.data[p * 4 + 1], photo.data[p * 4 + 2]];
    photoIndices[p] = (Math.round((r * 5) / 255) * 7 + Math.round((g * 6) / 255)) * 6 + Math.round((b * 5) / 255);
  }
  const whiteIndices = new Uint8Array(width * height).fill(WHITE);

  const lzw = (indices: Uint8Array): Buffer => {
    const bytes: number[] = [];
    let acc = 0;
    let bits = 0;
    const put = (code: number) => {
      acc |= code << bits;
      bits += 9;
      while (bits >= 8) {
        bytes.push(acc & 0xff);
        acc >>>= 8;
        bits -= 8;
      }
    };
    for (let p = 0; p < indices.length; p++) {
      if (p % 250 === 0) put(256);
      put(indices[p]);
    }
    put(257);
    if (bits > 0) bytes.push(acc & 0xff);
    const blocks: number[] = [8];
    for (let i = 0; i < bytes.length; i += 255) {
      const chunk = bytes.slice(i, i + 255);
      blocks.push(chunk.length, ...chunk);
    }
    blocks.push(0);
    return Buffer.from(blocks);
  };
  const u16 = (v: number) => [v & 0xff, v >> 8];
  const frame = (indices: Uint8Array) =>
    Buffer.concat([
      Buffer.from([0x21, 0xf9, 4, 0x04, ...u16(50), 0, 0]),
      Buffer.from([0x2c, 0, 0, 0, 0, ...u16(width), ...u16(height), 0]),
      lzw(indices),
    ]);
  return Buffer.concat([
    Buffer.from('GIF89a', 'ascii'),
    Buffer.from([...u16(width), ...u16(height), 0xf7, 0, 0]),
    palette,
    Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0', 'ascii'), 3, 1, 0, 0, 0]),
    frame(photoIndices),
    frame(whiteIndices),
    Buffer.from([0x3b]),
  ]);
}

async function expectBStays(page: Page): Promise<void> {
  await expect(panelStatus(page, 'B')).toHaveText(/6 faces found/);
  await expect(panel(page, 'B').getByRole('list', { name: 'Faces in photo B' }).getByRole('button')).toHaveCount(6);
}

async function dismissAlerts(page: Page): Promise<void> {
  const buttons = page.getByRole('alert').getByRole('button', { name: 'Dismiss' });
  while ((await buttons.count()) > 0) await buttons.first().click();
}

test('awkward formats: truncated, mislabelled, animated, grey, transparent, 1x1; B keeps its results', async ({ page }) => {
  await openApp(page);
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'B')).toBe(6);

  // A JPEG cut in half: a clear message, nothing half-analysed.
  const bbt3 = fs.readFileSync(bbtPhoto(3));
  await choosePhoto(page, 'A', writeTmp('cut-in-half.jpg', bbt3.subarray(0, bbt3.length >> 1)));
  await expect(page.getByRole('alert')).toContainText('cut-in-half.jpg');
  await expect(page.getByRole('alert')).toContainText(/incomplete or damaged|not an image/);
  await expectBStays(page);
  await dismissAlerts(page);

  // Decoded by content, not by name: a PNG named .jpg and a JPEG named .png.
  await choosePhoto(page, 'A', path.join(sharedDir, 'datasets/group-photos/traversy-examples/groups/bill-steve-elon.jpg'));
  expect(await facesFound(page, 'A')).toBe(3);
  await choosePhoto(page, 'A', path.join(sharedDir, 'datasets/group-photos/traversy-examples/unknown/stevejobs.png'));
  expect(await facesFound(page, 'A')).toBe(1);

  // Animated GIF: the first frame (the photo) is analysed, not the white second frame.
  const gif = animatedGif(jpeg.decode(fs.readFileSync(bbtPhoto(4)), { useTArray: true }));
  await choosePhoto(page, 'A', writeTmp('animated.gif', gif));
  expect(await facesFound(page, 'A')).toBeGreaterThanOrEqual(5);

  // Greyscale PNG (a face-api.js crop) and a palette PNG with transparency (named .jpg as well).
  await choosePhoto(page, 'A', path.join(faceapiImages, 'examples/images/amy/amy1.png'));
  expect(await facesFound(page, 'A')).toBe(1);
  await choosePhoto(page, 'A', path.join(sharedDir, 'datasets/group-photos/traversy-examples/known/Elon Musk.jpg'));
  expect(await facesFound(page, 'A')).toBe(1);

  // 1x1 pixel: simply no faces.
  const dot = new PNG({ width: 1, height: 1 });
  dot.data.set([200, 150, 120, 255]);
  await choosePhoto(page, 'A', writeTmp('dot.png', PNG.sync.write(dot)));
  expect(await facesFound(page, 'A')).toBe(0);
  await expect(page.getByText('No faces found in photo A')).toBeVisible();

  await expect(page.getByRole('alert')).toHaveText('');
  await expectBStays(page);
});

test('a 50 MP photo keeps the page responsive and is analysed; B keeps its results', async ({ page }) => {
  await openApp(page);
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'B')).toBe(6);

  // Draw bbt3 at 8000x6250 in the page, encode it as JPEG and drop it on A, timing the main thread meanwhile.
  const bbt3 = [...fs.readFileSync(bbtPhoto(3))];
  await page.evaluate(async (bytes) => {
    const source = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(8000, 6250);
    canvas.getContext('2d')!.drawImage(source, 0, 0, 8000, 6250);
    (window as unknown as { __big: Blob }).__big = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  }, bbt3);
  await watchMainThread(page);
  await page.evaluate(() => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([(window as unknown as { __big: Blob }).__big], 'huge-50mp.jpg', { type: 'image/jpeg' }));
    document
      .querySelector('section[aria-label="Photo A"]')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  // While it is analysed the main thread is never blocked for long (timer gaps measured in the page).
  await expect(panelStatus(page, 'A')).toHaveText(/Finding faces|Opening/);
  const faces = await facesFound(page, 'A');
  expect(faces).toBeGreaterThanOrEqual(4);
  const { longest, ticks } = await mainThreadGaps(page);
  console.log(`50 MP: ${faces} faces; longest main-thread gap ${longest.toFixed(0)} ms over ${ticks} ticks`);
  // Measured here (headless Chromium, SwiftShader, 2 shared cores): 15.6 s stalls when a canvas redrew the 50 MP
  // bitmap on each update; 0.5-2.3 s with a scaled canvas copy made and uploaded on the main thread; 0.3-1.1 s since
  // the photo is an <img> the browser decodes on its own threads (what is left is the page waiting for a core while
  // the analysis and the decoders hold both: on an idle page neither decode blocks it over 70 ms).
  expect(longest).toBeLessThan(2000);
  await expectBStays(page);
  await expect(page.getByRole('alert')).toHaveText('');
});

test('a photo with 29 people (Solvay 1927) finds them and B keeps its results', async ({ page }) => {
  await openApp(page);
  await choosePhoto(page, 'B', bbtPhoto(4));
  expect(await facesFound(page, 'B')).toBe(6);
  await choosePhoto(page, 'A', path.join(sharedDir, 'datasets/group-photos/human-samples/solvay1927.jpg'));
  const solvay = await facesFound(page, 'A');
  console.log(`solvay1927: ${solvay} faces`);
  expect(solvay).toBeGreaterThanOrEqual(27);
  expect(solvay).toBeLessThanOrEqual(31);
  await expect(panel(page, 'A').getByRole('list', { name: 'Faces in photo A' }).getByRole('button')).toHaveCount(solvay);
  await expectBStays(page);
});

test('several files dropped on one panel: the first two images fill A and B, the rest are named in an alert', async ({ page }) => {
  await openApp(page);
  const files = [
    { name: 'bbt3.jpg', type: 'image/jpeg', bytes: [...fs.readFileSync(bbtPhoto(3))] },
    { name: 'notes.txt', type: 'text/plain', bytes: [...Buffer.from('not a photo')] },
    { name: 'bbt4.jpg', type: 'image/jpeg', bytes: [...fs.readFileSync(bbtPhoto(4))] },
    { name: 'bbt5.jpg', type: 'image/jpeg', bytes: [...fs.readFileSync(bbtPhoto(5))] },
  ];
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) transfer.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
    document
      .querySelector('section[aria-label="Photo B"]')!
      .dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
  // dropped on B: B gets the first image, A the second
  await expect(panel(page, 'B').getByText('bbt3.jpg')).toBeVisible();
  await expect(panel(page, 'A').getByText('bbt4.jpg')).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('ignored 1 more (bbt5.jpg)');
  expect(await facesFound(page, 'A')).toBe(6);
  expect(await facesFound(page, 'B')).toBeGreaterThanOrEqual(5);
  await expect(page.getByRole('list', { name: 'Matches' }).getByRole('listitem').first()).toBeVisible();
});

/** A JPEG with an EXIF APP1 segment (big-endian TIFF, one IFD0 entry: Orientation) inserted right after SOI. */
function withExifOrientation(jpegBytes: Uint8Array, orientation: number): Buffer {
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // "MM", 42, IFD0 at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, orientation, 0x00, 0x00, // Orientation, SHORT, 1 value
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]);
  return Buffer.concat([Buffer.from(jpegBytes.subarray(0, 2)), header, payload, Buffer.from(jpegBytes.subarray(2))]);
}

test('a photo stored sideways with EXIF orientation 6 is shown and analysed upright', async ({ page }) => {
  await openApp(page);
  // bbt4 turned 90 degrees counter-clockwise in its pixels, tagged "rotate 90 clockwise to display"
  const sideways = await page.evaluate(async (bytes) => {
    const upright = await createImageBitmap(new Blob([new Uint8Array(bytes)]));
    const canvas = new OffscreenCanvas(upright.height, upright.width);
    const g = canvas.getContext('2d')!;
    g.translate(0, upright.width);
    g.rotate(-Math.PI / 2);
    g.drawImage(upright, 0, 0);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, [...fs.readFileSync(bbtPhoto(4))]);
  await choosePhoto(page, 'A', writeTmp('bbt4-exif-6.jpg', withExifOrientation(Uint8Array.from(sideways), 6)));
  // Without the tag the six faces lie on their sides, where MTCNN finds few if any.
  expect(await facesFound(page, 'A')).toBe(6);
  const boxes = await detectedBoxes(page, 'A');
  for (const label of bbtLabels(4)) {
    expect(Math.max(...boxes.map((b) => iou(b, label.box))), `face of ${label.name}`).toBeGreaterThan(0.6);
  }
  // Shown upright: the image is landscape like the original (710 x 473), and what is on screen (marks hidden)
  // looks like the upright photo, not like the stored sideways pixels squeezed into the same box.
  const image = panel(page, 'A').locator('img.photo-image');
  expect(await image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight])).toEqual([710, 473]);
  await page.addStyleTag({ content: 'section[aria-label="Photo A"] .face-overlay { visibility: hidden; }' });
  const screenshot = await image.screenshot();
  const difference = await page.evaluate(
    async ([shot, upright, stored]) => {
      const pixels = async (bytes: readonly number[], width: number, height: number, orientation: ImageOrientation) => {
        const bitmap = await createImageBitmap(new Blob([new Uint8Array(bytes)]), { imageOrientation: orientation });
        const context = new OffscreenCanvas(width, height).getContext('2d')!;
        context.drawImage(bitmap, 0, 0, width, height);
        return context.getImageData(0, 0, width, height).data;
      };
      const shown = await createImageBitmap(new Blob([new Uint8Array(shot)]));
      const { width, height } = shown;
      const seen = await pixels(shot, width, height, 'from-image');
      const meanDifference = (other: Uint8ClampedArray) => {
        let sum = 0;
        for (let i = 0; i < seen.length; i += 4) sum += Math.abs(seen[i] - other[i]) + Math.abs(seen[i + 1] - other[i + 1]) + Math.abs(seen[i + 2] - other[i + 2]);
        return sum / ((seen.length / 4) * 3);
      };
      return {
        upright: meanDifference(await pixels(upright, width, height, 'from-image')),
        sideways: meanDifference(await pixels(stored, width, height, 'none')),
      };
    },
    [[...screenshot], [...fs.readFileSync(bbtPhoto(4))], sideways] as const,
  );
  console.log(`EXIF 6: mean difference from the upright photo ${difference.upright.toFixed(1)}, from the stored pixels ${difference.sideways.toFixed(1)}`);
  expect(difference.upright).toBeLessThan(12);
  expect(difference.sideways).toBeGreaterThan(3 * difference.upright);
});
