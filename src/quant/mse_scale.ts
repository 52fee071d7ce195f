// Per-group scales that minimise the squared quantization error (the "MSE" range setting of PTQ, as used to
// initialise LSQ step sizes in LSQ+ (Bhalgat et al., 2020) and by many PTQ recipes): for each group of `group`
// consecutive values, a grid of scales around the symmetric rule's (torchao: max|w| / ((qmax - qmin) / 2)) is
// tried, from 0.20x to 1.60x in steps of 0.01, and the one whose fake-quantized group (codes clamp(round(w / s)),
// zero point 0, the kernels' arithmetic: round half to even of f32(w * f32(1 / s))) is closest in the sum of squared
// errors wins (the smallest scale on a tie). Below 1x the largest values are clipped to buy finer steps for the
// rest; above 1x (up to max|w| / qmax, where the largest positive value stops being clipped by the one code fewer
// on that side) nothing is clipped. On the midrise grid (levels (q + 0.5) * s) the rule's scale already puts the
// outer levels at +-max|w|, and the same multipliers are searched with that grid's error. A CPU computation, once,
// at QAT's start (src/train/qat_plan.ts initLsqScales).
import { roundHalfEven } from '../ref/fake_quant.js';

/** The grid of scale multipliers, in hundredths of the symmetric rule's scale. */
export const MSE_GRID = { from: 20, to: 160 } as const;

const EPS_F32 = 2 ** -23;

/**
 * The sum of squared errors of `g` fake-quantized at scale s (zero point 0, codes in [qmin, qmax]; midrise: codes
 * floor(w / s), levels (q + 0.5) * s, as the kernels' MIDRISE variant).
 */
export function groupQuantError(g: Float32Array, s: number, qmin: number, qmax: number, midrise = false): number {
  const inv = Math.fround(1 / s);
  let e = 0;
  for (let i = 0; i < g.length; i++) {
    const v = Math.fround(g[i] * inv);
    const q = Math.min(qmax, Math.max(qmin, midrise ? Math.floor(v) : roundHalfEven(v)));
    const d = Math.fround((midrise ? q + 0.5 : q) * s) - g[i];
    e += d * d;
  }
  return e;
}

/**
 * The MSE-optimal scale (on the grid above) of each group of `group` consecutive values of w; a group of zeros gets
 * the rule's floor (2^-23). `name` is the tensor named in errors.
 */
export function mseGroupScales(w: Float32Array, group: number, qmin: number, qmax: number, name = 'weight', midrise = false): Float32Array {
  if (!Number.isInteger(group) || group < 1 || w.length % group !== 0) throw new RangeError(`mseGroupScales: ${name}: group ${group} does not divide its ${w.length} values`);
  if (!(Number.isInteger(qmin) && Number.isInteger(qmax) && qmin < 0 && qmax > 0)) throw new RangeError(`mseGroupScales: ${name}: [qmin, qmax] = [${qmin}, ${qmax}] is not a symmetric signed code range`);
  const out = new Float32Array(w.length / group);
  for (let c = 0; c < out.length; c++) {
    const g = w.subarray(c * group, (c + 1) * group);
    let a = 0;
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i])) throw new RangeError(`mseGroupScales: ${name}[${c * group + i}] = ${g[i]} is not finite`);
      a = Math.max(a, Math.abs(g[i]));
    }
    const base = Math.fround(a / ((qmax - qmin) / 2));
    if (!(base >= EPS_F32)) {
      out[c] = Math.max(base, EPS_F32);
      continue;
    }
    let best = Infinity;
    for (let m = MSE_GRID.from; m <= MSE_GRID.to; m++) {
      const s = Math.fround((base * m) / 100);
      const e = groupQuantError(g, s, qmin, qmax, midrise);
      if (e < best) {
        best = e;
        out[c] = s;
      }
    }
  }
  return out;
}
