// The 2- and 3-bit K-quants of llama.cpp's Q2_K and Q3_K_S / Q3_K_M / Q3_K_L files (exact import only; the formats
// as ggml's reference dequantize_row_q2_K / dequantize_row_q3_K read them, checked against gguf-py's decoder in
// test/fixtures/gguf_blocks.gguf). A super-block holds 256 elements of one row, in 16 groups of 16 (group e >> 4 of
// element e); element e = 128 h + 32 j + l (h 0..1, j 0..3, l 0..31) takes its 2 low bits from (qs[32 h + l] >> 2j) & 3.
//   Q3_K  110 bytes: 32 bytes hmask, 64 bytes qs, 12 bytes of 6-bit scales, f16 d. The third bit: bit 4h + j of
//         hmask[l]; q = low bits - 4 where that bit is clear (so q in [-4, 3]). Scale s (0..15): its low 4 bits
//         b[s] & 15 for s < 8, b[s - 8] >> 4 for s >= 8; its high 2 bits (b[8 + s % 4] >> 2 (s / 4)) & 3
//         (b = the 12 bytes). Value (d * (sc - 32)) * q.
//   Q2_K  84 bytes: 16 bytes of scales (byte g: the 4-bit scale sc in the low nibble, the 4-bit min mq in the high),
//         64 bytes qs, f16 d, f16 dmin. Value (d * sc) * q - dmin * mq.
// In nibble's layout (src/quant/scheme.ts rules q3_k, q2_k): Q3_K 4-bit codes q + 8 with an f32 scale d * (sc - 32)
// per 16, kept compact on the GPU as Q6_K is (QuantizedTensor.s8: int8 sc - 32 and f16 d; 4.625 bits a weight, against
// the file's 3.44); Q2_K 4-bit codes q with an f32 scale d * sc and an f32 float min -(dmin * mq) per 16, kept compact
// as Q4_K is (QuantizedTensor.k6 with 16 groups a super-block; 5.125 bits a weight, against 2.63). The products are
// exact in f32, so the values are the file's, bit for bit, in ggml's order (product, then the min subtracted).
import { packCodes } from './layout.js';
import { makeScheme, type QuantizedTensor } from './scheme.js';
import { halfAt as half, k6Values, s8Values } from './gguf_words.js';

export type LowKType = 'Q2_K' | 'Q3_K';

export const LOWK_BLOCKS: Readonly<Record<LowKType, { bytes: number; elements: number }>> = {
  Q3_K: { bytes: 110, elements: 256 },
  Q2_K: { bytes: 84, elements: 256 },
};

/** Q3_K's 6-bit scale s (0..15) from the 12 bytes at o (0..63; the value's factor is sc - 32). */
export function scaleQ3K(bytes: Uint8Array, o: number, s: number): number {
  const lo = s < 8 ? bytes[o + s] & 15 : bytes[o + s - 8] >> 4;
  return lo | (((bytes[o + 8 + (s & 3)] >> (2 * (s >> 2))) & 3) << 4);
}

/** The 2 low bits of element e (0..255) of a super-block whose qs start at o. */
function low2(bytes: Uint8Array, o: number, e: number): number {
  return (bytes[o + 32 * (e >> 7) + (e & 31)] >> (2 * ((e >> 5) & 3))) & 3;
}

/** Q3_K's value q (-4..3) of element e of the super-block at o. */
function q3(bytes: Uint8Array, o: number, e: number): number {
  const high = (bytes[o + (e & 31)] >> (4 * (e >> 7) + ((e >> 5) & 3))) & 1;
  return low2(bytes, o + 32, e) - (high ? 0 : 4);
}

/** Where a super-block's f16 is not finite: the error text naming tensor, block, row, k and byte. */
export type BadHalf = (what: string, blk: number, o: number, v: number) => Error;

/** The super-blocks of a Q3_K / Q2_K tensor [N, K] (K a multiple of 256, sizes checked by the caller) in nibble's layout. */
export function importLowK(t: LowKType, bytes: Uint8Array, N: number, K: number, bad: BadHalf): QuantizedTensor {
  const B = LOWK_BLOCKS[t].bytes;
  const nb = (N * K) / 256;
  const codes = new Uint8Array(N * K);
  if (t === 'Q3_K') {
    const scheme = makeScheme({ bits: 4, group: 16, rule: 'q3_k' });
    const s8 = { scales: new Uint32Array(nb * 4), supers: new Uint32Array(nb) };
    for (let blk = 0; blk < nb; blk++) {
      const o = blk * B;
      const d = half(bytes, o + 108);
      if (!Number.isFinite(d)) throw bad('d', blk, o + 108, d);
      s8.supers[blk] = bytes[o + 108] | (bytes[o + 109] << 8);
      for (let g = 0; g < 16; g++) s8.scales[4 * blk + (g >> 2)] |= ((scaleQ3K(bytes, o + 96, g) - 32) & 255) << (8 * (g & 3));
      for (let e = 0; e < 256; e++) codes[blk * 256 + e] = q3(bytes, o, e) + 8;
    }
    return { scheme, N, K, codes: packCodes(codes, N, K, 4), scales: s8Values(s8), zeros: null, s8 };
  }
  // Q2_K: its scales and mins as Q4_K's compact 'k6' words hold them (sc | mq << 8 a group, two groups a u32; f16 d |
  // f16 dmin << 16 a super-block, here of 16 groups), expanded to the f32 values by k6Values.
  const scheme = makeScheme({ bits: 4, group: 16, rule: 'q2_k' });
  const k6 = { scales: new Uint32Array(nb * 8), supers: new Uint32Array(nb) };
  for (let blk = 0; blk < nb; blk++) {
    const o = blk * B;
    const d = half(bytes, o + 80);
    const dmin = half(bytes, o + 82);
    if (!Number.isFinite(d)) throw bad('d', blk, o + 80, d);
    if (!Number.isFinite(dmin)) throw bad('dmin', blk, o + 82, dmin);
    k6.supers[blk] = (bytes[o + 80] | (bytes[o + 81] << 8) | (bytes[o + 82] << 16) | (bytes[o + 83] << 24)) >>> 0;
    for (let g = 0; g < 16; g++) k6.scales[8 * blk + (g >> 1)] |= ((bytes[o + g] & 15) | ((bytes[o + g] >> 4) << 8)) << (16 * (g & 1));
    for (let e = 0; e < 256; e++) codes[blk * 256 + e] = low2(bytes, o + 16, e);
  }
  return { scheme, N, K, codes: packCodes(codes, N, K, 4), ...k6Values(k6, 16), k6 };
}

/** Decodes Q3_K / Q2_K super-blocks straight to f32 (ggml's order; independent of nibble's layout). */
export function dequantizeLowK(t: LowKType, bytes: Uint8Array, N: number, K: number): Float32Array {
  const B = LOWK_BLOCKS[t].bytes;
  const out = new Float32Array(N * K);
  for (let blk = 0; blk < (N * K) / 256; blk++) {
    const o = blk * B;
    const y = blk * 256;
    if (t === 'Q3_K') {
      const d = half(bytes, o + 108);
      for (let e = 0; e < 256; e++) out[y + e] = Math.fround(d * (scaleQ3K(bytes, o + 96, e >> 4) - 32)) * q3(bytes, o, e);
    } else {
      const d = half(bytes, o + 80);
      const dmin = half(bytes, o + 82);
      for (let e = 0; e < 256; e++) {
        const b = bytes[o + (e >> 4)];
        out[y + e] = Math.fround(Math.fround(d * (b & 15)) * low2(bytes, o + 16, e)) - Math.fround(dmin * (b >> 4));
      }
    }
  }
  return out;
}
