// Error bounds shared by every numeric test (DESIGN.md, Numerics).
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
