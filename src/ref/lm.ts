// CPU references (f64) for the language-model kernels (src/kernels/lm.ts). Each returns the exact result of the
// f32 inputs and, where rounding is expected, the `absSum` of the condition-aware bound |gpu - ref| <= c*K*u*absSum
// (src/ref/tolerance.ts compareBound) with the K each function names.
import type { AttentionShape, RopeAtShape } from '../kernels/lm.js';

type Num = ArrayLike<number>;

const inRange = (p: number, ctxMax: number) => p >= 0 && p < ctxMax;

/**
 * RoPE at positions with the f32 table of ropeTable (the table's own rounding is ropeTable's, checked apart).
 * absSum = |x0 cos| + |x1 sin| per rotated element, 0 where the element passes through unchanged; K = 2.
 */
export function ropeAtRef(x: Num, pos: Num, table: Num, s: RopeAtShape): { y: Float64Array; absSum: Float64Array } {
  const { T, heads, headDim, ropeDims, ctxMax } = s;
  const half = ropeDims / 2;
  const y = Float64Array.from(x);
  const absSum = new Float64Array(y.length);
  for (let t = 0; t < T; t++) {
    if (!inRange(pos[t], ctxMax)) continue;
    for (let h = 0; h < heads; h++) {
      const row = (t * heads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const a = row + (s.layout === 'neox' ? i : 2 * i);
        const b = s.layout === 'neox' ? a + half : a + 1;
        const c = table[2 * (pos[t] * half + i)];
        const sn = table[2 * (pos[t] * half + i) + 1];
        y[a] = x[a] * c - x[b] * sn;
        y[b] = x[a] * sn + x[b] * c;
        absSum[a] = Math.abs(x[a] * c) + Math.abs(x[b] * sn);
        absSum[b] = Math.abs(x[a] * sn) + Math.abs(x[b] * c);
      }
    }
  }
  return { y, absSum };
}

/** The cache [ctxMax, rowElems] after row t of src [T, rowElems] is written to row pos[t] (outside [0, ctxMax): skipped). */
export function kvStoreRef(cache: Float32Array, src: Num, pos: Num, s: { T: number; rowElems: number; ctxMax: number; ring?: number }): Float32Array {
  const out = cache.slice();
  for (let t = 0; t < s.T; t++) {
    if (!inRange(pos[t], s.ctxMax)) continue;
    const row = s.ring ? pos[t] % s.ring : pos[t];
    for (let c = 0; c < s.rowElems; c++) out[row * s.rowElems + c] = src[t * s.rowElems + c];
  }
  return out;
}

/**
 * Head h's ALiBi slope of `heads` heads for max_bias `maxBias`, as llama.cpp's soft_max derives it: with n2 the largest
 * power of two <= heads, 2^(-maxBias (h + 1) / n2) for h < n2, else 2^(-maxBias (2 (h - n2) + 1) / (2 n2)).
 */
export function alibiSlopeRef(heads: number, maxBias: number, h: number): number {
  const n2 = 2 ** Math.floor(Math.log2(heads));
  return h < n2 ? 2 ** ((-maxBias * (h + 1)) / n2) : 2 ** ((-maxBias * (2 * (h - n2) + 1)) / (2 * n2));
}

/**
 * Causal attention of q [T, heads, headDim] over the cache [ctxMax, kvHeads, headDim]: query t takes keys
 * 0..pos[t] (its last s.window when given; with s.ring the key at position j sits at row j % ring) with a plain softmax of scale * q.k (soft-capped by s.softcap when given; plus ALiBi's slope (j - pos[t]) with s.alibi; no splits); zeros for a row whose position is outside [0, ctxMax).
 * absSum (use K = 1) carries the condition of each output: with pi_j the softmax weights, s_j the scores and m their
 * max, an f32 score is off by D*scale*sum|q k_j| u, exp(x) by (3 + 2|x|) ulp (WGSL's accuracy) and each weight's
 * error moves out[d] by at most pi_j |v_jd - out_d|; the n-key accumulation, its rescalings and the merge add ~5n:
 *   absSum_d = sum_j pi_j |v_jd| (cond_j + max_j cond_j + 5n + 16),  cond_j = D*scale*sum|q k_j| + 3 + 3|s_j - m|
 * (ALiBi's term b_j adds 40 |b_j| ulp: the slope's exp2, 3 + 2 |exponent| <= 35 ulp, the product and the sum.)
 */
export function attentionCachedRef(q: Num, kCache: Num, vCache: Num, pos: Num, s: AttentionShape, sinks?: Num): { y: Float64Array; absSum: Float64Array } {
  const { T, heads, kvHeads, headDim: D, ctxMax, scale } = s;
  const group = heads / kvHeads;
  const krow = (j: number) => (s.ring ? j % s.ring : j); // the cache row of the key at position j
  const y = new Float64Array(T * heads * D);
  const absSum = new Float64Array(y.length);
  for (let t = 0; t < T; t++) {
    if (!inRange(pos[t], ctxMax)) continue;
    const j0 = s.window ? Math.max(0, pos[t] + 1 - s.window) : s.chunk ? pos[t] - (pos[t] % s.chunk) : 0; // (llama4's chunks)
    const n = pos[t] + 1 - j0;
    for (let h = 0; h < heads; h++) {
      const qb = (t * heads + h) * D;
      const kvh = Math.floor(h / group);
      const sc = new Float64Array(n);
      const cond = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const kb = (krow(j0 + j) * kvHeads + kvh) * D;
        let dot = 0;
        let abs = 0;
        for (let d = 0; d < D; d++) {
          dot += q[qb + d] * kCache[kb + d];
          abs += Math.abs(q[qb + d] * kCache[kb + d]);
        }
        sc[j] = Math.fround(scale) * dot;
        cond[j] = D * Math.abs(scale) * abs + 3;
        // Soft-capping: tanh's slope is at most 1, so the score's error does not grow; tanh adds a few ulp of cap.
        if (s.softcap) [sc[j], cond[j]] = [s.softcap * Math.tanh(sc[j] / s.softcap), cond[j] + 8 * s.softcap];
        if (s.alibi) {
          const b = alibiSlopeRef(heads, s.alibi, h) * (j0 + j - pos[t]);
          [sc[j], cond[j]] = [sc[j] + b, cond[j] + 40 * Math.abs(b)];
        }
      }
      // gpt-oss's sink: a logit of the head's in the softmax's denominator (a key whose value is zero).
      const m = Math.max(...sc, ...(sinks ? [sinks[h]] : []));
      let l = sinks ? Math.exp(sinks[h] - m) : 0;
      const w = sc.map((v) => Math.exp(v - m));
      w.forEach((v) => (l += v));
      let condMax = 0;
      const sinkCond = sinks ? 3 + 2 * Math.abs(sinks[h] - m) : 0; // exp of the sink's logit, in the denominator
      for (let j = 0; j < n; j++) {
        cond[j] += 3 * (m - sc[j]);
        condMax = Math.max(condMax, cond[j]);
      }
      for (let d = 0; d < D; d++) {
        let o = 0;
        let a = 0;
        for (let j = 0; j < n; j++) {
          const v = vCache[(krow(j0 + j) * kvHeads + kvh) * D + d];
          o += (w[j] / l) * v;
          a += (w[j] / l) * Math.abs(v) * (cond[j] + condMax + sinkCond + 5 * n + 16);
        }
        y[qb + d] = o;
        absSum[qb + d] = a;
      }
    }
  }
  return { y, absSum };
}

/** Index of the max of each row of x [rows, cols]: ties to the lowest index, NaN never wins, `cols` for an all-NaN row. */
export function argmaxRowsRef(x: Num, rows: number, cols: number): Uint32Array {
  const out = new Uint32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = cols;
    for (let c = 0; c < cols; c++) {
      const v = x[r * cols + c];
      if (Number.isNaN(v)) continue;
      if (best === cols || v > x[r * cols + best]) best = c;
    }
    out[r] = best;
  }
  return out;
}

/**
 * planTopK's oracle: the first NaN / +Inf index of row x (cols if none) and its value, the m largest non-NaN values
 * sorted (larger first, -0 as +0, ties to the lower index; fewer when the row has fewer), the values at `pen`.
 */
export function topKRef(x: Float32Array, m: number, pen: readonly number[]): { bad: number; badValue: number; ids: number[]; values: number[]; gathered: number[] } {
  const cols = x.length;
  let bad = cols;
  for (let c = 0; c < cols; c++) if (Number.isNaN(x[c]) || x[c] === Infinity) { bad = c; break; }
  const order = Array.from({ length: cols }, (_, i) => i).filter((i) => !Number.isNaN(x[i]));
  order.sort((a, b) => (x[a] !== x[b] ? x[b] - x[a] : a - b));
  const ids = order.slice(0, m);
  return { bad, badValue: bad < cols ? x[bad] : 0, ids, values: ids.map((i) => x[i]), gathered: pen.map((i) => x[i]) };
}

/**
 * y = x / sqrt(mean(x^2) + eps) * gamma per row of x [rows, cols]. absSum = |y|; K = cols/2 + 8: the f32 sum of
 * squares (positive terms) is off by cols*u relatively, the square root halves that, and +eps, sqrt, the division
 * and the two products add a few ulp.
 */
export function rmsNormRef(x: Num, gamma: Num, rows: number, cols: number, eps: number): { y: Float64Array; absSum: Float64Array; K: number } {
  const y = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < cols; c++) ss += x[r * cols + c] ** 2;
    const rstd = 1 / Math.sqrt(ss / cols + Math.fround(eps));
    for (let c = 0; c < cols; c++) y[r * cols + c] = x[r * cols + c] * rstd * gamma[c];
  }
  return { y, absSum: y.map(Math.abs), K: cols / 2 + 8 };
}

/**
 * LayerNorm rows (stablelm): y = (x - mean) / sqrt(var + eps) * gamma + beta, var about the mean. absSum bounds the
 * f32 error: |xhat gamma| over the row's sums plus |beta| (K = cols / 2 + 8, as rmsNormRef).
 */
export function layerNormRef(x: Num, gamma: Num, beta: Num, rows: number, cols: number, eps: number): { y: Float64Array; absSum: Float64Array; K: number } {
  const y = new Float64Array(rows * cols);
  const absSum = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let c = 0; c < cols; c++) m += x[r * cols + c] / cols;
    let v = 0;
    for (let c = 0; c < cols; c++) v += (x[r * cols + c] - m) ** 2 / cols;
    const rstd = 1 / Math.sqrt(v + Math.fround(eps));
    for (let c = 0; c < cols; c++) {
      const n = (x[r * cols + c] - m) * rstd * gamma[c];
      y[r * cols + c] = n + beta[c];
      absSum[r * cols + c] = Math.abs(n) + (Math.abs(m) * rstd * Math.abs(gamma[c])) + Math.abs(beta[c]);
    }
  }
  return { y, absSum, K: cols / 2 + 8 };
}

/**
 * y = silu(gate) * up, silu(g) = g / (1 + exp(-g)). absSum = (8 + 2|g|)|y| (use K = 1): exp's (3 + 2|x|) ulp plus
 * the divide and two products. exp(-|g|) below f32's normal range (|g| > 87.3) may be flushed to zero: the caller
 * allows |g| 2^-126 |up| for it.
 */
/**
 * y = gelu(gate) * up (GeGLU, gemma3's FFN), gelu in the tanh form, in f64. absSum: WGSL's tanh inherits sinh / cosh's
 * accuracy from exp (3 + 2|a| ulp at argument a, clamped to 15 in the shader), which reaches gelu as 0.5|g| times an
 * absolute error of tanh near 1 (cancellation in sinh): (|g| (4 + 2|a|) + 8 |gelu(g)|) |up| covers it.
 */
export function gegluRef(gate: Num, up: Num): { y: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(gate.length);
  const absSum = new Float64Array(gate.length);
  for (let i = 0; i < y.length; i++) {
    const g = gate[i];
    const a = Math.sqrt(2 / Math.PI) * (g + 0.044715 * g ** 3);
    const gl = 0.5 * g * (1 + Math.tanh(a));
    y[i] = gl * up[i];
    absSum[i] = (Math.abs(g) * (4 + 2 * Math.min(Math.abs(a), 15)) + 8 * Math.abs(gl)) * Math.abs(up[i]);
  }
  return { y, absSum };
}

/** y = max(gate, 0) * up (ReGLU; gate = up: the squared ReLU), one f32 product: absSum |y|. */
export function regluRef(gate: Num, up: Num): { y: Float64Array; absSum: Float64Array } {
  const y = Float64Array.from(gate, (g, i) => Math.max(g, 0) * up[i]);
  return { y, absSum: y.map(Math.abs) };
}

/** gpt-oss's clamped SwiGLU of one pair (ggml's swiglu_oai): min(g, 7) sigmoid(1.702 min(g, 7)) (clamp(u, -7, 7) + 1). */
export function swigluOai(g: number, u: number): number {
  const x = Math.min(g, 7);
  return (x / (1 + Math.exp(-1.702 * x))) * (Math.min(Math.max(u, -7), 7) + 1);
}

/** swigluOai over arrays, with the kernel's error bound. */
export function swigluOaiRef(gate: Num, up: Num): { y: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(gate.length);
  const absSum = new Float64Array(gate.length);
  for (let i = 0; i < y.length; i++) {
    const x = Math.min(gate[i], 7);
    y[i] = swigluOai(gate[i], up[i]);
    // 1.702 rounded to f32, exp's (3 + 2|x|) ulp, the division, the add of 1 (relative to |u| + 1) and the products
    absSum[i] = (8 + 4 * Math.abs(x)) * Math.abs(y[i]) + 2 * Math.abs(x / (1 + Math.exp(-1.702 * x)));
  }
  return { y, absSum };
}

export function swigluRef(gate: Num, up: Num): { y: Float64Array; absSum: Float64Array } {
  const y = new Float64Array(gate.length);
  const absSum = new Float64Array(gate.length);
  for (let i = 0; i < y.length; i++) {
    const g = gate[i];
    // 1 / (1 + exp(-g)) in f64: exp(-g) overflows only for g < -709, where y is 0 anyway.
    y[i] = (g / (1 + Math.exp(-g))) * up[i];
    absSum[i] = (8 + 2 * Math.abs(g)) * Math.abs(y[i]);
  }
  return { y, absSum };
}
