// IEEE binary16 helpers for references, feeds and reads. The one implementation lives in src/quant/f16.ts
// (exact round-to-nearest-even, subnormals, inf/NaN, with its own tests); these are the names the kernels'
// tests and the graph executor use.
import { f16BitsToF32, f32ToF16Bits } from '../quant/f16.js';

export { f32ToF16Bits, f16BitsToF32 };
export const f32ToF16 = f32ToF16Bits;
export const f16ToF32 = f16BitsToF32;

/** f16 bits of `values` and the values they stand for (the f16-rounded inputs a reference must use). */
export function toF16(values: ArrayLike<number>): { bits: Uint16Array; values: Float32Array } {
  const bits = Uint16Array.from({ length: values.length }, (_, i) => f32ToF16Bits(values[i]));
  return { bits, values: Float32Array.from(bits, f16BitsToF32) };
}
