// CPU references (f64) of Gated DeltaNet's kernels (qwen35's linear attention: shaders/lm/delta_net.wgsl, the
// NORM_FIRST variant of ssm_gate_norm.wgsl, swiglu.wgsl's SIGMOID gate; src/nn/llama_delta_net.ts has the math) and of
// the whole layer, which src/ref/llama.ts runs (the convolution is Mamba-2's: src/ref/ssm.ts ssmConvRef without a
// bias). Each returns, beside the values, absSum: what compareBound scales f32's unit by (see each function).
import type { DeltaNetConfig } from '../nn/llama_delta_net.js';
import { deltaNetConvChannels } from '../nn/llama_delta_net.js';
import { softplusRef, ssmConvRef } from './ssm.js';

type Num = ArrayLike<number>;

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const silu = (v: number) => v / (1 + Math.exp(-v));

export interface DeltaNetScanShape {
  T: number;
  kHeads: number;
  vHeads: number;
  /** each head's width (key and value) */
  d: number;
  /** value head h reads key head h / (vHeads / kHeads) (Qwen3-Next) instead of h % kHeads (Qwen3.5) */
  kRepeat?: boolean;
}

/**
 * The recurrence: q, k, v are qkv's columns [0, Hk D), [Hk D, 2 Hk D), [2 Hk D, (2 Hk + Hv) D) (row stride (2 Hk + Hv)
 * D); value head h reads key head h % Hk (h / (Hv / Hk) with kRepeat); q and k L2-normalized (x / max(|x|, eps)); g = softplus(alpha + dtBias[h])
 * A[h]; b = sigmoid(beta); S = S e^g; d = (v - S^T k) b; S += k d^T; y = S^T q / sqrt(D). `prev` [Hv, D, D] (S[i, j]
 * at h D D + i D + j; absent: zeros).
 * Bounds, in units of u: the update S -> S e^g (I - b k k^T) is a contraction of each column in the 2-norm (|k| = 1,
 * 0 < b < 1, e^g <= 1), so the error already in column j (E_j, a 2-norm bound) only shrinks, and each row adds its
 * roundings: the decay's (4 + 2|g|) |S e^g| (exp's error in g, the product), the normalized k's (D / 2 + 4) relative
 * error (the sum of squares, sqrt, division) through k^T S and k d, the dot product's D terms, beta's sigmoid.
 * `stateBound` is E after the last row (each element's error is at most its column's); y's absSum adds the output
 * dot product's (D + D / 2 + 6) sum |S q| to E, over sqrt(D), and 2 |y|.
 */
export function deltaNetScanRef(qkv: Num, beta: Num, alpha: Num, dtBias: Num, A: Num, s: DeltaNetScanShape, eps: number, prev?: Num): { y: Float64Array; state: Float64Array; absSum: Float64Array; stateBound: Float64Array } {
  const { T, kHeads: Hk, vHeads: Hv, d: D } = s;
  const ch = (2 * Hk + Hv) * D;
  const y = new Float64Array(T * Hv * D);
  const absSum = new Float64Array(T * Hv * D);
  const S = Float64Array.from({ length: Hv * D * D }, (_, i) => (prev ? prev[i] : 0));
  const E = new Float64Array(Hv * D); // each column's error bound (2-norm), in units of u
  const nq = D / 2 + 4;
  const norm = (row: number, off: number) => {
    const v = Array.from({ length: D }, (_, i) => qkv[row + off + i]);
    const r = 1 / Math.max(Math.sqrt(v.reduce((a, x) => a + x * x, 0)), eps);
    return v.map((x) => x * r);
  };
  for (let t = 0; t < T; t++) {
    const row = t * ch;
    for (let h = 0; h < Hv; h++) {
      const kh = s.kRepeat ? Math.floor(h / (Hv / Hk)) : h % Hk;
      const q = norm(row, kh * D);
      const k = norm(row, Hk * D + kh * D);
      const g = softplusRef(alpha[t * Hv + h] + dtBias[h]) * A[h];
      const decay = Math.exp(g);
      const b = sigmoid(beta[t * Hv + h]);
      const s0 = h * D * D;
      for (let j = 0; j < D; j++) {
        let kv = 0;
        let kvAbs = 0;
        for (let i = 0; i < D; i++) {
          const sd = S[s0 + i * D + j] * decay;
          kv += sd * k[i];
          kvAbs += Math.abs(sd * k[i]);
        }
        const v = qkv[row + 2 * Hk * D + h * D + j];
        const dj = (v - kv) * b;
        const dErr = b * ((D + nq) * kvAbs + 4 * Math.abs(v - kv)); // the fresh error of d_j (E's part is in the contraction)
        let fresh = 0;
        let o = 0;
        let oAbs = 0;
        for (let i = 0; i < D; i++) {
          const sd = S[s0 + i * D + j] * decay;
          const sn = sd + k[i] * dj;
          fresh += (4 + 2 * Math.abs(g)) * Math.abs(sd) + Math.abs(k[i]) * dErr + (nq + 2) * Math.abs(k[i] * dj) + Math.abs(sn);
          S[s0 + i * D + j] = sn;
          o += sn * q[i];
          oAbs += Math.abs(sn * q[i]);
        }
        E[h * D + j] = E[h * D + j] * decay + fresh;
        const at = t * Hv * D + h * D + j;
        y[at] = o / Math.sqrt(D);
        absSum[at] = (E[h * D + j] + (D + nq + 2) * oAbs) / Math.sqrt(D) + 2 * Math.abs(y[at]);
      }
    }
  }
  const stateBound = Float64Array.from({ length: Hv * D * D }, (_, e) => E[Math.floor(e / (D * D)) * D + (e % D)]);
  return { y, state: S, absSum, stateBound };
}

/** out = rmsnorm of each head's y (D wide), times w [D], times silu(z) (z [T, Hv D]). absSum: 3 |out| (K = D + 8: the norm's sum). */
export function deltaNetNormRef(z: Num, y: Num, w: Num, T: number, Hv: number, D: number, eps: number): { y: Float64Array; absSum: Float64Array } {
  const out = new Float64Array(T * Hv * D);
  const absSum = new Float64Array(T * Hv * D);
  for (let r = 0; r < T * Hv; r++) {
    let ss = 0;
    for (let c = 0; c < D; c++) ss += y[r * D + c] ** 2;
    const scale = 1 / Math.sqrt(ss / D + eps);
    for (let c = 0; c < D; c++) {
      out[r * D + c] = y[r * D + c] * scale * w[c] * silu(z[r * D + c]);
      absSum[r * D + c] = 3 * Math.abs(out[r * D + c]);
    }
  }
  return { y: out, absSum };
}

/**
 * x * sigmoid(gate) elementwise; absSum (4 + 2 |gate|) |y| (K = 1): the division and the product a few ulp, and exp's
 * error, which grows with its argument (exp(-g) formed as exp2 of g log2(e), rounded: |g| ulp).
 */
export function sigmoidGateRef(x: Num, gate: Num): { y: Float64Array; absSum: Float64Array } {
  const y = Float64Array.from({ length: x.length }, (_, i) => x[i] * sigmoid(gate[i]));
  return { y, absSum: y.map((v, i) => (4 + 2 * Math.abs(gate[i])) * Math.abs(v)) };
}

/** The Gated DeltaNet weights of one layer, as f32 values (ssm_conv1d [ch, taps], ssm_dt.bias / ssm_a [Hv], ssm_norm [D]). */
export interface DeltaNetWeights {
  conv: Num;
  dtBias: Num;
  A: Num;
  norm: Num;
}

/** A whole layer from position 0: attn_qkv's, attn_gate's, ssm_beta's and ssm_alpha's outputs to y [T, Hv D] (before ssm_out). */
export function deltaNetRef(qkv: Num, z: Num, beta: Num, alpha: Num, T: number, d: DeltaNetConfig, w: DeltaNetWeights, eps: number): Float64Array {
  const ch = deltaNetConvChannels(d);
  const conv = ssmConvRef(qkv, T, ch, 0, ch, d.taps, w.conv).y;
  const y = deltaNetScanRef(conv, beta, alpha, w.dtBias, w.A, { T, kHeads: d.kHeads, vHeads: d.vHeads, d: d.state, ...(d.kRepeat ? { kRepeat: true } : {}) }, eps).y;
  return deltaNetNormRef(z, y, w.norm, T, d.vHeads, d.state, eps).y;
}
