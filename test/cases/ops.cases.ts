// Every graph op: GPU forward against the f64 reference (src/ref/ops.ts), and every backward rule against
// central finite differences of that reference in f64, on small random shapes including broadcasting and views.
// The scalar differentiated is L = sum(out * R) with a fixed random R, so every output element's gradient counts.
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import * as op from '../../src/ops/index.js';
import { Arr, ref } from '../../src/ref/ops.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { assert, type GpuCase } from './types.js';

interface InSpec {
  shape: number[];
  /** f32 in [lo, hi) (default [-1, 1)), or i32 in [0, hi) with some entries set to `ignore`. */
  int?: { hi: number; ignore?: number; every?: number };
  lo?: number;
  hi?: number;
}

export interface OpCase {
  name: string;
  inputs: InSpec[];
  gpu: (x: Tensor[]) => Tensor;
  ref: (x: Arr[], ints: Int32Array[]) => Arr;
  /** Length of the longest accumulation behind one output element (error bound: c * K * u). */
  K?: number;
  noGrad?: boolean;
}

// Forward: |gpu - ref| <= C_FWD * K * u * (|ref_i| + mean|ref|). The mean|ref| term covers outputs that are the
// small difference of larger terms (softmax backward, layernorm); C_FWD allows a few ulp of exp/log/tanh.
const C_FWD = 8;
// Backward vs finite differences: the same form with C_BWD: f32 gradients carry the rounding of the forward
// and backward chains; the f64 central difference (h = 1e-4) is exact to ~1e-8 relative.
const C_BWD = 8;
const H = 1e-4;

function within(what: string, got: ArrayLike<number>, want: ArrayLike<number>, K: number, c: number): { worst: number; text: string } {
  assert(got.length === want.length, `${what}: ${got.length} values, reference has ${want.length}`);
  let meanAbs = 0;
  for (let i = 0; i < want.length; i++) meanAbs += Math.abs(want[i]) / want.length;
  let worst = 0;
  let at = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const bound = c * K * U_F32 * (Math.abs(want[i]) + meanAbs) + 1e-30;
    assert(Number.isFinite(got[i]), `${what}: element ${i} is ${got[i]} (reference ${want[i]})`);
    if (err / bound > worst) {
      worst = err / bound;
      at = i;
    }
  }
  assert(worst <= 1, `${what}: element ${at} = ${got[at]} vs ${want[at]} (|err| ${Math.abs(got[at] - want[at]).toExponential(2)}, ${(worst * 100).toFixed(0)}% over the bound)`);
  return { worst, text: `${what} ${(worst * 100).toFixed(1)}%` };
}

function makeInputs(specs: InSpec[], seed: number): { f: Float32Array[]; ints: Int32Array[] } {
  const f: Float32Array[] = [];
  const ints: Int32Array[] = [];
  specs.forEach((s, k) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (s.int) {
      const r = rng(seed + 97 * k);
      const v = Int32Array.from({ length: n }, (_, i) => (s.int!.every && i % s.int!.every === s.int!.every - 1 ? s.int!.ignore! : Math.floor(r() * s.int!.hi)));
      ints.push(v);
      f.push(new Float32Array(0));
    } else {
      f.push(randomF32(n, seed + 31 * k, s.lo ?? -1, s.hi ?? 1));
      ints.push(new Int32Array(0));
    }
  });
  return { f, ints };
}

export function opCase(c: OpCase, rowReduce?: 'invocation' | 'workgroup', elementwiseRun?: number): GpuCase {
  return {
    name: `op ${c.name}${rowReduce ? ` [${rowReduce} per row]` : ''}${elementwiseRun ? ` [elementwise run ${elementwiseRun}]` : ''}`,
    async run(ctx: GpuContext) {
      const { f, ints } = makeInputs(c.inputs, c.name.length * 7 + 1);
      const g = new Graph(ctx, c.name, { rowReduce, elementwiseRun });
      try {
        const ins = c.inputs.map((s, k) => (s.int ? g.input(`in${k}`, s.shape, 'i32') : g.input(`in${k}`, s.shape, 'f32', { requiresGrad: true })));
        const out = c.gpu(ins);
        const refIns = c.inputs.map((s, k) => (s.int ? new Arr([0], new Float64Array(0)) : Arr.from(s.shape, f[k])));
        const want = c.ref(refIns, ints);
        assert(out.shape.join() === want.shape.join(), `shape [${out.shape}] vs reference [${want.shape}]`);
        const R = randomF32(out.numel, 12345);
        const floatIns = ins.filter((_, k) => !c.inputs[k].int);
        let grads: Tensor[] = [];
        if (!c.noGrad) {
          const loss = op.sum(op.mul(out, g.constant(R, out.shape)));
          const gm = g.backward(loss, floatIns);
          grads = floatIns.map((t) => gm.get(t)!);
        }
        const exe = await g.compile({ outputs: [out, ...grads] });
        const feeds: Record<string, ArrayBufferView> = {};
        c.inputs.forEach((s, k) => (feeds[`in${k}`] = s.int ? ints[k] : f[k]));
        await exe.run(feeds);
        const K = c.K ?? 1;
        const msgs = [within('forward', await exe.read(out), want.data, K, C_FWD).text];
        if (!c.noGrad) {
          const L = (xs: Arr[]) => c.ref(xs, ints).data.reduce((a, v, i) => a + v * R[i], 0);
          let fk = 0;
          for (let k = 0; k < c.inputs.length; k++) {
            if (c.inputs[k].int) continue;
            const got = await exe.read(grads[fk++]);
            const fd = new Float64Array(got.length);
            for (let i = 0; i < fd.length; i++) {
              const plus = refIns.map((a) => Arr.from(a.shape, a.data));
              const minus = refIns.map((a) => Arr.from(a.shape, a.data));
              plus[k].data[i] += H;
              minus[k].data[i] -= H;
              fd[i] = (L(plus) - L(minus)) / (2 * H);
            }
            msgs.push(within(`d/d in${k}`, got, fd, Math.max(K, 4), C_BWD).text);
          }
        }
        return `${exe.stats.dispatchesPerRun} dispatches; ${msgs.join(', ')}`;
      } finally {
        g.destroy();
      }
    },
  };
}

const pos = { lo: 0.5, hi: 2 };
const T = (x: Arr[], i: number) => x[i];

const CASE_LIST: OpCase[] = [
  { name: 'relu [3, 5]', inputs: [{ shape: [3, 5] }], gpu: ([x]) => op.relu(x), ref: ([x]) => ref.relu(x) },
  { name: 'gelu [3, 5]', inputs: [{ shape: [3, 5], lo: -3, hi: 3 }], gpu: ([x]) => op.gelu(x), ref: ([x]) => ref.gelu(x) },
  { name: 'silu [3, 5]', inputs: [{ shape: [3, 5], lo: -3, hi: 3 }], gpu: ([x]) => op.silu(x), ref: ([x]) => ref.silu(x) },
  { name: 'softcap 2.5 [3, 7] (gemma2: cap tanh(x / cap))', inputs: [{ shape: [3, 7], lo: -8, hi: 8 }], gpu: ([x]) => op.softcap(x, 2.5), ref: ([x]) => ref.softcap(x, 2.5) },
  { name: 'affine [7]', inputs: [{ shape: [7] }], gpu: ([x]) => op.affine(x, -1.5, 0.25), ref: ([x]) => ref.affine(x, -1.5, 0.25) },
  { name: 'add broadcast [2, 3, 4] + [3, 1]', inputs: [{ shape: [2, 3, 4] }, { shape: [3, 1] }], gpu: ([a, b]) => op.add(a, b), ref: ([a, b]) => ref.add(a, b) },
  { name: 'sub broadcast [4, 3] - [3]', inputs: [{ shape: [4, 3] }, { shape: [3] }], gpu: ([a, b]) => op.sub(a, b), ref: ([a, b]) => ref.sub(a, b) },
  { name: 'mul broadcast [2, 1, 3] * [1, 4, 1]', inputs: [{ shape: [2, 1, 3] }, { shape: [1, 4, 1] }], gpu: ([a, b]) => op.mul(a, b), ref: ([a, b]) => ref.mul(a, b) },
  { name: 'div [3, 4] / [4] (b in [0.5, 2))', inputs: [{ shape: [3, 4] }, { shape: [4], ...pos }], gpu: ([a, b]) => op.div(a, b), ref: ([a, b]) => ref.div(a, b) },
  // Runs of adjacent elements per invocation (tuning elementwiseRun, 8 on SwiftShader): rows longer than a run with a
  // ragged tail, a strided last dim, size-1 dims dropped and dense dims merged around a broadcast.
  { name: 'add [3, 21] + [21] (rows longer than a run, ragged tail)', inputs: [{ shape: [3, 21] }, { shape: [21] }], gpu: ([a, b]) => op.add(a, b), ref: ([a, b]) => ref.add(a, b) },
  { name: 'silu of a transposed view [19, 6] (a strided last dim)', inputs: [{ shape: [6, 19], lo: -3, hi: 3 }], gpu: ([x]) => op.silu(op.transpose(x)), ref: ([x]) => ref.silu(ref.transpose(x)) },
  { name: 'mul [2, 1, 5, 9] * [5, 1] (size-1 dims dropped, dense dims merged)', inputs: [{ shape: [2, 1, 5, 9] }, { shape: [5, 1] }], gpu: ([a, b]) => op.mul(a, b), ref: ([a, b]) => ref.mul(a, b) },
  { name: 'tensor used twice: x * x + x', inputs: [{ shape: [6] }], gpu: ([x]) => op.add(op.mul(x, x), x), ref: ([x]) => ref.add(ref.mul(x, x), x) },
  { name: 'view: transpose(x) + y', inputs: [{ shape: [3, 4] }, { shape: [4, 3] }], gpu: ([x, y]) => op.add(op.transpose(x), y), ref: ([x, y]) => ref.add(ref.transpose(x), y) },
  { name: 'view: relu(slice(x, 1, 1:3))', inputs: [{ shape: [2, 4, 3] }], gpu: ([x]) => op.relu(op.slice(x, 1, 1, 3)), ref: ([x]) => ref.relu(ref.slice(x, 1, 1, 3)) },
  { name: 'view: reshape(permute(x)) (copy) * w', inputs: [{ shape: [2, 3, 4] }, { shape: [8] }], gpu: ([x, w]) => op.mul(op.reshape(op.permute(x, [1, 0, 2]), [3, 8]), w), ref: ([x, w]) => ref.mul(ref.reshape(ref.permute(x, [1, 0, 2]), [3, 8]), w) },
  { name: 'concat axis 1 of [2, 2, 3], [2, 1, 3], [2, 3, 3]', inputs: [{ shape: [2, 2, 3] }, { shape: [2, 1, 3] }, { shape: [2, 3, 3] }], gpu: (x) => op.concat(x, 1), ref: (x) => ref.concat(x, 1) },
  { name: 'sum axes [0, 2] of [2, 3, 4]', inputs: [{ shape: [2, 3, 4] }], gpu: ([x]) => op.sum(x, [0, 2]), ref: ([x]) => ref.sum(x, [0, 2]), K: 8 },
  { name: 'mean axis 1 keepdims of a transposed view', inputs: [{ shape: [4, 5] }], gpu: ([x]) => op.mean(op.transpose(x), [1], true), ref: ([x]) => ref.mean(ref.transpose(x), [1], true), K: 4 },
  { name: 'sum all [3, 5]', inputs: [{ shape: [3, 5] }], gpu: ([x]) => op.sum(x), ref: ([x]) => ref.sum(x), K: 15 },
  { name: 'matmul [5, 7] @ [7, 3]', inputs: [{ shape: [5, 7] }, { shape: [7, 3] }], gpu: ([a, b]) => op.matmul(a, b), ref: ([a, b]) => ref.matmul(a, b), K: 7 },
  { name: 'matmul transposed views a^T @ b^T', inputs: [{ shape: [6, 4] }, { shape: [5, 6] }], gpu: ([a, b]) => op.matmul(op.transpose(a), op.transpose(b)), ref: ([a, b]) => ref.matmul(ref.transpose(a), ref.transpose(b)), K: 6 },
  { name: 'matmul batched [2, 3, 4] @ 2-D [4, 5]', inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], gpu: ([a, b]) => op.matmul(a, b), ref: ([a, b]) => ref.matmul(a, b), K: 4 },
  { name: 'matmul batch broadcast [2, 1, 3, 4] @ [3, 4, 2]', inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], gpu: ([a, b]) => op.matmul(a, b), ref: ([a, b]) => ref.matmul(a, b), K: 4 },
  { name: 'matmul [3, 4] @ [2, 4, 5] (a broadcast, stride 0)', inputs: [{ shape: [3, 4] }, { shape: [2, 4, 5] }], gpu: ([a, b]) => op.matmul(a, b), ref: ([a, b]) => ref.matmul(a, b), K: 4 },
  {
    name: 'matmul of a storage-aligned slice (bound at its offset, no copy)',
    inputs: [{ shape: [3, 64, 4] }, { shape: [4, 3] }],
    gpu: ([a, b]) => op.matmul(op.slice(a, 0, 1, 3), b),
    ref: ([a, b]) => ref.matmul(ref.slice(a, 0, 1, 3), b),
    K: 4,
  },
  { name: 'linear x @ w + b', inputs: [{ shape: [4, 6] }, { shape: [6, 3] }, { shape: [3] }], gpu: ([x, w, b]) => op.linear(x, w, b), ref: ([x, w, b]) => ref.linear(x, w, b), K: 7 },
  { name: 'softmax [3, 6]', inputs: [{ shape: [3, 6], lo: -3, hi: 3 }], gpu: ([x]) => op.softmax(x), ref: ([x]) => ref.softmax(x), K: 6 },
  { name: 'log_softmax [2, 3, 5] of a transposed view', inputs: [{ shape: [2, 5, 3], lo: -3, hi: 3 }], gpu: ([x]) => op.logSoftmax(op.transpose(x)), ref: ([x]) => ref.logSoftmax(ref.transpose(x)), K: 5 },
  {
    name: 'cross_entropy [6, 5], i32 targets, ignore index -100',
    inputs: [{ shape: [6, 5], lo: -3, hi: 3 }, { shape: [6], int: { hi: 5, ignore: -100, every: 3 } }],
    gpu: ([l, t]) => op.crossEntropy(l, t),
    ref: ([l], ints) => ref.crossEntropy(l, ints[1]),
    K: 10,
  },
  {
    name: 'cross_entropy [2, 3, 4] with ignore index 2',
    inputs: [{ shape: [2, 3, 4] }, { shape: [2, 3], int: { hi: 4 } }],
    gpu: ([l, t]) => op.crossEntropy(l, t, { ignoreIndex: 2 }),
    ref: ([l], ints) => ref.crossEntropy(l, ints[1], { ignoreIndex: 2 }),
    K: 10,
  },
  { name: 'mse [4, 3] vs [3]', inputs: [{ shape: [4, 3] }, { shape: [3] }], gpu: ([a, b]) => op.mse(a, b), ref: ([a, b]) => ref.mse(a, b), K: 12 },
  { name: 'layer_norm [4, 8]', inputs: [{ shape: [4, 8], lo: -2, hi: 2 }, { shape: [8], ...pos }, { shape: [8] }], gpu: ([x, g, b]) => op.layerNorm(x, g, b), ref: ([x, g, b]) => ref.layerNorm(x, g, b), K: 8 },
  { name: 'rms_norm [2, 3, 8]', inputs: [{ shape: [2, 3, 8], lo: -2, hi: 2 }, { shape: [8], ...pos }], gpu: ([x, g]) => op.rmsNorm(x, g), ref: ([x, g]) => ref.rmsNorm(x, g), K: 8 },
  {
    name: 'embedding [7, 4] by ids [2, 5] (repeated ids)',
    inputs: [{ shape: [7, 4] }, { shape: [2, 5], int: { hi: 4 } }],
    gpu: ([t, ids]) => op.embedding(t, ids),
    ref: ([t], ints) => ref.embedding(t, ints[1], [2, 5]),
  },
  { name: 'rope [2, 5, 8]', inputs: [{ shape: [2, 5, 8] }], gpu: ([x]) => op.rope(x, { posOffset: 3 }), ref: ([x]) => ref.rope(x, { posOffset: 3 }), K: 8 },
  { name: 'rope norm layout [2, 5, 8]', inputs: [{ shape: [2, 5, 8] }], gpu: ([x]) => op.rope(x, { posOffset: 3, layout: 'norm' }), ref: ([x]) => ref.rope(x, { posOffset: 3, layout: 'norm' }), K: 8 },
  { name: 'rope norm layout, 3 heads [2, 5, 12]', inputs: [{ shape: [2, 5, 12] }], gpu: ([x]) => op.rope(x, { heads: 3, layout: 'norm', base: 100 }), ref: ([x]) => ref.rope(x, { heads: 3, layout: 'norm', base: 100 }), K: 8 },
  // The model's RoPE options: per-pair factors (Llama 3, LongRoPE), position scale, mscale and partial rotary dims.
  { name: 'rope neox, factors, position scale 0.5, mscale 1.3 [2, 5, 8]', inputs: [{ shape: [2, 5, 8] }], gpu: ([x]) => op.rope(x, { posOffset: 1, freqFactors: Float32Array.of(1, 2.5, 8, 30), posScale: 0.5, mscale: 1.3 }), ref: ([x]) => ref.rope(x, { posOffset: 1, freqFactors: Float32Array.of(1, 2.5, 8, 30), posScale: 0.5, mscale: 1.3 }), K: 8 },
  { name: 'rope norm layout, 2 heads of 10, 6 dims rotated, factors [2, 5, 20]', inputs: [{ shape: [2, 5, 20] }], gpu: ([x]) => op.rope(x, { heads: 2, layout: 'norm', ropeDims: 6, freqFactors: Float32Array.of(1, 3, 9) }), ref: ([x]) => ref.rope(x, { heads: 2, layout: 'norm', ropeDims: 6, freqFactors: Float32Array.of(1, 3, 9) }), K: 8 },
  { name: 'rope pair neox, 8 of 12 dims rotated, mscale 1.2: q [2, 5, 2 x 12] and k [2, 5, 1 x 12]', inputs: [{ shape: [2, 5, 24] }, { shape: [2, 5, 12] }], gpu: ([q, k]) => op.concat(op.ropePair(q, k, { heads: 2, kvHeads: 1, ropeDims: 8, mscale: 1.2, posOffset: 2 }), 2), ref: ([q, k]) => ref.concat([ref.rope(q, { heads: 2, ropeDims: 8, mscale: 1.2, posOffset: 2 }), ref.rope(k, { ropeDims: 8, mscale: 1.2, posOffset: 2 })], 2), K: 8 },
  // ropePair: q and k (its heads' count apart) in one dispatch; both outputs, and only q's (k's gradient then 0).
  { name: 'rope pair q [2, 5, 3 x 4] and k [2, 5, 1 x 4], norm layout', inputs: [{ shape: [2, 5, 12] }, { shape: [2, 5, 4] }], gpu: ([q, k]) => op.concat(op.ropePair(q, k, { heads: 3, kvHeads: 1, layout: 'norm', posOffset: 2 }), 2), ref: ([q, k]) => ref.concat([ref.rope(q, { heads: 3, layout: 'norm', posOffset: 2 }), ref.rope(k, { layout: 'norm', posOffset: 2 })], 2), K: 8 },
  { name: 'rope pair neox, only q used [3, 2 x 6] and [3, 2 x 6]', inputs: [{ shape: [3, 12] }, { shape: [3, 12] }], gpu: ([q, k]) => op.ropePair(q, k, { heads: 2, kvHeads: 2, base: 500 })[0], ref: ([q]) => ref.rope(q, { heads: 2, base: 500 }), K: 8 },
  { name: 'rope neox, 2 heads of a permuted view [5, 2, 8]', inputs: [{ shape: [2, 5, 8] }], gpu: ([x]) => op.rope(op.permute(x, [1, 0, 2]), { heads: 2 }), ref: ([x]) => ref.rope(ref.permute(x, [1, 0, 2]), { heads: 2 }), K: 8 },
  {
    name: 'causal self-attention [2, 4, 8] (composition)',
    inputs: [{ shape: [2, 4, 8] }, { shape: [2, 4, 8] }, { shape: [2, 4, 8] }],
    gpu: ([q, k, v]) => op.causalSelfAttention(q, k, v, { composed: true }),
    ref: ([q, k, v]) => ref.causalSelfAttention(q, k, v),
    K: 16,
  },
];
void T;

// Long rows (longer than a workgroup) for the two shapes of the row-reduction kernels.
const LONG_ROWS: OpCase[] = [
  { name: 'sum axis 1 of [3, 200]', inputs: [{ shape: [3, 200] }], gpu: ([x]) => op.sum(x, [1]), ref: ([x]) => ref.sum(x, [1]), K: 200 },
  { name: 'softmax [2, 150]', inputs: [{ shape: [2, 150], lo: -3, hi: 3 }], gpu: ([x]) => op.softmax(x), ref: ([x]) => ref.softmax(x), K: 150 },
  { name: 'log_softmax [2, 150]', inputs: [{ shape: [2, 150], lo: -3, hi: 3 }], gpu: ([x]) => op.logSoftmax(x), ref: ([x]) => ref.logSoftmax(x), K: 150 },
  {
    name: 'cross_entropy [3, 130]',
    inputs: [{ shape: [3, 130], lo: -3, hi: 3 }, { shape: [3], int: { hi: 130 } }],
    gpu: ([l, t]) => op.crossEntropy(l, t),
    ref: ([l], ints) => ref.crossEntropy(l, ints[1]),
    K: 130,
  },
  { name: 'layer_norm [2, 100]', inputs: [{ shape: [2, 100], lo: -2, hi: 2 }, { shape: [100], ...pos }, { shape: [100] }], gpu: ([x, g, b]) => op.layerNorm(x, g, b), ref: ([x, g, b]) => ref.layerNorm(x, g, b), K: 100 },
  { name: 'rms_norm [2, 100]', inputs: [{ shape: [2, 100], lo: -2, hi: 2 }, { shape: [100], ...pos }], gpu: ([x, g]) => op.rmsNorm(x, g), ref: ([x, g]) => ref.rmsNorm(x, g), K: 100 },
];
const ROW_REDUCING = /^(sum|mean|softmax|log_softmax|add broadcast|causal|cross_entropy|layer_norm|rms_norm)/;
const ELEMENTWISE = /^(relu|gelu|silu|affine|add|sub|mul|div|tensor used twice|view|concat)/;

export const CASES: GpuCase[] = [
  ...CASE_LIST.map((c) => opCase(c)),
  ...LONG_ROWS.map((c) => opCase(c)),
  // Both shapes of the row reductions on every adapter, whatever its tuning picks.
  ...[...CASE_LIST, ...LONG_ROWS].filter((c) => ROW_REDUCING.test(c.name)).flatMap((c) => [opCase(c, 'invocation'), opCase(c, 'workgroup')]),
  // The elementwise kernel one element an invocation (GPUs' tuning) and in runs of 3 (ragged on every row here).
  ...CASE_LIST.filter((c) => ELEMENTWISE.test(c.name)).flatMap((c) => [opCase(c, undefined, 1), opCase(c, undefined, 3)]),
];
