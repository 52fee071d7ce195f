// The bundled digits data (demo/public/data/digits.csv.gz, see its README for provenance): a pure parser of the
// CSV text and a seeded, fixed train/test split. Decompression lives in runtime/data.ts (Node zlib or the
// browser's DecompressionStream), so this file runs unchanged in both.
import { rng } from '../ref/random.js';

export const DIGITS_PIXELS = 64;
export const DIGITS_CLASSES = 10;
export const DIGITS_MAX_PIXEL = 16;

export interface DigitsData {
  /** Row-major [count, 64] pixel values 0..16 as f32 (unscaled). */
  images: Float32Array;
  /** [count] labels 0..9. */
  labels: Uint8Array;
  count: number;
}

/**
 * Parses the CSV text: one image per line, 64 integer pixels 0..16 then the label 0..9, comma separated, no header.
 * Blank lines (a trailing newline) are ignored; anything else malformed is an error naming the line.
 */
export function parseDigitsCsv(text: string): DigitsData {
  const lines = text.split(/\r?\n/);
  const rows: number[][] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cells = line.split(',');
    if (cells.length !== DIGITS_PIXELS + 1) {
      throw new Error(`digits CSV line ${i + 1}: ${cells.length} fields, expected ${DIGITS_PIXELS + 1} (64 pixels then the label)`);
    }
    const row = cells.map((c, j) => {
      const t = c.trim();
      const v = /^\d+$/.test(t) ? Number(t) : NaN;
      const max = j < DIGITS_PIXELS ? DIGITS_MAX_PIXEL : DIGITS_CLASSES - 1;
      if (!(v >= 0 && v <= max)) {
        throw new Error(`digits CSV line ${i + 1}, field ${j + 1} (${j < DIGITS_PIXELS ? `pixel ${j}` : 'label'}): '${c}' is not an integer in 0..${max}`);
      }
      return v;
    });
    rows.push(row);
  });
  if (rows.length === 0) throw new Error('digits CSV: no rows');
  const count = rows.length;
  const images = new Float32Array(count * DIGITS_PIXELS);
  const labels = new Uint8Array(count);
  rows.forEach((r, i) => {
    images.set(r.slice(0, DIGITS_PIXELS), i * DIGITS_PIXELS);
    labels[i] = r[DIGITS_PIXELS];
  });
  return { images, labels, count };
}

export interface DigitsSplit {
  train: DigitsData;
  test: DigitsData;
  /** Indices into the parsed data, in the order of train / test rows. */
  trainIndex: Uint32Array;
  testIndex: Uint32Array;
}

function take(d: DigitsData, index: Uint32Array): DigitsData {
  const images = new Float32Array(index.length * DIGITS_PIXELS);
  const labels = new Uint8Array(index.length);
  index.forEach((src, i) => {
    images.set(d.images.subarray(src * DIGITS_PIXELS, (src + 1) * DIGITS_PIXELS), i * DIGITS_PIXELS);
    labels[i] = d.labels[src];
  });
  return { images, labels, count: index.length };
}

/**
 * A fixed split: a seeded Fisher-Yates shuffle (mulberry32, src/ref/random.ts) of all rows, the first
 * round(count * testFraction) rows form the test set, the rest the training set (each in shuffled order).
 * Identical in Node and the browser for the same seed.
 */
export function splitDigits(d: DigitsData, opts: { testFraction?: number; seed?: number } = {}): DigitsSplit {
  const testFraction = opts.testFraction ?? 0.2;
  const seed = opts.seed ?? 0;
  if (!(testFraction > 0 && testFraction < 1)) throw new Error(`splitDigits: testFraction ${testFraction} must be in (0, 1)`);
  const nTest = Math.round(d.count * testFraction);
  if (nTest < 1 || nTest >= d.count) throw new Error(`splitDigits: ${d.count} rows with testFraction ${testFraction} leave an empty train or test set`);
  const order = Uint32Array.from({ length: d.count }, (_, i) => i);
  const r = rng(seed);
  for (let i = d.count - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const testIndex = order.slice(0, nTest);
  const trainIndex = order.slice(nTest);
  return { train: take(d, trainIndex), test: take(d, testIndex), trainIndex, testIndex };
}
