// The bundled digits data: parser, its errors, and the fixed seeded split.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DIGITS_PATH, loadDigitsFile, loadDigitsUrl } from '../../runtime/data.js';
import { parseDigitsCsv, splitDigits } from '../../src/data/digits.js';

const row = (label: number, px = 0) => [...Array(64).fill(px), label].join(',');

describe('digits data', () => {
  it('loads the bundled file: 1,797 images, pixels 0..16, every class present', async () => {
    const d = await loadDigitsFile();
    expect(d.count).toBe(1797);
    expect(d.images.length).toBe(1797 * 64);
    expect(Math.max(...d.images)).toBe(16);
    expect(Math.min(...d.images)).toBe(0);
    const counts = new Array(10).fill(0);
    d.labels.forEach((l) => counts[l]++);
    expect(counts.every((c) => c > 170 && c < 190)).toBe(true);
    // First row of the file, as a spot check of the parse order (pixels then label).
    expect(Array.from(d.images.subarray(0, 8))).toEqual([0, 0, 5, 13, 9, 1, 0, 0]);
    expect(d.labels[0]).toBe(0);
    expect(d.labels[1]).toBe(1);
  });

  it('the fetch + DecompressionStream loader (the browser path) reads the same data', async () => {
    const url = `data:application/gzip;base64,${readFileSync(DIGITS_PATH).toString('base64')}`;
    const a = await loadDigitsUrl(url);
    const b = await loadDigitsFile();
    expect(a.count).toBe(1797);
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.images.every((v, i) => v === b.images[i])).toBe(true);
    await expect(loadDigitsFile('no/such/file.csv.gz')).rejects.toThrow(/cannot read no\/such\/file\.csv\.gz/);
  });

  it('parses rows, ignores a trailing newline, rejects malformed lines by line and field', () => {
    const d = parseDigitsCsv(`${row(3, 16)}\r\n${row(9)}\n`);
    expect(d.count).toBe(2);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    expect(d.images[63]).toBe(16);
    expect(() => parseDigitsCsv(`${row(1)}\n1,2,3\n`)).toThrow(/line 2: 3 fields, expected 65/);
    expect(() => parseDigitsCsv(row(10))).toThrow(/line 1, field 65 \(label\): '10' is not an integer in 0\.\.9/);
    expect(() => parseDigitsCsv(row(1, 17))).toThrow(/field 1 \(pixel 0\): '17' is not an integer in 0\.\.16/);
    expect(() => parseDigitsCsv(row(1).replace(/^0/, '1.5'))).toThrow(/pixel 0.*'1\.5'/);
    expect(() => parseDigitsCsv('\n')).toThrow(/no rows/);
  });

  it('splits deterministically by seed into disjoint train/test sets covering every row', async () => {
    const d = await loadDigitsFile();
    const a = splitDigits(d, { seed: 42 });
    const b = splitDigits(d, { seed: 42 });
    const c = splitDigits(d, { seed: 43 });
    expect(a.test.count).toBe(Math.round(1797 * 0.2));
    expect(a.train.count + a.test.count).toBe(1797);
    expect(Array.from(a.testIndex)).toEqual(Array.from(b.testIndex));
    expect(Array.from(a.testIndex)).not.toEqual(Array.from(c.testIndex));
    const all = new Set([...a.trainIndex, ...a.testIndex]);
    expect(all.size).toBe(1797);
    // Rows travel with their labels.
    const i = a.testIndex[5];
    expect(a.test.labels[5]).toBe(d.labels[i]);
    expect(Array.from(a.test.images.subarray(5 * 64, 6 * 64))).toEqual(Array.from(d.images.subarray(i * 64, (i + 1) * 64)));
    // Both halves hold every class.
    expect(new Set(a.test.labels).size).toBe(10);
    expect(() => splitDigits(d, { testFraction: 1 })).toThrow(/testFraction 1 must be in \(0, 1\)/);
  });
});
