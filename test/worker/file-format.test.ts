// Format sniffing on real files from ../shared, and the ISO-BMFF headers HEIC and AVIF files start with.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SNIFF_BYTES, sniffFormat, undecodableMessage } from '../../src/worker/file-format';
import { sharedDir } from '../support/node-ml';

const head = (file: string) => new Uint8Array(fs.readFileSync(path.join(sharedDir, file)).subarray(0, SNIFF_BYTES));

/** An ftyp box: size, 'ftyp', major brand, minor version, compatible brands (as heif-enc and avifenc write them). */
function ftyp(major: string, compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  const bytes = new Uint8Array(size + 8);
  new DataView(bytes.buffer).setUint32(0, size);
  bytes.set(new TextEncoder().encode(`ftyp${major}\0\0\0\0${compatible.join('')}`), 4);
  return bytes;
}

describe('sniffFormat', () => {
  it('reads real JPEG and PNG files by their bytes, whatever their names say', () => {
    expect(sniffFormat(head('datasets/faceapi-js-images/examples/images/bbt3.jpg'))).toBe('jpeg');
    expect(sniffFormat(head('datasets/faceapi-js-images/test/images/white.png'))).toBe('png');
    expect(sniffFormat(head('datasets/faceapi-js-images/SOURCE.md'))).toBeNull();
  });

  it('tells HEIC from AVIF, though both are HEIF containers listing mif1', () => {
    expect(sniffFormat(ftyp('heic', ['mif1', 'heic']))).toBe('heic');
    expect(sniffFormat(ftyp('mif1', ['heic', 'miaf']))).toBe('heic');
    expect(sniffFormat(ftyp('avif', ['avif', 'mif1', 'miaf', 'MA1B']))).toBe('avif');
    expect(sniffFormat(ftyp('mif1', ['avif', 'miaf']))).toBe('avif');
    // an MP4 video is ISO-BMFF too, but no image
    expect(sniffFormat(ftyp('isom', ['isom', 'avc1']))).toBeNull();
  });

  it('names other formats people drop', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(sniffFormat(text('II*\0\x08\0\0\0'))).toBe('tiff');
    expect(sniffFormat(text('%PDF-1.7\n'))).toBe('pdf');
    expect(sniffFormat(text('  <?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'))).toBe('svg');
    expect(sniffFormat(text('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffFormat(new Uint8Array(0))).toBeNull();
  });
});

describe('undecodableMessage', () => {
  it('names the format and says what to do', () => {
    const heic = undecodableMessage('IMG_0001.HEIC', 'heic');
    expect(heic).toContain('IMG_0001.HEIC');
    expect(heic).toContain('HEIC');
    expect(heic).toMatch(/export it as JPEG/);
    expect(undecodableMessage('cut.jpg', 'jpeg')).toMatch(/JPEG file, but it is incomplete or damaged/);
    expect(undecodableMessage('notes.txt', null)).toMatch(/not an image/);
    expect(undecodableMessage('scan.tif', 'tiff')).toMatch(/TIFF image, which this browser can't open/);
  });
});
