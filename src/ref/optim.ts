// CPU reference (f64) for shaders/optim: SGD (momentum, dampening, Nesterov, weight decay), AdamW and global-norm
// clipping, with torch.optim semantics. Hyperparameters enter as f32 (Math.fround), as the kernels see them.
// Each update also returns, per element, the sum of the magnitudes that went into it, for DESIGN's error bound.
type Num = ArrayLike<number>;
const f32 = Math.fround;

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export const ADAMW_DEFAULTS = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

/** One SGD step. `buf` is the momentum buffer (ignored on the first step, where it starts as g); `coef` a clip factor. */
export function sgdRef(p: Num, g: Num, buf: Num | null, o: SgdOptions, first: boolean, coef = 1): { p: Float64Array; buf: Float64Array; absP: Float64Array; absBuf: Float64Array } {
  const lr = f32(o.lr);
  const mu = f32(o.momentum ?? 0);
  const damp = f32(o.dampening ?? 0);
  const wd = f32(o.weightDecay ?? 0);
  const n = p.length;
  const P = new Float64Array(n);
  const B = new Float64Array(n);
  const absP = new Float64Array(n);
  const absBuf = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let d = g[i] * f32(coef) + wd * p[i];
    let dAbs = Math.abs(g[i] * coef) + Math.abs(wd * p[i]);
    if (mu !== 0) {
      let b = d;
      let bAbs = dAbs;
      if (!first && buf) {
        b = mu * buf[i] + (1 - damp) * d;
        bAbs = Math.abs(mu * buf[i]) + Math.abs((1 - damp) * d) + Math.abs(1 - damp) * dAbs;
      }
      B[i] = b;
      absBuf[i] = bAbs;
      if (o.nesterov) {
        d = d + mu * b;
        dAbs = dAbs + Math.abs(mu) * bAbs;
      } else {
        d = b;
        dAbs = bAbs;
      }
    }
    P[i] = p[i] - lr * d;
    absP[i] = Math.abs(p[i]) + Math.abs(lr) * dAbs;
  }
  return { p: P, buf: B, absP, absBuf };
}

/** f64 bias-correction terms for step t >= 1, as PyTorch computes them on the host. */
export function adamwBias(o: AdamWOptions, step: number): { stepSize: number; bc2Sqrt: number } {
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step=${step} must be an integer >= 1 (the count of this update, starting at 1)`);
  const b1 = f32(o.beta1 ?? ADAMW_DEFAULTS.beta1);
  const b2 = f32(o.beta2 ?? ADAMW_DEFAULTS.beta2);
  return { stepSize: f32(o.lr) / (1 - b1 ** step), bc2Sqrt: Math.sqrt(1 - b2 ** step) };
}

/** One AdamW step at step count `step` (1-based). */
export function adamwRef(
  p: Num, g: Num, m: Num, v: Num, o: AdamWOptions, step: number, coef = 1,
): { p: Float64Array; m: Float64Array; v: Float64Array; absP: Float64Array; absM: Float64Array; absV: Float64Array } {
  const lr = f32(o.lr);
  const b1 = f32(o.beta1 ?? ADAMW_DEFAULTS.beta1);
  const b2 = f32(o.beta2 ?? ADAMW_DEFAULTS.beta2);
  const eps = f32(o.eps ?? ADAMW_DEFAULTS.eps);
  const wd = f32(o.weightDecay ?? ADAMW_DEFAULTS.weightDecay);
  // The kernel gets these two rounded to f32.
  const { stepSize, bc2Sqrt } = adamwBias(o, step);
  const ss = f32(stepSize);
  const bc = f32(bc2Sqrt);
  const n = p.length;
  const out = { p: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n), absP: new Float64Array(n), absM: new Float64Array(n), absV: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const gi = g[i] * f32(coef);
    const pd = p[i] * (1 - lr * wd);
    const mi = b1 * m[i] + (1 - b1) * gi;
    const vi = b2 * v[i] + (1 - b2) * gi * gi;
    const upd = (ss * mi) / (Math.sqrt(vi) / bc + eps);
    out.p[i] = pd - upd;
    out.m[i] = mi;
    out.v[i] = vi;
    out.absM[i] = Math.abs(b1 * m[i]) + Math.abs((1 - b1) * gi);
    out.absV[i] = Math.abs(b2 * v[i]) + Math.abs((1 - b2) * gi * gi);
    // The update's relative error follows m's and the denominator's (which holds sqrt(v) and eps, both >= 0).
    out.absP[i] = Math.abs(p[i]) + Math.abs(p[i] * lr * wd) + (Math.abs(ss) * out.absM[i]) / (Math.sqrt(vi) / bc + eps);
  }
  return out;
}

/** Global L2 norm over several tensors and PyTorch's clip coefficient min(max_norm / (norm + 1e-6), 1). */
export function gradNormRef(grads: Num[], maxNorm: number): { norm: number; coef: number; count: number } {
  let s = 0;
  let count = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) s += g[i] * g[i];
    count += g.length;
  }
  const norm = Math.sqrt(s);
  return { norm, coef: Math.min(f32(maxNorm) / (norm + 1e-6), 1), count };
}
