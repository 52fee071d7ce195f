// A drawing (any RGBA image, e.g. a canvas) -> one digits-style 8x8 image, the way the UCI optdigits data were made:
// the ink is thresholded to a binary bitmap, its bounding box scaled (aspect kept) and centred into 32x32, and each
// 4x4 block's count of inked pixels (0..16) is one of the 64 values. Pure: the page passes getImageData's bytes.
import { DIGITS_MAX_PIXEL, DIGITS_PIXELS } from './digits.js';

export interface InkOptions {
  /** Ink is dark on light ('dark', paper-like) or light on dark ('light'). Default 'dark'. */
  ink?: 'dark' | 'light';
  /** Ink level (0..1) above which a pixel counts as inked. Default 0.5. */
  threshold?: number;
}

/** The ink level 0..1 of each pixel (alpha-weighted, transparent = no ink). */
export function inkLevels(rgba: ArrayLike<number>, width: number, height: number, o: InkOptions = {}): Float32Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`inkLevels: size ${width}x${height} is not a positive integer size`);
  if (rgba.length !== 4 * width * height) throw new Error(`inkLevels: ${rgba.length} bytes for ${width}x${height} RGBA, expected ${4 * width * height}`);
  const out = new Float32Array(width * height);
  for (let i = 0; i < width * height; i++) {
    const lum = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    const a = rgba[4 * i + 3] / 255;
    out[i] = a * ((o.ink ?? 'dark') === 'dark' ? 1 - lum : lum);
  }
  return out;
}

/** 64 values in 0..16 (row-major 8x8), or null when nothing is inked. */
export function drawingToDigit(rgba: ArrayLike<number>, width: number, height: number, o: InkOptions = {}): Float32Array | null {
  const ink = inkLevels(rgba, width, height, o);
  const t = o.threshold ?? 0.5;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > t) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const S = 32;
  const scale = S / Math.max(bw, bh);
  const ox = (S - bw * scale) / 2;
  const oy = (S - bh * scale) / 2;
  // Each 32x32 cell samples the source pixel at its centre (nearest), inside the scaled box only.
  const bitmap = new Uint8Array(S * S);
  for (let v = 0; v < S; v++) {
    for (let u = 0; u < S; u++) {
      const sx = Math.floor(x0 + (u + 0.5 - ox) / scale);
      const sy = Math.floor(y0 + (v + 0.5 - oy) / scale);
      if (sx < x0 || sx > x1 || sy < y0 || sy > y1) continue;
      bitmap[v * S + u] = ink[sy * width + sx] > t ? 1 : 0;
    }
  }
  const out = new Float32Array(DIGITS_PIXELS);
  for (let v = 0; v < S; v++) for (let u = 0; u < S; u++) out[(v >> 2) * 8 + (u >> 2)] += bitmap[v * S + u];
  for (const v of out) if (v > DIGITS_MAX_PIXEL) throw new Error('drawingToDigit: a block counted more than 16 pixels');
  return out;
}
