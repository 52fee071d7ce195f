// Exact conversions between f32 (JS numbers rounded to f32) and IEEE binary16 / bfloat16 bit patterns.
// f32 -> f16 and f32 -> bf16 round to nearest, ties to even, with subnormals, +-Inf and NaN handled; the
// reverse conversions are exact. shaders/quant/numerics.wgsl implements the same integer algorithm on the GPU.

const f32Buf = new Float32Array(1);
const u32Buf = new Uint32Array(f32Buf.buffer);

export function f32Bits(x: number): number {
  f32Buf[0] = x;
  return u32Buf[0];
}

export function bitsToF32(b: number): number {
  u32Buf[0] = b >>> 0;
  return f32Buf[0];
}

/** Bits of the binary16 nearest to Math.fround(x) (ties to even). NaN keeps its sign and becomes a quiet NaN. */
export function f32ToF16Bits(x: number): number {
  return f32BitsToF16Bits(f32Bits(x));
}

/** The same conversion starting from f32 bits (the algorithm the WGSL twin uses). */
export function f32BitsToF16Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 | (man >>> 13) : 0);
  // Unbiased exponent e = exp - 127; f16 normal range e in [-14, 15].
  const e = exp - 127;
  if (e > 15) return sign | 0x7c00;
  if (e >= -14) {
    // Normal: keep 10 mantissa bits, round on the 13 dropped ones.
    let h = ((e + 15) << 10) | (man >>> 13);
    const rest = man & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h += 1; // a carry into the exponent is correct (up to Inf)
    return sign | h;
  }
  // Subnormal f16 (or zero): value = m * 2^-24 with m < 1024. The f32 significand (with its hidden bit) is
  // sig * 2^(e-23); shift right by (-14 - e) + 13 bits.
  if (exp === 0) return sign; // f32 zero or f32 subnormal (< 2^-126) rounds to zero
  const sig = man | 0x800000;
  const shift = -e - 14 + 13; // >= 14
  if (shift > 24) return sign; // below half the smallest subnormal
  let h = sig >>> shift;
  const rest = sig & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1))) h += 1;
  return sign | h;
}

/** Exact value of binary16 bits. */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return man ? NaN : sign * Infinity;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1024 + man) * 2 ** (exp - 25);
}

/** Math.fround's twin for f16: the nearest binary16 value, as a number. */
export function roundF16(x: number): number {
  return f16BitsToF32(f32ToF16Bits(x));
}

/** Bits of the bfloat16 nearest to Math.fround(x) (ties to even); NaN stays a quiet NaN. */
export function f32ToBf16Bits(x: number): number {
  const b = f32Bits(x);
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) | 0x40) & 0xffff;
  const rest = b & 0xffff;
  let h = b >>> 16;
  if (rest > 0x8000 || (rest === 0x8000 && (h & 1))) h += 1;
  return h & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  return bitsToF32((h & 0xffff) << 16);
}

export function toF16Array(x: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f32ToF16Bits(x[i]);
  return out;
}

export function fromF16Array(h: ArrayLike<number>): Float32Array {
  const out = new Float32Array(h.length);
  for (let i = 0; i < h.length; i++) out[i] = f16BitsToF32(h[i]);
  return out;
}
