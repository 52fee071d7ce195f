// The f64 row operations the Llama-family references share (src/ref/llama.ts, src/ref/mla.ts): RMSNorm of rows and
// RoPE over each head's rotated dims, as llama.cpp computes them (without its rounding).
import type { LlamaConfig } from '../nn/llama_config.js';

/** RMSNorm of each of T rows of D (times w), in f64. */
export function rmsNormRows(x: Float64Array, T: number, D: number, w: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(T * D);
  for (let t = 0; t < T; t++) {
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[t * D + i] ** 2;
    const r = 1 / Math.sqrt(ss / D + eps);
    for (let i = 0; i < D; i++) y[t * D + i] = x[t * D + i] * r * w[i];
  }
  return y;
}

/**
 * RoPE in place on x [T, H, stride] at positions 0..T-1: NORM or NEOX pairs over c.ropeDims dims of each head from
 * `offset` (the first ones: offset 0; MLA's q_pe after its nope dims), theta_i divided by factors[i], cos and sin
 * times mscale. stride: the head's width (default c.headDim).
 */
export function ropeRows(x: Float64Array, T: number, H: number, c: LlamaConfig, factors: Float32Array | undefined, mscale: number, r: { base: number; scale: number }, stride = c.headDim, offset = 0): void {
  const half = c.ropeDims / 2;
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const o = (t * H + h) * stride + offset;
      for (let i = 0; i < half; i++) {
        const theta = (t * r.scale * r.base ** ((-2 * i) / c.ropeDims)) / (factors ? factors[i] : 1);
        const cos = Math.cos(theta) * mscale;
        const sin = Math.sin(theta) * mscale;
        const [a, b] = c.ropeLayout === 'norm' ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + half];
        const x0 = x[a];
        const x1 = x[b];
        x[a] = x0 * cos - x1 * sin;
        x[b] = x0 * sin + x1 * cos;
      }
    }
  }
}
