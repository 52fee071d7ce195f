// CPU references (f64) of the Mamba-2 mixer's three kernels (shaders/lm/ssm_conv.wgsl, ssm_scan.wgsl,
// ssm_gate_norm.wgsl; src/nn/llama_ssm.ts has the math) and of the whole mixer, which src/ref/llama.ts runs. Each
// returns, beside the values, absSum: what compareBound scales f32's unit by (see each function).
import type { SsmConfig } from '../nn/llama_ssm.js';
import { ssmConvChannels } from '../nn/llama_ssm.js';

type Num = ArrayLike<number>;

const silu = (v: number) => v / (1 + Math.exp(-v));
/** ggml's softplus: x past 20, else log(1 + e^x). */
export const softplusRef = (v: number) => (v > 20 ? v : Math.log1p(Math.exp(v)));

/**
 * The causal depthwise convolution of `ch` channels, columns [off, off + ch) of src's T rows (row stride `stride`),
 * w [ch, taps] (tap taps - 1 the current row), plus bias, then silu: y [T, ch]. `prev` [taps - 1, ch]: the inputs of
 * the rows before (oldest first; absent: zeros); `state` is what follows this call. absSum: (sum_k |w x| + |b|) times
 * the silu's condition, plus |y| (K = taps + 4).
 */
export function ssmConvRef(src: Num, T: number, stride: number, off: number, ch: number, taps: number, w: Num, bias?: Num, prev?: Num): { y: Float64Array; state: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(T * ch);
  const absSum = new Float64Array(T * ch);
  const state = new Float64Array((taps - 1) * ch);
  for (let c = 0; c < ch; c++) {
    const win = Array.from({ length: taps - 1 }, (_, j) => (prev ? prev[j * ch + c] : 0));
    for (let t = 0; t < T; t++) {
      win.push(src[t * stride + off + c]);
      let s = 0;
      let a = 0;
      for (let k = 0; k < taps; k++) {
        s += w[c * taps + k] * win[k];
        a += Math.abs(w[c * taps + k] * win[k]);
      }
      const pre = s + (bias ? bias[c] : 0);
      a += bias ? Math.abs(bias[c]) : 0;
      y[t * ch + c] = silu(pre);
      // silu's slope is at most 1.1; its own rounding (exp, the division) a few ulp of |y| and of |pre|
      absSum[t * ch + c] = 1.1 * a + 4 * (Math.abs(pre) + Math.abs(y[t * ch + c]));
      win.shift();
    }
    for (let j = 0; j < taps - 1; j++) state[j * ch + c] = win[j];
  }
  return { y, state, absSum };
}

export interface SsmScanShape {
  T: number;
  heads: number;
  /** channels a head (inner / heads) */
  headDim: number;
  state: number;
  groups: number;
}

/**
 * The selective scan: x | B | C are xbc's columns [0, inner), [inner, inner + G N), [inner + G N, inner + 2 G N) (row
 * stride ch = inner + 2 G N); dt is column dtOff + h of zx's rows (stride zxStride), plus dtBias[h], through
 * softplus; dA = exp(dt A[h]); s = s dA + B x dt; y = sum_n s C + x D[h]. `prev` [heads, headDim, state] (absent:
 * zeros). absSum bounds the f32 kernel's error in units of u (K = 1): the state's terms never cancel in `a`, the
 * running sum of their magnitudes; each step's rounding (the products, exp's (3 + 2|dt A|) ulp, softplus's absolute
 * error of about one ulp of 1 in dt) moves s by at most (8 + 2|dt A|) u a + (|B x| + |s A|) u, which decays with dA;
 * y's dot product adds N u sum |s C|.
 */
export function ssmScanRef(xbc: Num, zx: Num, zxStride: number, dtOff: number, s: SsmScanShape, dtBias: Num, A: Num, D: Num, prev?: Num): { y: Float64Array; state: Float64Array; absSum: Float64Array } {
  const { T, heads: H, headDim: P, state: N, groups: G } = s;
  const inner = H * P;
  const ch = inner + 2 * G * N;
  const y = new Float64Array(T * inner);
  const absSum = new Float64Array(T * inner);
  const st = Float64Array.from({ length: H * P * N }, (_, i) => (prev ? prev[i] : 0));
  const err = new Float64Array(H * P * N); // the state's error bound, in units of u
  for (let t = 0; t < T; t++) {
    for (let h = 0; h < H; h++) {
      const dt = softplusRef(zx[t * zxStride + dtOff + h] + dtBias[h]);
      const dA = Math.exp(dt * A[h]);
      const g = Math.floor(h / (H / G));
      for (let p = 0; p < P; p++) {
        const x = xbc[t * ch + h * P + p];
        let acc = 0;
        let accAbs = 0;
        let accErr = 0;
        for (let n = 0; n < N; n++) {
          const i = (h * P + p) * N + n;
          const b = xbc[t * ch + inner + g * N + n];
          const c = xbc[t * ch + inner + G * N + g * N + n];
          const prevS = st[i];
          st[i] = prevS * dA + b * x * dt;
          err[i] = err[i] * dA + (8 + 2 * Math.abs(dt * A[h])) * (Math.abs(prevS * dA) + Math.abs(b * x * dt)) + Math.abs(b * x) + Math.abs(prevS * A[h]);
          acc += st[i] * c;
          accAbs += Math.abs(st[i] * c);
          accErr += err[i] * Math.abs(c);
        }
        const xd = x * D[h];
        y[t * inner + h * P + p] = acc + xd;
        absSum[t * inner + h * P + p] = accErr + (N + 2) * accAbs + 2 * Math.abs(xd);
      }
    }
  }
  return { y, state: st, absSum };
}

/**
 * y' = rmsnorm over each group of inner / G channels of silu(z) y, times w [inner]: z is columns [0, inner) of zx's
 * rows (stride zxStride), eps the model's; w null: silu(z) y alone. absSum: |y'| times the norm's condition (K =
 * inner / G + 8).
 */
export function ssmGateNormRef(zx: Num, zxStride: number, y: Num, T: number, inner: number, groups: number, w: Num | null, eps: number): { y: Float64Array; absSum: Float64Array } {
  const out = new Float64Array(T * inner);
  const absSum = new Float64Array(T * inner);
  const cols = inner / groups;
  for (let t = 0; t < T; t++) {
    for (let g = 0; g < groups; g++) {
      const v = Array.from({ length: cols }, (_, c) => silu(zx[t * zxStride + g * cols + c]) * y[t * inner + g * cols + c]);
      const ms = v.reduce((a, x) => a + x * x, 0) / cols;
      const r = w ? 1 / Math.sqrt(ms + eps) : 1; // (w null: the gate alone, Falcon-H1 without ssm_norm)
      for (let c = 0; c < cols; c++) {
        const i = t * inner + g * cols + c;
        out[i] = v[c] * r * (w ? w[g * cols + c] : 1);
        absSum[i] = Math.abs(out[i]) * 3;
      }
    }
  }
  return { y: out, absSum };
}

/** The Mamba-2 weights of one layer, as f32 values (ssm_conv1d [ch, taps], ssm_a / ssm_d / ssm_dt.bias [H], ssm_norm [inner]). */
export interface SsmWeights {
  conv: Num;
  convBias: Num;
  dtBias: Num;
  A: Num;
  D: Num;
  /** null: no ssm_norm (Falcon-H1 files without it) */
  norm: Num | null;
}

/** A whole mixer from position 0: zxbcdt [T, 2 inner + 2 G N + H] to y [T, inner] (before ssm_out). */
export function mamba2Ref(zxbcdt: Num, T: number, s: SsmConfig, w: SsmWeights, eps: number): Float64Array {
  const ch = ssmConvChannels(s);
  const stride = 2 * s.inner + 2 * s.groups * s.state + s.heads;
  const xbc = ssmConvRef(zxbcdt, T, stride, s.inner, ch, s.taps, w.conv, w.convBias).y;
  const y = ssmScanRef(xbc, zxbcdt, stride, s.inner + ch, { T, heads: s.heads, headDim: s.inner / s.heads, state: s.state, groups: s.groups }, w.dtBias, w.A, w.D).y;
  return ssmGateNormRef(zxbcdt, stride, y, T, s.inner, s.groups, w.norm, eps).y;
}
