// CPU reference (f64) for the graph ops (src/ops): dense row-major arrays, the same op names and semantics,
// used as the forward oracle and, by central finite differences, as the oracle of every backward rule.
import { moeRouteRef } from './moe_route.js';
export class Arr {
  constructor(
    readonly shape: number[],
    readonly data: Float64Array,
  ) {
    if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`Arr: ${data.length} values for shape [${shape}]`);
  }
  static from(shape: number[], v: ArrayLike<number>): Arr {
    return new Arr([...shape], Float64Array.from(v as ArrayLike<number>));
  }
  get numel(): number {
    return this.data.length;
  }
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: readonly number[]) => {
  const r = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    r[i] = acc;
    acc *= s[i];
  }
  return r;
};
function unravel(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}
function at(a: Arr, coords: readonly number[]): number {
  // broadcasting read: coords aligned right, size-1 dims read index 0
  const off = coords.length - a.shape.length;
  const st = stridesOf(a.shape);
  let k = 0;
  for (let d = 0; d < a.shape.length; d++) k += (a.shape[d] === 1 ? 0 : coords[d + off]) * st[d];
  return a.data[k];
}
function bshape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => Math.max(a[a.length - n + i] ?? 1, b[b.length - n + i] ?? 1));
}
function map2(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = bshape(a.shape, b.shape);
  const out = new Float64Array(numel(shape));
  for (let i = 0; i < out.length; i++) {
    const c = unravel(i, shape);
    out[i] = f(at(a, c), at(b, c));
  }
  return new Arr(shape, out);
}
const map1 = (a: Arr, f: (x: number) => number) => new Arr([...a.shape], a.data.map(f));

const GELU_C = Math.sqrt(2 / Math.PI);
export const geluRef = (x: number) => 0.5 * x * (1 + Math.tanh(GELU_C * (x + 0.044715 * x ** 3)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export const ref = {
  add: (a: Arr, b: Arr) => map2(a, b, (x, y) => x + y),
  sub: (a: Arr, b: Arr) => map2(a, b, (x, y) => x - y),
  mul: (a: Arr, b: Arr) => map2(a, b, (x, y) => x * y),
  div: (a: Arr, b: Arr) => map2(a, b, (x, y) => x / y),
  relu: (a: Arr) => map1(a, (x) => Math.max(x, 0)),
  gelu: (a: Arr) => map1(a, geluRef),
  silu: (a: Arr) => map1(a, (x) => x * sigmoid(x)),
  softcap: (a: Arr, cap: number) => map1(a, (x) => cap * Math.tanh(x / cap)),
  affine: (a: Arr, alpha: number, beta = 0) => map1(a, (x) => alpha * x + beta),
  scale: (a: Arr, alpha: number) => map1(a, (x) => alpha * x),
  neg: (a: Arr) => map1(a, (x) => -x),
  contiguous: (a: Arr) => a,

  reshape(a: Arr, shape: number[]): Arr {
    const known = numel(shape.filter((n) => n !== -1));
    return new Arr(shape.map((n) => (n === -1 ? a.numel / known : n)), a.data);
  },
  permute(a: Arr, perm: number[]): Arr {
    const shape = perm.map((p) => a.shape[p]);
    const out = new Float64Array(a.numel);
    const st = stridesOf(a.shape);
    for (let i = 0; i < out.length; i++) {
      const c = unravel(i, shape);
      let k = 0;
      perm.forEach((p, d) => (k += c[d] * st[p]));
      out[i] = a.data[k];
    }
    return new Arr(shape, out);
  },
  transpose(a: Arr, d0 = -2, d1 = -1): Arr {
    const x = d0 < 0 ? d0 + a.shape.length : d0;
    const y = d1 < 0 ? d1 + a.shape.length : d1;
    return ref.permute(a, a.shape.map((_, i) => (i === x ? y : i === y ? x : i)));
  },
  slice(a: Arr, axis: number, start: number, end: number): Arr {
    const ax = axis < 0 ? axis + a.shape.length : axis;
    const shape = a.shape.map((n, i) => (i === ax ? end - start : n));
    const out = new Float64Array(numel(shape));
    for (let i = 0; i < out.length; i++) {
      const c = unravel(i, shape);
      c[ax] += start;
      out[i] = at(a, c);
    }
    return new Arr(shape, out);
  },
  concat(xs: Arr[], axis: number): Arr {
    const ax = axis < 0 ? axis + xs[0].shape.length : axis;
    const shape = xs[0].shape.map((n, i) => (i === ax ? xs.reduce((s, x) => s + x.shape[ax], 0) : n));
    const out = new Float64Array(numel(shape));
    for (let i = 0; i < out.length; i++) {
      const c = unravel(i, shape);
      let k = 0;
      while (c[ax] >= xs[k].shape[ax]) c[ax] -= xs[k++].shape[ax];
      out[i] = at(xs[k], c);
    }
    return new Arr(shape, out);
  },

  sum(a: Arr, axes?: number[], keepdims = false): Arr {
    const ax = new Set((axes ?? a.shape.map((_, i) => i)).map((x) => (x < 0 ? x + a.shape.length : x)));
    const keepShape = a.shape.map((n, i) => (ax.has(i) ? 1 : n));
    const out = new Float64Array(numel(keepShape));
    const kst = stridesOf(keepShape);
    for (let i = 0; i < a.numel; i++) {
      const c = unravel(i, a.shape);
      let k = 0;
      c.forEach((v, d) => (k += (ax.has(d) ? 0 : v) * kst[d]));
      out[k] += a.data[i];
    }
    return new Arr(keepdims ? keepShape : a.shape.filter((_, i) => !ax.has(i)), out);
  },
  mean(a: Arr, axes?: number[], keepdims = false): Arr {
    const s = ref.sum(a, axes, keepdims);
    const count = a.numel / s.numel;
    return map1(s, (x) => x / count);
  },

  matmul(a: Arr, b: Arr): Arr {
    const [M, K] = a.shape.slice(-2);
    const N = b.shape[b.shape.length - 1];
    const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const shape = [...batch, M, N];
    const out = new Float64Array(numel(shape));
    for (let i = 0; i < out.length; i++) {
      const c = unravel(i, shape);
      const bc = c.slice(0, -2);
      const [m, n] = c.slice(-2);
      let acc = 0;
      for (let k = 0; k < K; k++) acc += at(a, [...bc, m, k]) * at(b, [...bc, k, n]);
      out[i] = acc;
    }
    return new Arr(shape, out);
  },
  linear: (x: Arr, w: Arr, b?: Arr) => (b ? ref.add(ref.matmul(x, w), b) : ref.matmul(x, w)),

  softmax(a: Arr, log = false): Arr {
    const C = a.shape[a.shape.length - 1];
    const out = new Float64Array(a.numel);
    for (let r = 0; r < a.numel / C; r++) {
      const row = a.data.subarray(r * C, (r + 1) * C);
      const m = Math.max(...row);
      const s = row.reduce((acc, x) => acc + Math.exp(x - m), 0);
      for (let c = 0; c < C; c++) out[r * C + c] = log ? row[c] - m - Math.log(s) : Math.exp(row[c] - m) / s;
    }
    return new Arr([...a.shape], out);
  },
  logSoftmax: (a: Arr) => ref.softmax(a, true),

  crossEntropy(logits: Arr, targets: ArrayLike<number>, opts: { ignoreIndex?: number } = {}): Arr {
    const ignore = opts.ignoreIndex ?? -100;
    const C = logits.shape[logits.shape.length - 1];
    const ls = ref.logSoftmax(logits);
    let total = 0;
    let count = 0;
    for (let r = 0; r < targets.length; r++) {
      if (targets[r] === ignore) continue;
      total -= ls.data[r * C + targets[r]];
      count++;
    }
    return new Arr([], Float64Array.of(total / count));
  },
  mse(a: Arr, b: Arr): Arr {
    const d = ref.sub(a, b);
    return ref.mean(ref.mul(d, d));
  },

  layerNorm: (x: Arr, g: Arr, b: Arr, eps = 1e-5) => norm(x, g, b, eps, false),
  rmsNorm: (x: Arr, g: Arr, eps = 1e-6) => norm(x, g, null, eps, true),

  /** A mixture-of-experts router's weights (src/ops/moe.ts moeRoute; the engine's moe_route): moeRouteRef. */
  moeRoute(logits: Arr, o: { used: number; norm: boolean; gating: 'softmax' | 'sigmoid'; scale?: number; groups?: { count: number; used: number } }): Arr {
    const [rows, experts] = logits.shape;
    return Arr.from([rows, experts], moeRouteRef(logits.data, { rows, experts, ...o }));
  },
  /** LFM2's gated short convolution of each sequence of `seq` rows (shortConvRows): bcx [R, 3 dim], w [dim, L] -> [R, dim]. */
  shortConv(bcx: Arr, w: Arr, seq: number): Arr {
    const [R] = bcx.shape;
    const [dim] = w.shape;
    const out = new Float64Array(R * dim);
    for (let r0 = 0; r0 < R; r0 += seq) out.set(shortConvRows(bcx.data.subarray(r0 * 3 * dim, (r0 + seq) * 3 * dim), seq, w.data, dim, w.shape[1]).y, r0 * dim);
    return new Arr([R, dim], out);
  },

  embedding(table: Arr, ids: ArrayLike<number>, idsShape: number[]): Arr {
    const D = table.shape[1];
    const out = new Float64Array(ids.length * D);
    for (let i = 0; i < ids.length; i++) for (let d = 0; d < D; d++) out[i * D + d] = table.data[ids[i] * D + d];
    return new Arr([...idsShape, D], out);
  },

  /**
   * RoPE over rows of `heads` heads (hd = D / heads): the first rd = ropeDims (default hd) dims of each head turn,
   * 'neox' pairing j with j + rd/2, 'norm' 2j with 2j + 1, by (t + posOffset) * posScale * base^(-2j/rd) / freqFactors[j],
   * cos and sin times mscale; the dims from rd on pass through.
   */
  rope(x: Arr, opts: { base?: number; posOffset?: number; heads?: number; layout?: 'neox' | 'norm'; freqFactors?: ArrayLike<number>; posScale?: number; mscale?: number; ropeDims?: number } = {}): Arr {
    const base = opts.base ?? 10000;
    const [T, D] = x.shape.slice(-2);
    const hd = D / (opts.heads ?? 1);
    const rd = opts.ropeDims ?? hd;
    const half = rd / 2;
    const m = opts.mscale ?? 1;
    const out = new Float64Array(x.numel);
    for (let i = 0; i < x.numel; i++) {
      const d = i % hd;
      if (d >= rd) {
        out[i] = x.data[i];
        continue;
      }
      const head = i - d;
      const t = Math.floor(i / D) % T;
      const norm = opts.layout === 'norm';
      const j = norm ? Math.floor(d / 2) : d % half;
      const [a, b] = norm ? [head + 2 * j, head + 2 * j + 1] : [head + j, head + j + half];
      const first = norm ? d % 2 === 0 : d < half;
      const ang = ((t + (opts.posOffset ?? 0)) * (opts.posScale ?? 1) * base ** (-(2 * j) / rd)) / (opts.freqFactors ? opts.freqFactors[j] : 1);
      const xa = x.data[a];
      const xb = x.data[b];
      const [c, sn] = [Math.cos(ang) * m, Math.sin(ang) * m];
      out[i] = first ? xa * c - xb * sn : xb * c + xa * sn;
    }
    return new Arr([...x.shape], out);
  },

  /** softmax(cap(q k^T * scale) + causal mask) v; cap: softcap's (gemma2) where given, else none; scale default 1 / sqrt(D); slope: ALiBi's, key j's score for query t plus slope (j - t). */
  causalSelfAttention(q: Arr, k: Arr, v: Arr, softcap?: number, scale?: number, slope = 0): Arr {
    const [T, D] = q.shape.slice(-2);
    const s0 = ref.scale(ref.matmul(q, ref.transpose(k)), scale ?? 1 / Math.sqrt(D));
    const s = softcap === undefined ? s0 : ref.softcap(s0, softcap);
    const masked = new Arr([...s.shape], s.data.map((x, i) => (i % T > Math.floor(i / T) % T ? -Infinity : x + slope * ((i % T) - (Math.floor(i / T) % T)))));
    return ref.matmul(ref.softmax(masked), v);
  },
};

function norm(x: Arr, g: Arr, b: Arr | null, eps: number, rms: boolean): Arr {
  const C = x.shape[x.shape.length - 1];
  const out = new Float64Array(x.numel);
  for (let r = 0; r < x.numel / C; r++) {
    const row = x.data.subarray(r * C, (r + 1) * C);
    const mean = rms ? 0 : row.reduce((a, v) => a + v, 0) / C;
    const v = row.reduce((a, y) => a + (y - mean) ** 2, 0) / C;
    const rstd = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) out[r * C + c] = (row[c] - mean) * rstd * g.data[c] + (b ? b.data[c] : 0);
  }
  return new Arr([...x.shape], out);
}

/**
 * A two-layer MLP written out by hand in f64 (no autograd): logits = relu(x W1 + b1) W2 + b2, loss = mean
 * cross-entropy over targets; returns the loss and the gradients of W1, b1, W2, b2 (W stored [in, out]).
 */
export function mlp2Ref(x: ArrayLike<number>, w1: ArrayLike<number>, b1: ArrayLike<number>, w2: ArrayLike<number>, b2: ArrayLike<number>, targets: ArrayLike<number>, B: number, I: number, H: number, O: number) {
  const h = new Float64Array(B * H);
  const pre = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    let s = b1[j];
    for (let i = 0; i < I; i++) s += x[b * I + i] * w1[i * H + j];
    pre[b * H + j] = s;
    h[b * H + j] = Math.max(0, s);
  }
  const dlogits = new Float64Array(B * O);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const z = new Float64Array(O);
    for (let o = 0; o < O; o++) {
      let s = b2[o];
      for (let j = 0; j < H; j++) s += h[b * H + j] * w2[j * O + o];
      z[o] = s;
    }
    const m = Math.max(...z);
    const se = z.reduce((a, v) => a + Math.exp(v - m), 0);
    loss += (m + Math.log(se) - z[targets[b]]) / B;
    for (let o = 0; o < O; o++) dlogits[b * O + o] = (Math.exp(z[o] - m) / se - (o === targets[b] ? 1 : 0)) / B;
  }
  const gw2 = new Float64Array(H * O);
  const gb2 = new Float64Array(O);
  const dh = new Float64Array(B * H);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) {
    const d = dlogits[b * O + o];
    gb2[o] += d;
    for (let j = 0; j < H; j++) {
      gw2[j * O + o] += h[b * H + j] * d;
      dh[b * H + j] += w2[j * O + o] * d;
    }
  }
  const gw1 = new Float64Array(I * H);
  const gb1 = new Float64Array(H);
  for (let b = 0; b < B; b++) for (let j = 0; j < H; j++) {
    const d = pre[b * H + j] > 0 ? dh[b * H + j] : 0;
    gb1[j] += d;
    for (let i = 0; i < I; i++) gw1[i * H + j] += x[b * I + i] * d;
  }
  return { loss, gw1, gb1, gw2, gb2 };
}

/**
 * LFM2's gated short convolution of one sequence of T rows (llama.cpp's shortconv block): bcx [T, 3 dim] holds B | C |
 * X; y[t, c] = C[t, c] * sum_k w[c, k] bx[t - (L-1) + k, c] with bx = B * X, the rows before the first taken from
 * `state` [L-1, dim] (oldest first; absent: zeros). Returns y [T, dim] and the state after the rows (their last L-1 bx).
 */
export function shortConvRows(bcx: ArrayLike<number>, T: number, w: ArrayLike<number>, dim: number, L: number, state?: ArrayLike<number>): { y: Float64Array; state: Float64Array } {
  const bx = new Float64Array((T + L - 1) * dim); // rows -(L-1).. of bx
  if (state) for (let i = 0; i < (L - 1) * dim; i++) bx[i] = state[i];
  for (let t = 0; t < T; t++) for (let c = 0; c < dim; c++) bx[(t + L - 1) * dim + c] = bcx[t * 3 * dim + c] * bcx[t * 3 * dim + 2 * dim + c];
  const y = new Float64Array(T * dim);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < dim; c++) {
      let s = 0;
      for (let k = 0; k < L; k++) s += w[c * L + k] * bx[(t + k) * dim + c];
      y[t * dim + c] = bcx[t * 3 * dim + dim + c] * s;
    }
  }
  return { y, state: bx.slice(T * dim) };
}
