// Error bounds shared by every numeric test (DESIGN.md, Numerics).
import { f16BitsToF32, f32ToF16Bits } from '../quant/f16.js';

export const U_F32 = 2 ** -24;
export const U_F16 = 2 ** -11;

export interface CompareResult {
  ok: boolean;
  maxErr: number;
  worst: number; // index of the largest error relative to its bound
  message: string;
}

/**
 * Checks |got - ref| <= c * K * u * absSum (+ a tiny floor for exact zeros) element-wise.
 * `absSum[i]` is sum |a_k * b_k| for dot products, or sum |x| for reductions, or |ref| for elementwise ops (K = 1).
 */
export function compareBound(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, absSum: ArrayLike<number>, K: number, u = U_F32, c = 2): CompareResult {
  if (got.length !== ref.length) return { ok: false, maxErr: Infinity, worst: -1, message: `${what}: length ${got.length} != reference ${ref.length}` };
  let maxErr = 0;
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    if (!Number.isFinite(g)) return { ok: false, maxErr: Infinity, worst: i, message: `${what}: element ${i} is ${g} (reference ${ref[i]})` };
    const err = Math.abs(g - ref[i]);
    const bound = c * K * u * absSum[i] + Number.MIN_VALUE;
    maxErr = Math.max(maxErr, err);
    const ratio = err / bound;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  const ok = worstRatio <= 1;
  const message = ok
    ? `${what}: max |err| ${maxErr.toExponential(2)}, worst ${(worstRatio * 100).toFixed(1)}% of bound`
    : `${what}: element ${worst} = ${got[worst]} vs reference ${ref[worst]} (|err| ${Math.abs(got[worst] - ref[worst]).toExponential(3)} > bound ${(c * K * u * absSum[worst]).toExponential(3)}); max |err| ${maxErr.toExponential(2)}`;
  return { ok, maxErr, worst, message };
}

/** Exact equality, for integer codes. */
export function compareExact(what: string, got: ArrayLike<number>, ref: ArrayLike<number>): CompareResult {
  if (got.length !== ref.length) return { ok: false, maxErr: Infinity, worst: -1, message: `${what}: length ${got.length} != reference ${ref.length}` };
  for (let i = 0; i < ref.length; i++) {
    if (!Object.is(got[i], ref[i]) && got[i] !== ref[i]) {
      return { ok: false, maxErr: Math.abs(got[i] - ref[i]), worst: i, message: `${what}: element ${i} = ${got[i]}, reference ${ref[i]}` };
    }
  }
  return { ok: true, maxErr: 0, worst: -1, message: `${what}: ${ref.length} elements identical` };
}

/**
 * An f16 output that is the f32 result rounded to nearest f16 (ties to even): `gotBits[i]` must be the rounding of
 * some value within `absSum`'s bound (as compareBound) of `ref[i]`. Rounding is monotonic, so that is the f16 range
 * [rne(ref - tol), rne(ref + tol)]; +-inf passes only where that range reaches past 65504 by half an ulp.
 */
export function compareF16Rounded(what: string, gotBits: ArrayLike<number>, ref: ArrayLike<number>, absSum: ArrayLike<number>, K: number, u = U_F32, c = 2): CompareResult {
  if (gotBits.length !== ref.length) return { ok: false, maxErr: Infinity, worst: -1, message: `${what}: length ${gotBits.length} != reference ${ref.length}` };
  let maxErr = 0;
  let worstUlps = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = f16BitsToF32(gotBits[i]);
    const tol = c * K * u * absSum[i];
    const lo = f16BitsToF32(f32ToF16Bits(ref[i] - tol));
    const hi = f16BitsToF32(f32ToF16Bits(ref[i] + tol));
    if (!(g >= lo && g <= hi)) {
      return { ok: false, maxErr: Math.abs(g - ref[i]), worst: i, message: `${what}: element ${i} = ${g} (f16 0x${gotBits[i].toString(16)}), reference ${ref[i]} +- ${tol.toExponential(3)} rounds to [${lo}, ${hi}]` };
    }
    if (Number.isFinite(g)) {
      maxErr = Math.max(maxErr, Math.abs(g - ref[i]));
      const ulp = 2 ** (Math.max(-14, Math.floor(Math.log2(Math.max(Math.abs(ref[i]), 2 ** -24)))) - 10);
      worstUlps = Math.max(worstUlps, Math.abs(g - ref[i]) / ulp);
    }
  }
  return { ok: true, maxErr, worst: -1, message: `${what}: f16 output within the rounded bound, max |err| ${maxErr.toExponential(2)} (${worstUlps.toFixed(2)} f16 ulp)` };
}
