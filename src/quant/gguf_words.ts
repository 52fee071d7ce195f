// The compact words of GGUF K-quant scales, as the file holds them and the GPU keeps them (src/quant/gguf.ts and
// gguf_lowk.ts make them, src/kernels/quant.ts uploads and reads them back):
//   k6 (QuantizedTensor.k6, storage 'k6'): per group a 16-bit entry sc | mq << 8, two groups a u32; per super-block
//      of 256 elements a u32 f16 d | f16 dmin << 16. Q4_K / Q5_K have 8 groups of 32 (6-bit sc, mq), Q2_K 16 of 16 (4-bit).
//   s8 (QuantizedTensor.s8, storage 's8'): per group of 16 an int8 scale, four a u32; per super-block a u32, f16 d in
//      the low half. Q6_K, and Q3_K (its 6-bit sc - 32).
import { f16BitsToF32 } from './f16.js';

/** The little-endian f16 at byte o, as f32. */
export const halfAt = (bytes: Uint8Array, o: number) => f16BitsToF32(bytes[o] | (bytes[o + 1] << 8));

/** Groups in a k6 super-block of 256 elements: 8 of 32 (Q4_K, Q5_K) or 16 of 16 (Q2_K). */
export const k6GroupsPerSuper = (group: number) => 256 / group;

/**
 * The f32 scales and float mins that compact K-quant words stand for (QuantizedTensor.k6; `groupsPerSuper` 8, or 16
 * for Q2_K): scale d * sc and min
 * -(dmin * mq) per group, both exact in f32 (the -0 of a +0 product keeps ggml's u * s - 0, signed zeros included).
 */
export function k6Values(k6: { scales: Uint32Array; supers: Uint32Array }, groupsPerSuper = 8): { scales: Float32Array; zeros: Float32Array } {
  const count = 2 * k6.scales.length;
  const scales = new Float32Array(count);
  const zeros = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const e = (k6.scales[i >> 1] >>> (16 * (i & 1))) & 0xffff;
    const sup = k6.supers[Math.floor(i / groupsPerSuper)];
    scales[i] = Math.fround(f16BitsToF32(sup & 0xffff) * (e & 63));
    zeros[i] = -Math.fround(f16BitsToF32(sup >>> 16) * (e >> 8));
  }
  return { scales, zeros };
}

/** s8's groups per super-block of 256 elements: 16 of 16 (Q6_K, Q3_K), 8 of 32 (IQ4_XS). */
export const s8GroupsPerSuper = (group: number) => 256 / group;

/** The f32 scales that compact s8 words stand for (QuantizedTensor.s8): d * sc per group (of 16, or 32: `group`), exact in f32. */
export function s8Values(s8: { scales: Uint32Array; supers: Uint32Array }, group = 16): Float32Array {
  const count = 4 * s8.scales.length;
  const gps = s8GroupsPerSuper(group);
  const scales = new Float32Array(count);
  for (let i = 0; i < count; i++) scales[i] = Math.fround(f16BitsToF32(s8.supers[Math.floor(i / gps)] & 0xffff) * ((s8.scales[i >> 2] << (24 - 8 * (i & 3))) >> 24));
  return scales;
}
