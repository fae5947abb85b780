// What a match says about how sure it is, with the real stored calibration: the list's accessible name, the export's
// text lines, and the PNG text chunk that carries them.
import zlib from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { DLIB_RESNET29_INFO } from '../../src/ml/embedders/dlib-resnet29/info';
import { RESNET50_INFO } from '../../src/ml/embedders/resnet50/architecture';
import { sameProbability } from '../../src/ml/similarity';
import type { MatchPair } from '../../src/ml/types';
import { withTextChunk } from '../../src/ui/export-png';
import { matchLabel, pairLine } from '../../src/ui/match-words';

const fit = DLIB_RESNET29_INFO.calibration!.fit;
// a clear match, one at the default threshold (about 60% on LFW) and one far away
const pairs: MatchPair[] = [
  { a: 0, b: 0, distance: 0.3 },
  { a: 1, b: 1, distance: DLIB_RESNET29_INFO.defaultThreshold },
  { a: 2, b: 2, distance: 0.9 },
];

describe('match probability in words', () => {
  it('names each match with its distance, then its probability, and marks the uncertain one', () => {
    const middle = Math.round(100 * sameProbability(fit, DLIB_RESNET29_INFO.defaultThreshold));
    expect(middle).toBeGreaterThanOrEqual(20);
    expect(middle).toBeLessThanOrEqual(80);
    expect(pairs.map((p) => matchLabel(p, fit))).toEqual([
      'A1 matches B1, distance 0.300, >99% same person',
      `A2 matches B2, distance 0.595, ${middle}% same person, uncertain`,
      'A3 matches B3, distance 0.900, <1% same person',
    ]);
    // e2e/support.ts readMatches still reads every one of them
    for (const p of pairs) expect(/A(\d+) matches B(\d+), distance (-?[\d.]+)/.exec(matchLabel(p, fit))?.[3]).toBe(p.distance.toFixed(3));
  });

  it('says no probability for an embedder that is not calibrated', () => {
    expect(RESNET50_INFO.calibration).toBeUndefined();
    expect(matchLabel(pairs[1], RESNET50_INFO.calibration?.fit)).toBe('A2 matches B2, distance 0.595');
    expect(pairLine(pairs[0], RESNET50_INFO.calibration?.fit)).toBe('A1 <-> B1: distance 0.300');
  });

  it('writes the same figures into the export lines', () => {
    expect(pairLine(pairs[0], fit)).toBe('A1 <-> B1: distance 0.300, >99% same person');
    expect(pairLine(pairs[1], fit)).toMatch(/^A2 <-> B2: distance 0\.595, \d+% same person \(uncertain\)$/);
  });

  it('adds a tEXt chunk with a correct CRC that leaves the image as it was', () => {
    const image = new PNG({ width: 2, height: 1 });
    image.data.set([255, 0, 0, 255, 0, 0, 255, 255]);
    const png = new Uint8Array(PNG.sync.write(image));
    const text = 'A1 <-> B1: distance 0.300, >99% same person\nsecond line';
    const out = Buffer.from(withTextChunk(png, 'Description', text));
    expect([...PNG.sync.read(out).data]).toEqual([...image.data]);
    const at = out.indexOf('tEXt') - 4;
    const length = out.readUInt32BE(at);
    expect(out.toString('latin1', at + 8, at + 8 + length)).toBe(`Description\0${text}`);
    expect(out.readUInt32BE(at + 8 + length)).toBe(zlib.crc32(out.subarray(at + 4, at + 8 + length)));
    // right after IHDR, where a PNG reader looks first
    expect(out.toString('latin1', 12, 16)).toBe('IHDR');
    expect(at).toBe(33);
  });
});
