// IEEE binary16 conversions for the CPU reference and for preparing f16 activations (round to nearest even).
const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

/** f32 (any JS number, first rounded to f32) -> binary16 bits, round half to even; overflow -> inf. */
export function f32ToF16Bits(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = man | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (man >>> 13);
  const rest = man & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 31) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Rounds every value to f16: the bits (for the GPU) and the values they hold (for the reference). */
export function toF16(values: ArrayLike<number>): { bits: Uint16Array; values: Float32Array } {
  const bits = new Uint16Array(values.length);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    bits[i] = f32ToF16Bits(values[i]);
    out[i] = f16BitsToF32(bits[i]);
  }
  return { bits, values: out };
}
