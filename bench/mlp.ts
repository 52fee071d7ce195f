// The MLP training-step problem of issue 7 (64-256-256-10, ReLU, softmax cross-entropy, batch 128, Adam), shared by
// every side of that comparison: the same seeded weights, inputs and labels, and the f64 reference of its forward
// pass and first Adam step: the TF.js peer (bench/peers/tfjs.ts) and nibble's f32 and QAT steps (bench/train-rows.ts).
import { rng, randomF32 } from '../src/ref/random.js';
import { MLP } from './shapes.js';

export interface MlpProblem {
  sizes: readonly number[];
  batch: number;
  lr: number;
  /** Weights W_l [in, out] row-major and biases b_l [out]. */
  weights: Float32Array[];
  biases: Float32Array[];
  x: Float32Array; // [batch, in]
  labels: Int32Array; // [batch]
}

export function mlpProblem(seed = 51): MlpProblem {
  const { sizes, batch, lr } = MLP;
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const a = 1 / Math.sqrt(sizes[l]);
    weights.push(randomF32(sizes[l] * sizes[l + 1], seed + 2 * l, -a, a));
    biases.push(randomF32(sizes[l + 1], seed + 2 * l + 1, -0.1, 0.1));
  }
  const r = rng(seed + 100);
  const labels = Int32Array.from({ length: batch }, () => Math.floor(r() * sizes[sizes.length - 1]));
  return { sizes, batch, lr, weights, biases, x: randomF32(batch * sizes[0], seed + 99), labels };
}

export interface MlpForwardRef {
  /** Logits [batch, classes] in f64. */
  logits: Float64Array;
  /** A bound on the f32 error of each logit: rounding of every layer's dot products propagated through |W|. */
  bound: Float64Array;
  /** Mean softmax cross-entropy. */
  loss: number;
  /** d loss / d b_last = mean over the batch of (softmax - onehot). */
  gradLastBias: Float64Array;
}

/** f64 forward pass with a running error bound (u = 2^-24, c = 2; ReLU is 1-Lipschitz). */
export function mlpForwardRef(p: MlpProblem): MlpForwardRef {
  const u = 2 ** -24;
  let h: Float64Array = Float64Array.from(p.x);
  let e: Float64Array = new Float64Array(h.length);
  const L = p.weights.length;
  for (let l = 0; l < L; l++) {
    const fin = p.sizes[l];
    const fout = p.sizes[l + 1];
    const W = p.weights[l];
    const b = p.biases[l];
    const out = new Float64Array(p.batch * fout);
    const err = new Float64Array(p.batch * fout);
    for (let i = 0; i < p.batch; i++) {
      for (let j = 0; j < fout; j++) {
        let s = b[j];
        let abs = Math.abs(b[j]);
        let prop = 0;
        for (let k = 0; k < fin; k++) {
          const w = W[k * fout + j];
          s += h[i * fin + k] * w;
          abs += Math.abs(h[i * fin + k] * w);
          prop += Math.abs(w) * e[i * fin + k];
        }
        const relu = l + 1 < L;
        out[i * fout + j] = relu ? Math.max(0, s) : s;
        err[i * fout + j] = 2 * (fin + 1) * u * abs + prop;
      }
    }
    h = out;
    e = err;
  }
  return { logits: h, bound: e, ...lossAndGrad(p, h) };
}

/** Mean softmax cross-entropy of f64 logits [batch, classes] and its gradient with respect to the last bias. */
export function lossAndGrad(p: MlpProblem, h: Float64Array): { loss: number; gradLastBias: Float64Array } {
  const C = p.sizes[p.sizes.length - 1];
  let loss = 0;
  const g = new Float64Array(C);
  for (let i = 0; i < p.batch; i++) {
    const row = h.subarray(i * C, (i + 1) * C);
    const mx = Math.max(...row);
    const ex = Array.from(row, (v) => Math.exp(v - mx));
    const z = ex.reduce((a, v) => a + v, 0);
    loss += -(row[p.labels[i]] - mx - Math.log(z));
    for (let c = 0; c < C; c++) g[c] += (ex[c] / z - (c === p.labels[i] ? 1 : 0)) / p.batch;
  }
  return { loss: loss / p.batch, gradLastBias: g };
}

/**
 * The first Adam step of the last bias: with bias correction, m_hat = g and v_hat = g^2, so the step is
 * -lr * g / (|g| + eps) for the reference gradient g (entries with |g| < 1e-4 are skipped: there the f32 gradient's
 * own error decides the step). Shared by every side of the comparison.
 */
export function checkLastBiasAdam(p: MlpProblem, ref: MlpForwardRef, before: ArrayLike<number>, after: ArrayLike<number>, eps: number): { ok: boolean; message: string } {
  const L = p.weights.length;
  let checked = 0;
  for (let c = 0; c < after.length; c++) {
    const g = ref.gradLastBias[c];
    if (Math.abs(g) < 1e-4) continue;
    const want = -p.lr * (g / (Math.abs(g) + eps));
    const tol = 1e-3 * p.lr + 2 * 2 ** -24 * (Math.abs(before[c]) + Math.abs(after[c]));
    const got = after[c] - before[c];
    if (!(Math.abs(got - want) <= tol)) return { ok: false, message: `Adam step of b${L - 1}[${c}]: ${got.toExponential(4)}, reference ${want.toExponential(4)}` };
    checked++;
  }
  return { ok: true, message: `first Adam step of the last bias matches on ${checked}/${after.length} entries` };
}
