// CPU reference (f64) for matmuls. Returns C and, per element, sum_k |a_mk * b_kn| for the
// condition-aware error bound of DESIGN.md.
import { bf16BitsToF32, f16BitsToF32 } from '../quant/f16.js';
import { unpackCodes, type Bits } from '../quant/layout.js';
import { LUT_VALUES, type LutTable } from '../quant/scheme.js';

type Num = ArrayLike<number>;

export interface MatmulRefShape {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
}

export function matmulRef(a: Num, b: Num, s: MatmulRefShape): { c: Float64Array; absSum: Float64Array } {
  const { M, N, K } = s;
  const c = new Float64Array(M * N);
  const absSum = new Float64Array(M * N);
  const A = (m: number, k: number) => (s.transA ? a[k * M + m] : a[m * K + k]);
  const B = (k: number, n: number) => (s.transB ? b[n * K + k] : b[k * N + n]);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = A(m, k) * B(k, n);
        acc += p;
        abs += Math.abs(p);
      }
      c[m * N + n] = acc;
      absSum[m * N + n] = abs;
    }
  }
  return { c, absSum };
}

/**
 * matmulRef's rows `rows` of C only (in that order), for shapes too large to check whole on the CPU: row m of C
 * depends on row m of op(A) alone, so these rows are exactly those of the whole product.
 */
export function matmulRefRows(a: Num, b: Num, s: MatmulRefShape, rows: readonly number[]): { c: Float64Array; absSum: Float64Array } {
  const { M, K } = s;
  const sub = new Float64Array(rows.length * K);
  rows.forEach((m, i) => {
    if (!(m >= 0 && m < M)) throw new Error(`matmulRefRows: row ${m} is outside [0, ${M})`);
    for (let k = 0; k < K; k++) sub[i * K + k] = s.transA ? a[k * M + m] : a[m * K + k];
  });
  return matmulRef(sub, b, { M: rows.length, N: s.N, K, transB: s.transB });
}

/**
 * matmulRef with B given as 16-bit floats (the bits of F16 or BF16 values, in B's element order): the product the
 * f32 matmul computes with bType 'f16' / 'bf16', in f64 from the exactly widened values.
 */
export function matmulB16Ref(a: Num, bBits: ArrayLike<number>, bType: 'f16' | 'bf16', s: MatmulRefShape): { c: Float64Array; absSum: Float64Array } {
  const widen = bType === 'f16' ? f16BitsToF32 : bf16BitsToF32;
  return matmulRef(a, Float64Array.from(bBits, widen), s);
}

// ---- Quantized matmuls: y[M,N] = x[M,K] · dequant(W)[N,K]^T, then the fused epilogue ----------------------
// W follows src/quant/layout.ts (codes packed along K, scales/zeros [N, ceil(K/G)]).

const U32 = 2 ** -24;

/** How a code becomes a weight (layout.ts): symmetric (u - 2^(b-1))*s, zero point (u - z)*s, float min u*s + m. */
export type ZeroMode = 'symmetric' | 'zero-point' | 'float-min';

export interface QuantWeightsRef {
  bits: Bits;
  N: number;
  K: number;
  /** Group size along K; K (or more) for per-channel. */
  group: number;
  mode: ZeroMode;
  codes: Uint32Array; // packed, layout.ts
  scales: ArrayLike<number>; // [N, ceil(K/G)]
  zeros?: ArrayLike<number>; // [N, ceil(K/G)] for zero-point / float-min
  /** GGUF MXFP4 / IQ4 / IQ1-IQ3 (4-bit symmetric): the code's value from the table, T[u] * s (src/quant/scheme.ts LUT_VALUES). */
  lut?: LutTable;
}

export type Activation = 'none' | 'silu' | 'gelu';

export interface EpilogueRef {
  bias?: ArrayLike<number>; // [N]
  act?: Activation;
  residual?: ArrayLike<number>; // [M, N]
}

export const siluRef = (z: number) => z / (1 + Math.exp(-z));
/** GELU, tanh form (GPT-2 / PyTorch approximate='tanh'). */
export const geluRef = (z: number) => 0.5 * z * (1 + Math.tanh(0.7978845608028654 * (z + 0.044715 * z * z * z)));

export function groupsOf(K: number, group: number): number {
  return Math.ceil(K / Math.min(group, K));
}

/** The weight matrix [N, K] in f64, by the layout's formulas. */
export function dequantRef(w: QuantWeightsRef): Float64Array {
  const { N, K, bits } = w;
  const G = Math.min(w.group, K);
  const ng = groupsOf(K, w.group);
  const u = unpackCodes(w.codes, N, K, bits);
  const out = new Float64Array(N * K);
  const mid = 2 ** (bits - 1);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const g = n * ng + Math.floor(k / G);
      const s = w.scales[g];
      const c = u[n * K + k];
      out[n * K + k] = w.lut ? LUT_VALUES[w.lut][c] * s : w.mode === 'symmetric' ? (c - mid) * s : w.mode === 'zero-point' ? (c - w.zeros![g]) * s : c * s + w.zeros![g];
    }
  }
  return out;
}

/**
 * The epilogue y = act(z + bias) + residual in f64, and each element's error bound given the bound `zTol` of the
 * accumulated z: bias add and residual add round once each in f32; the activation moves the error by at most
 * L = 1.2 (max |f'| of SiLU and GELU is below 1.13) and adds its own f32 evaluation error, bounded by
 * (8 + 4|z| + 4|t|) u |z| + u |f(z)| (WGSL exp is accurate to 3 + 2|x| ULP; t is the tanh argument of GELU).
 */
export function epilogueRef(z: Float64Array, zTol: Float64Array, M: number, N: number, epi: EpilogueRef = {}): { y: Float64Array; tol: Float64Array } {
  const y = new Float64Array(M * N);
  const tol = new Float64Array(M * N);
  const act = epi.act ?? 'none';
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const i = m * N + n;
      const b = epi.bias ? epi.bias[n] : 0;
      let v = z[i] + b;
      let t = zTol[i] + (epi.bias ? 2 * U32 * (Math.abs(z[i]) + Math.abs(b)) : 0);
      if (act !== 'none') {
        const f = act === 'silu' ? siluRef(v) : geluRef(v);
        const arg = act === 'gelu' ? Math.abs(0.7978845608028654 * (v + 0.044715 * v * v * v)) : 0;
        t = 1.2 * t + U32 * ((8 + 4 * Math.abs(v) + 4 * arg) * Math.abs(v) + Math.abs(f));
        v = f;
      }
      if (epi.residual) {
        const r = epi.residual[i];
        t += 2 * U32 * (Math.abs(v) + Math.abs(r));
        v += r;
      }
      y[i] = v;
      tol[i] = t + Number.MIN_VALUE;
    }
  }
  return { y, tol };
}

/**
 * W4A16 / W8A16 / f32-activation reference: dequantize, f64 matmul, epilogue. `x` holds the values the GPU sees
 * (already rounded to f16 for f16 activations). `u` is the unit roundoff of the kernel's products (2^-24 when it
 * computes in f32, 2^-11 when in f16); the bound is DESIGN's c*(K+1)*u*sum|x w| (the +1: the per-group rescale).
 */
export function matmulQRef(x: ArrayLike<number>, M: number, w: QuantWeightsRef, epi: EpilogueRef = {}, u = U32, c = 2): { y: Float64Array; tol: Float64Array } {
  const { N, K } = w;
  const W = dequantRef(w);
  const { c: z, absSum } = matmulRef(x, W, { M, N, K, transB: true });
  const zTol = absSum.map((s) => c * (K + 1) * u * s);
  return epilogueRef(z, zTol, M, N, epi);
}

export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Per-token int8 symmetric activation quantization, as the W8A8 pre-pass does it in f32:
 * scale = absmax/127, inv = 1/scale (f32 reciprocal; 0 for an all-zero row), q = clamp(round_half_even(x*inv), ±127).
 */
export function quantizeRowsI8Ref(x: ArrayLike<number>, M: number, K: number): { q: Int8Array; scale: Float32Array } {
  const f = Math.fround;
  const q = new Int8Array(M * K);
  const scale = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let amax = 0;
    for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(f(x[m * K + k])));
    // A row with an inf or a NaN: scale NaN, codes 0 (int8 cannot carry it; every output of the row is NaN).
    const finite = Number.isFinite(amax);
    const s = finite ? f(amax / 127) : NaN;
    const inv = s === 0 || !finite ? 0 : f(1 / s);
    scale[m] = s;
    for (let k = 0; k < K; k++) q[m * K + k] = Math.max(-127, Math.min(127, roundHalfEven(f(f(x[m * K + k]) * inv))));
  }
  return { q, scale };
}

/** Packs int8 codes [M, K] four per u32 (LSB first), rows padded to whole words: the pre-pass output layout. */
export function packI8Rows(q: Int8Array, M: number, K: number): Uint32Array {
  const wpr = Math.ceil(K / 4);
  const out = new Uint32Array(M * wpr);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) out[m * wpr + (k >> 2)] |= (q[m * K + k] & 0xff) << (8 * (k & 3));
  return out;
}

/**
 * W8A8 reference: the exact integer dot products acc[m,n,g] = sum_{k in g} xq*wq (wq = u - 128), then the
 * scales: y = xs[m] * sum_g s[n,g] * acc. The GPU rescales in f32 (one rounding per group, the conversion of acc,
 * the final multiply): bound c*(groups+2)*u*sum_g |xs s acc|.
 */
export function matmulW8A8Ref(xq: Int8Array, xs: ArrayLike<number>, M: number, w: QuantWeightsRef, epi: EpilogueRef = {}, c = 2): { y: Float64Array; tol: Float64Array; acc: Float64Array } {
  const { N, K } = w;
  if (w.bits !== 8 || w.mode !== 'symmetric') throw new Error('matmulW8A8Ref: weights must be 8-bit symmetric');
  const G = Math.min(w.group, K);
  const ng = groupsOf(K, w.group);
  const u = unpackCodes(w.codes, N, K, 8);
  const acc = new Float64Array(M * N * ng);
  const z = new Float64Array(M * N);
  const zTol = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      let abs = 0;
      for (let g = 0; g < ng; g++) {
        let a = 0;
        for (let k = g * G; k < Math.min(K, (g + 1) * G); k++) a += xq[m * K + k] * (u[n * K + k] - 128);
        acc[(m * N + n) * ng + g] = a;
        const p = xs[m] * w.scales[n * ng + g] * a;
        sum += p;
        abs += Math.abs(p);
      }
      z[m * N + n] = sum;
      zTol[m * N + n] = c * (ng + 2) * U32 * abs;
    }
  }
  return { ...epilogueRef(z, zTol, M, N, epi), acc };
}
