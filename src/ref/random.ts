// Seeded random numbers for tests and benches (mulberry32): identical in Node and the browser.
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

/**
 * A GGUF K-quant tensor [N, K] of seeded random bytes (every bit pattern of codes and 6/8-bit scales is a valid block),
 * with each super-block's f16 d (and Q4_K's dmin) finite, of either sign, 2^-10 .. 2^5 in magnitude. K a multiple of 256.
 */
export function randomGgufKBlocks(t: 'Q4_K' | 'Q6_K', N: number, K: number, seed: number): Uint8Array {
  const B = t === 'Q4_K' ? 144 : 210;
  const out = new Uint8Array(((N * K) / 256) * B);
  const r = rng(seed);
  const byte = () => Math.floor(r() * 256);
  for (let i = 0; i < out.length; i++) out[i] = byte();
  const f16 = (o: number) => {
    const h = (r() < 0.5 ? 0x8000 : 0) | ((5 + Math.floor(r() * 15)) << 10) | Math.floor(r() * 1024);
    out[o] = h & 255;
    out[o + 1] = h >> 8;
  };
  for (let o = 0; o < out.length; o += B) {
    if (t === 'Q4_K') {
      f16(o);
      f16(o + 2);
    } else f16(o + 208);
  }
  return out;
}
