// Names a file's real format from its first bytes (the extension and MIME type lie: a PNG named .jpg, a HEIC
// with no type at all), so a photo the browser cannot open gets a message that says what it is and what to do.
// Pure TypeScript: no DOM.

export type SniffedFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'webp'
  | 'bmp'
  | 'avif'
  | 'heic'
  | 'tiff'
  | 'jxl'
  | 'psd'
  | 'pdf'
  | 'svg'
  | null;

/** How many leading bytes sniffFormat() needs. */
export const SNIFF_BYTES = 64;

const ascii = (bytes: Uint8Array, from: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(from, from + length));

/** ISO-BMFF brands (the `ftyp` box) of HEIF stills made with HEVC, what iPhones save as .heic. */
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

function isoBrands(bytes: Uint8Array): string[] {
  if (bytes.length < 16 || ascii(bytes, 4, 4) !== 'ftyp') return [];
  const boxSize = Math.min(bytes.length, (bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]);
  const brands = [ascii(bytes, 8, 4)];
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(bytes, at, 4));
  return brands;
}

export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  const b = bytes;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (b.length >= 2 && ascii(b, 0, 2) === 'BM') return 'bmp';
  const brands = isoBrands(b);
  // AVIF files also list mif1, so the AVIF brands are checked first
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return 'heic';
  if (b.length >= 4 && (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*')) return 'tiff';
  if ((b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) || (b.length >= 12 && ascii(b, 4, 8) === 'JXL \r\n\x87\n')) return 'jxl';
  if (b.length >= 4 && ascii(b, 0, 4) === '8BPS') return 'psd';
  if (b.length >= 5 && ascii(b, 0, 5) === '%PDF-') return 'pdf';
  const head = ascii(b, 0, Math.min(b.length, SNIFF_BYTES)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'svg';
  return null;
}

const NAMES: Record<Exclude<SniffedFormat, null>, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  gif: 'GIF',
  webp: 'WebP',
  bmp: 'BMP',
  avif: 'AVIF',
  heic: 'HEIC',
  tiff: 'TIFF',
  jxl: 'JPEG XL',
  psd: 'Photoshop',
  pdf: 'PDF',
  svg: 'SVG',
};

/** Formats a browser decodes natively: when one of these fails to open, the file itself is at fault. */
const DECODABLE = new Set<SniffedFormat>(['jpeg', 'png', 'gif', 'webp', 'bmp', 'avif']);

/** Why the browser could not decode a file of this format, and what to do: "a HEIC photo, which …". */
export function undecodableReason(format: SniffedFormat): string {
  if (format === null) return 'not an image this browser can open (try a JPEG, PNG or WebP photo).';
  const kind = NAMES[format];
  if (DECODABLE.has(format)) return `a ${kind} file, but it is incomplete or damaged and could not be opened.`;
  switch (format) {
    case 'heic':
      return (
        "a HEIC photo, which this browser can't open; export it as JPEG and try again " +
        '(on an iPhone, Settings › Camera › Formats › Most Compatible saves new photos as JPEG).'
      );
    case 'svg':
    case 'pdf':
      return `a ${kind} document, not a photo; export it as a PNG or JPEG image and try again.`;
    default:
      return `a ${kind} image, which this browser can't open; export it as JPEG or PNG and try again.`;
  }
}

/** What to tell a person whose file the browser could not decode, given its sniffed format. */
export function undecodableMessage(name: string, format: SniffedFormat): string {
  return `“${name}” is ${undecodableReason(format)}`;
}
