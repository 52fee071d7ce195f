// Seeded random numbers for tests and benches (mulberry32): identical in Node and the browser.
import { GGUF_BLOCKS, type GgufBlockType } from '../quant/gguf.js';
import { putIquantD } from '../quant/gguf_iquants.js';

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi) rounded to f32. */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** Byte offsets of each GGUF block type's f16 fields (d; m or dmin) within a block. */
const F16_AT: Readonly<Record<GgufBlockType, readonly number[]>> = { Q4_0: [0], Q4_1: [0, 2], Q8_0: [0], Q5_0: [0], Q5_1: [0, 2], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208], Q3_K: [108], Q2_K: [80, 82], MXFP4: [], IQ4_NL: [0], IQ4_XS: [0], IQ2_XXS: [0], IQ2_XS: [0], IQ2_S: [0], IQ3_XXS: [0], IQ3_S: [0], IQ1_S: [0], IQ1_M: [] };

/**
 * A GGUF block tensor [N, K] of seeded random bytes (every bit pattern of codes, high bits and 6/8-bit scales is a
 * valid block), with each block's f16 d (and m / dmin) finite, of either sign, 2^-10 .. 2^5 in magnitude (MXFP4: its
 * E8M0 exponent gives scales 2^-10 .. 2^5 too). K a multiple of the type's block (32; 256 for the K-quants, IQ4_XS and
 * the IQ1-IQ3 types).
 */
export function randomGgufBlocks(t: GgufBlockType, N: number, K: number, seed: number): Uint8Array {
  const { bytes: B, elements: E } = GGUF_BLOCKS[t];
  const halves = F16_AT[t];
  const out = new Uint8Array(((N * K) / E) * B);
  const r = rng(seed);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  for (let o = 0; o < out.length; o += B) {
    for (const at of halves) {
      const h = (r() < 0.5 ? 0x8000 : 0) | ((5 + Math.floor(r() * 15)) << 10) | Math.floor(r() * 1024);
      out[o + at] = h & 255;
      out[o + at + 1] = h >> 8;
    }
    if (t === 'MXFP4') out[o] = 118 + Math.floor(r() * 16);
    if (t === 'IQ1_M') putIquantD(t, out, o, (r() < 0.5 ? 0x8000 : 0) | ((5 + Math.floor(r() * 15)) << 10) | Math.floor(r() * 1024));
  }
  return out;
}

/** A seeded random permutation of 0..n-1. */
export function randomPermutation(n: number, seed: number): Uint32Array {
  const r = rng(seed);
  return Uint32Array.from([...Array(n).keys()].map((k) => [r(), k] as const).sort((a, b) => a[0] - b[0]).map(([, k]) => k));
}
