// The compact 'k6' words of GGUF K-quant scales (QuantizedTensor.k6, the GPU's storage 'k6'): per group a 16-bit
// entry sc | mq << 8, two groups a u32; per super-block of 256 elements a u32 f16 d | f16 dmin << 16. Q4_K / Q5_K
// have 8 groups of 32 (6-bit sc, mq), Q2_K 16 groups of 16 (4-bit).
import { f16BitsToF32 } from './f16.js';

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
