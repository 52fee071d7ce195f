// The fused graph ops (src/ops/fused.ts), each against the composition it replaces:
//   - as every op (test/cases/ops.cases.ts's opCase): forward vs the f64 reference of the composition, and the
//     backward vs central finite differences of it, on both shapes of the row kernels;
//   - fused vs unfused on the GPU, same inputs: forward and every input's gradient within the f32 bound
//     c * K * u * (|ref| + mean|ref|) (c = 8, K the longest sum behind an element, u = 2^-24); the maximum absolute
//     difference is reported (0 on SwiftShader: the fused kernels do the composition's arithmetic).
import type { GpuContext } from '../../src/gpu/context.js';
import { Graph } from '../../src/graph/graph.js';
import type { Tensor } from '../../src/graph/tensor.js';
import * as op from '../../src/ops/index.js';
import { Arr, ref } from '../../src/ref/ops.js';
import { randomF32 } from '../../src/ref/random.js';
import { alibiSlopeRef } from '../../src/ref/lm.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { opCase, type OpCase } from './ops.cases.js';
import { assert, expectError, type GpuCase } from './types.js';
import { Attention, FLASH_SCORES_BYTES } from '../../src/nn/layers.js';
import { tuningFor } from '../../src/kernels/tuning.js';

/** The composition's reference: softmax(alpha x + causal mask) over [..., T, T]. */
function refCausalSoftmax(x: Arr, alpha: number): Arr {
  const T = x.shape[x.shape.length - 1];
  const m = new Float64Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) m[i * T + j] = -1e9;
  return ref.softmax(ref.add(ref.scale(x, alpha), new Arr([T, T], m)));
}

const swigluRef = ([g, u]: Arr[]) => ref.mul(ref.silu(g), u);

/** flash attention's reference: per head, causalSelfAttention of the permuted rows (KV head h / group for head h). */
function refFlash(q: Arr, k: Arr, v: Arr, heads: number, kvHeads: number, softcap?: number, scale?: number, alibi = 0): Arr {
  const [B, T, C] = q.shape;
  const hd = C / heads;
  const head = (x: Arr, n: number, h: number) => ref.slice(ref.permute(ref.reshape(x, [B, T, n, hd]), [0, 2, 1, 3]), 1, h, h + 1);
  const outs = Array.from({ length: heads }, (_, h) => ref.causalSelfAttention(head(q, heads, h), head(k, kvHeads, Math.floor(h / (heads / kvHeads))), head(v, kvHeads, Math.floor(h / (heads / kvHeads))), softcap, scale, alibi ? alibiSlopeRef(heads, alibi, h) : 0));
  return ref.reshape(ref.permute(ref.concat(outs, 1), [0, 2, 1, 3]), [B, T, C]);
}


const OPS: OpCase[] = [
  { name: 'fused swiglu [3, 5]', inputs: [{ shape: [3, 5], lo: -4, hi: 4 }, { shape: [3, 5] }], gpu: ([g, u]) => op.swiglu(g, u), ref: swigluRef },
  { name: 'fused swiglu of a transposed view [4, 3]', inputs: [{ shape: [3, 4], lo: -4, hi: 4 }, { shape: [4, 3] }], gpu: ([g, u]) => op.swiglu(op.transpose(g), u), ref: ([g, u]) => swigluRef([ref.transpose(g), u]) },
  { name: 'fused causal_softmax [2, 3, 6, 6]', inputs: [{ shape: [2, 3, 6, 6], lo: -3, hi: 3 }], gpu: ([x]) => op.causalSoftmax(x, 0.7), ref: ([x]) => refCausalSoftmax(x, 0.7), K: 6 },
  { name: 'fused causal_softmax of a transposed view [2, 5, 5]', inputs: [{ shape: [2, 5, 5], lo: -3, hi: 3 }], gpu: ([x]) => op.causalSoftmax(op.transpose(x), 1.3), ref: ([x]) => refCausalSoftmax(ref.transpose(x), 1.3), K: 5 },
  { name: 'fused causal self-attention [2, 4, 8]', inputs: [{ shape: [2, 4, 8] }, { shape: [2, 4, 8] }, { shape: [2, 4, 8] }], gpu: ([q, k, v]) => op.causalSelfAttention(q, k, v), ref: ([q, k, v]) => ref.causalSelfAttention(q, k, v), K: 16 },
  { name: 'flash attention [2, 5, 4 x 4] (MHA)', inputs: [{ shape: [2, 5, 16] }, { shape: [2, 5, 16] }, { shape: [2, 5, 16] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 4 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 4), K: 20 },
  { name: 'flash attention [1, 6, 4 x 8] GQA 4 / 2 heads', inputs: [{ shape: [1, 6, 32] }, { shape: [1, 6, 16] }, { shape: [1, 6, 16] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 4, kvHeads: 2 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 2), K: 48 },
  { name: 'flash attention [1, 4, 2 x 24] GQA 2 / 1 (REGS8 rows)', inputs: [{ shape: [1, 4, 48] }, { shape: [1, 4, 24] }, { shape: [1, 4, 24] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 2, kvHeads: 1 }), ref: ([q, k, v]) => refFlash(q, k, v, 2, 1), K: 96 },
  // gemma2's soft-capped scores (cap 1.5: the cap bends most of these scores), forward and finite differences.
  { name: 'flash attention [1, 6, 4 x 8] GQA 4 / 2, scores soft-capped at 1.5', inputs: [{ shape: [1, 6, 32], lo: -2, hi: 2 }, { shape: [1, 6, 16], lo: -2, hi: 2 }, { shape: [1, 6, 16] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 4, kvHeads: 2, softcap: 1.5 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 2, 1.5), K: 48 },
  { name: 'causal attention rows (the composition) [1, 6, 4 x 8] GQA 4 / 2, scores soft-capped at 1.5', inputs: [{ shape: [1, 6, 32], lo: -2, hi: 2 }, { shape: [1, 6, 16], lo: -2, hi: 2 }, { shape: [1, 6, 16] }], gpu: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 4, kvHeads: 2, softcap: 1.5 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 2, 1.5), K: 48 },
  // A score scale of its own (granite's attention multiplier), in the kernel and in the composition.
  { name: 'flash attention [1, 6, 4 x 8] GQA 4 / 2, score scale 0.9', inputs: [{ shape: [1, 6, 32] }, { shape: [1, 6, 16] }, { shape: [1, 6, 16] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 4, kvHeads: 2, scale: 0.9 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 2, undefined, 0.9), K: 48 },
  { name: 'causal attention rows (the composition) [1, 6, 4 x 8] GQA 4 / 2, score scale 0.9', inputs: [{ shape: [1, 6, 32] }, { shape: [1, 6, 16] }, { shape: [1, 6, 16] }], gpu: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 4, kvHeads: 2, scale: 0.9 }), ref: ([q, k, v]) => refFlash(q, k, v, 4, 2, undefined, 0.9), K: 48 },
  // ALiBi (BLOOM, MPT, ...): 6 heads, two on the second slope series, GQA; the kernel and the composition (its [heads, T, T] mask), forward and finite differences.
  { name: 'flash attention [1, 6, 6 x 4] GQA 6 / 3, ALiBi of 8', inputs: [{ shape: [1, 6, 24] }, { shape: [1, 6, 12] }, { shape: [1, 6, 12] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 6, kvHeads: 3, alibi: 8 }), ref: ([q, k, v]) => refFlash(q, k, v, 6, 3, undefined, undefined, 8), K: 24 },
  { name: 'causal attention rows (the composition) [2, 5, 6 x 4], ALiBi of 4', inputs: [{ shape: [2, 5, 24] }, { shape: [2, 5, 24] }, { shape: [2, 5, 24] }], gpu: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 6, alibi: 4 }), ref: ([q, k, v]) => refFlash(q, k, v, 6, 6, undefined, undefined, 4), K: 24 },
  { name: 'flash attention of a T = 1 sequence, one head [3, 1, 4]', inputs: [{ shape: [3, 1, 4] }, { shape: [3, 1, 4] }, { shape: [3, 1, 4] }], gpu: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 1 }), ref: ([q, k, v]) => refFlash(q, k, v, 1, 1), K: 4 },
  // Rows longer than a workgroup (WG_ROW's strided loops); their gradients: the fused-vs-composition cases below.
  { name: 'fused causal_softmax [1, 80, 80]', inputs: [{ shape: [1, 80, 80], lo: -3, hi: 3 }], gpu: ([x]) => op.causalSoftmax(x, 0.25), ref: ([x]) => refCausalSoftmax(x, 0.25), K: 80, noGrad: true },
];

interface PairCase {
  name: string;
  shapes: number[][];
  fused: (x: Tensor[]) => Tensor;
  composed: (x: Tensor[]) => Tensor;
  K: number;
  rowReduce?: 'invocation' | 'workgroup';
}

function pairCase(c: PairCase): GpuCase {
  return {
    name: `fused vs composition: ${c.name}${c.rowReduce ? ` [${c.rowReduce} per row]` : ''}`,
    async run(ctx: GpuContext) {
      const g = new Graph(ctx, c.name, { rowReduce: c.rowReduce });
      try {
        const ins = c.shapes.map((s, k) => g.input(`in${k}`, s, 'f32', { requiresGrad: true }));
        const outs = [c.fused(ins), c.composed(ins)];
        const R = g.constant(randomF32(outs[0].numel, 777), outs[0].shape);
        const grads = outs.map((o) => {
          const gm = g.backward(op.sum(op.mul(o, R)), ins);
          return ins.map((t) => gm.get(t)!);
        });
        // Dispatches of each alone (forward, backward and the test's loss).
        const [fusedDispatches, composedDispatches] = await Promise.all([0, 1].map(async (j) => (await g.compile({ outputs: [outs[j], ...grads[j]] })).stats.dispatchesPerRun));
        const exe = await g.compile({ outputs: [...outs, ...grads.flat()] });
        const feeds: Record<string, ArrayBufferView> = {};
        c.shapes.forEach((s, k) => (feeds[`in${k}`] = randomF32(s.reduce((a, b) => a * b, 1), 40 + k, -3, 3)));
        await exe.run(feeds);
        let maxAbs = 0;
        const check = async (what: string, a: Tensor, b: Tensor) => {
          const x = await exe.read(a);
          const y = await exe.read(b);
          let mean = 0;
          for (const v of y) mean += Math.abs(v) / y.length;
          for (let i = 0; i < y.length; i++) {
            const err = Math.abs(x[i] - y[i]);
            maxAbs = Math.max(maxAbs, err);
            assert(Number.isFinite(x[i]) && err <= 8 * c.K * U_F32 * (Math.abs(y[i]) + mean), `${what}: element ${i} fused ${x[i]} vs composition ${y[i]}`);
          }
        };
        await check('forward', outs[0], outs[1]);
        for (let k = 0; k < ins.length; k++) await check(`d/d in${k}`, grads[0][k], grads[1][k]);
        return `dispatches ${composedDispatches} -> ${fusedDispatches}; max |fused - composition| ${maxAbs.toExponential(2)} over forward and ${ins.length} gradient(s)`;
      } finally {
        g.destroy();
      }
    },
  };
}

const B = 2;
const H = 4;
const T = 70;
const D = 8;
const PAIRS: PairCase[] = [
  { name: 'swiglu [512, 192] (the Shakespeare model FFN)', shapes: [[512, 192], [512, 192]], fused: ([g, u]) => op.swiglu(g, u), composed: ([g, u]) => op.mul(op.silu(g), u), K: 4 },
  ...(['invocation', 'workgroup'] as const).map((rowReduce) => ({
    name: `causal self-attention [${B}, ${H}, ${T}, ${D}]`,
    shapes: [[B, H, T, D], [B, H, T, D], [B, H, T, D]],
    fused: ([q, k, v]: Tensor[]) => op.causalSelfAttention(q, k, v),
    composed: ([q, k, v]: Tensor[]) => op.causalSelfAttention(q, k, v, { composed: true }),
    K: T * D,
    rowReduce,
  })),
  // The layer's shapes: GQA, T longer than a workgroup; an MQA (one KV head) case with head dim 12; head dim 40
  // (REGS16 register rows) and 72 (rows as private arrays, past the registers' 64).
  { name: 'flash attention [2, 70, 4 x 16] GQA 4 / 2', shapes: [[2, 70, 64], [2, 70, 32], [2, 70, 32]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 4, kvHeads: 2 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 4, kvHeads: 2, composed: true }), K: 70 * 16 },
  { name: 'flash attention [3, 33, 3 x 12] MQA 3 / 1', shapes: [[3, 33, 36], [3, 33, 12], [3, 33, 12]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 3, kvHeads: 1 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 3, kvHeads: 1, composed: true }), K: 33 * 12 },
  { name: 'flash attention [2, 20, 2 x 40] MHA (REGS16 rows)', shapes: [[2, 20, 80], [2, 20, 80], [2, 20, 80]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 2 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 2, composed: true }), K: 20 * 40 },
  { name: 'flash attention [2, 20, 2 x 16] soft-capped at 2 (QUAD where the adapter has it)', shapes: [[2, 20, 32], [2, 20, 32], [2, 20, 32]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 2, softcap: 2 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 2, composed: true, softcap: 2 }), K: 20 * 16 },
  { name: 'flash attention [2, 20, 2 x 16] score scale 0.7', shapes: [[2, 20, 32], [2, 20, 32], [2, 20, 32]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 2, scale: 0.7 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 2, composed: true, scale: 0.7 }), K: 20 * 16 },
  { name: 'flash attention [1, 12, 2 x 72] GQA 2 / 1 (array rows)', shapes: [[1, 12, 144], [1, 12, 72], [1, 12, 72]], fused: ([q, k, v]) => op.flashAttention(q, k, v, { heads: 2, kvHeads: 1 }), composed: ([q, k, v]) => op.causalAttentionRows(q, k, v, { heads: 2, kvHeads: 1, composed: true }), K: 12 * 72 },
];

/** flashAttention's bad shapes: each error names the tensor and what it needs. */
const FLASH_ERRORS: GpuCase = {
  name: 'flash attention and rope pair reject bad shapes with the tensor and the rule named',
  async run(ctx: GpuContext) {
    const g = new Graph(ctx, 'flash-errors');
    try {
      const x = (name: string, shape: number[]) => g.input(name, shape);
      const msgs = [
        await expectError('head dim 6', () => op.flashAttention(x('q1', [1, 4, 12]), x('k1', [1, 4, 12]), x('v1', [1, 4, 12]), { heads: 2 })),
        await expectError('kv heads 3 of 4', () => op.flashAttention(x('q2', [1, 4, 16]), x('k2', [1, 4, 12]), x('v2', [1, 4, 12]), { heads: 4, kvHeads: 3 })),
        await expectError('k of another length', () => op.flashAttention(x('q3', [1, 4, 16]), x('k3', [1, 5, 16]), x('v3', [1, 4, 16]), { heads: 4 })),
        await expectError('rank 2', () => op.flashAttention(x('q4', [4, 16]), x('k4', [4, 16]), x('v4', [4, 16]), { heads: 4 })),
        await expectError('rope pair k heads', () => op.ropePair(x('q5', [2, 3, 16]), x('k5', [2, 3, 12]), { heads: 2, kvHeads: 1 })),
      ];
      assert(/head dim 12 \/ 2 heads = 6 must be a multiple of 4/.test(msgs[0]) && msgs[0].includes("'q1'"), msgs[0]);
      assert(/heads 4 must be a positive multiple of kvHeads 3/.test(msgs[1]), msgs[1]);
      assert(/k must be \[1, 4, 16\]/.test(msgs[2]) && msgs[2].includes("'k3'"), msgs[2]);
      assert(/must be \[B, T, heads \* head_dim\]/.test(msgs[3]), msgs[3]);
      assert(/op 'rope_pair'.*'k5' \[2, 3, 12\].*kvHeads \* hd.*heads 2, kvHeads 1/.test(msgs[4]), msgs[4]);
      return msgs.join(' | ');
    } finally {
      g.destroy();
    }
  },
};

/** Attention.attend takes flash attention up to the adapter's flashAttentionMaxHeadDim and the composition above it. */
const FLASH_CHOICE: GpuCase = {
  name: "attention layer: flash attention up to the tuning's head dim or past the scores' size, else the composition",
  async run(ctx: GpuContext) {
    const max = tuningFor(ctx).flashAttentionMaxHeadDim;
    const out: string[] = [];
    for (const hd of [16, 40, 64]) {
      const g = new Graph(ctx, `choice-${hd}`);
      try {
        const a = Attention.gguf('blk.0', 32, { heads: 2, kvHeads: 1, headDim: hd, ropeBase: 10000, ropeLayout: 'norm' });
        // A short sequence (the head dim decides), and one whose scores [1, 2, T, T] pass FLASH_SCORES_BYTES (flash
        // at any head dim). Only nodes are made: nothing is compiled or allocated.
        for (const T of [3, Math.ceil(Math.sqrt(FLASH_SCORES_BYTES / 8)) + 1]) {
          const q = g.input(`q${T}`, [T, 2 * hd]);
          const kv = g.input(`kv${T}`, [T, hd]);
          const n0 = g.nodes.length;
          a.attend(q, kv, kv, 1, T);
          const ops = g.nodes.slice(n0).map((n) => n.op);
          const flash = ops.includes('flash_attention');
          const want = hd <= max || 4 * 2 * T * T > FLASH_SCORES_BYTES;
          assert(flash === want, `head dim ${hd}, T ${T} (max ${max}): ${flash ? 'flash attention' : 'the composition'} (${ops.join(', ')})`);
          out.push(`hd ${hd} T ${T}: ${flash ? 'flash' : 'composed'}`);
        }
      } finally {
        g.destroy();
      }
    }
    return `max ${max}; ${out.join(', ')}`;
  },
};

export const CASES: GpuCase[] = [
  FLASH_ERRORS,
  FLASH_CHOICE,
  ...OPS.map((c) => opCase(c)),
  ...OPS.filter((c) => c.name.includes('causal')).flatMap((c) => [opCase(c, 'invocation'), opCase(c, 'workgroup')]),
  ...PAIRS.map(pairCase),
];
