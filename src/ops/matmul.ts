// matmul: a [..., M, K] @ b [..., K, N] -> [..., M, N], batch dims broadcast. f32 runs on planMatmulF32
// (src/kernels/matmul.ts), which reads either layout of each operand (transA / transB) and one batch stride per
// operand (0 broadcasts): transposed views and broadcast weights cost no copy. Operands whose batch dims do not
// collapse to one stride, or whose offset is not storage-aligned, are copied first (`contiguous`/`expandCopy`).
//
// Quantized weights (dtype 'q4' / 'q8' with a QuantScheme) run on the dequant-fused kernels: symmetric schemes built
// in, others through registerQuantMatmul. A registered planner may give the gradient with respect to the
// activations through the quantized weights (dx = dy W); QAT keeps f32 master weights, so theirs is the f32 path.
import { canGroupMatmulF32, f32Variant, planMatmulF32, planMatmulF32Group, planMatmulQ } from '../kernels/matmul.js';
import { rangeFrom, wholeBuffer } from '../gpu/kernel.js';
import type { Dispatch } from '../kernels/common.js';
import { numelOf, type PlanContext, type QuantWeight, type Tensor } from '../graph/tensor.js';
import { broadcastShape, broadcastStrides, graphOf, OpError, requireDtype, requireRank } from './common.js';
import { add, contiguous, expandCopy } from './elementwise.js';
import { reshape } from './view.js';
import type { Fusable, SteMaskFusable } from '../graph/fuse.js';
import type { Gemm } from '../graph/group.js';

/** A quantized matmul family (issue 4 registers W4A16 / W8A8 here): y [M, N] = x [M, K] @ dequant(w)^T. */
/** pc.buf(w) holds the packed codes; pc.buf(q.scales) / pc.buf(q.zeros) the rest (src/quant/layout.ts). */
export interface QuantMatmulPlanner {
  forward(pc: PlanContext, x: Tensor, w: Tensor, y: Tensor, s: { M: number; N: number; K: number; q: QuantWeight }): Promise<Dispatch[]>;
  /** dx [M, K] = dy [M, N] @ dequant(w). */
  gradInput?(pc: PlanContext, dy: Tensor, w: Tensor, dx: Tensor, s: { M: number; N: number; K: number; q: QuantWeight }): Promise<Dispatch[]>;
}

/**
 * The default: nibble's dequant-fused kernels (planMatmulQ, f32 activations) for symmetric weights, codes offset by
 * 2^(bits-1) as src/quant/layout.ts packs them, or unsigned codes with an integer zero point per group (value
 * (u - z) * s): what the Linear layer's convert makes. A float min needs a registered planner. No gradInput:
 * converted models run forward only (QAT trains f32 master weights).
 */
const FUSED: QuantMatmulPlanner = {
  async forward(pc, x, w, y, { M, N, K, q }) {
    const mode = q.scheme.mode; // quantParam gives an asymmetric weight its zeros
    if (mode === 'float-min') throw new OpError('matmul', [x, w], 'the built-in quantized matmul takes symmetric weights or integer zero points; a float min needs registerQuantMatmul');
    const group = q.scheme.groupSize >= K ? undefined : q.scheme.groupSize;
    const b = (t: Tensor) => wholeBuffer(pc.buf(t), t.describe());
    return planMatmulQ(pc.ctx, b(x), { bits: q.scheme.bits, N, K, group, mode: mode === 'asymmetric' ? 'zero-point' : 'symmetric', codes: b(w), scales: b(q.scales), ...(q.zeros ? { zeros: b(q.zeros) } : {}) }, b(y), { M, xType: 'f32' });
  },
};

const QUANT = new Map<string, QuantMatmulPlanner>([
  ['q4', FUSED],
  ['q8', FUSED],
]);
export function registerQuantMatmul(dtype: 'q4' | 'q8', planner: QuantMatmulPlanner): void {
  QUANT.set(dtype, planner);
}

/** How a [.., rows, cols] view's last two dims are laid out for the kernel, or null (needs a copy). */
function layout(t: Tensor, rows: number, cols: number): { trans: boolean } | null {
  const s0 = t.strides[t.rank - 1];
  const s1 = t.strides[t.rank - 2];
  if ((s0 === 1 || cols === 1) && (s1 === cols || rows === 1)) return { trans: false };
  if ((s1 === 1 || rows === 1) && (s0 === rows || cols === 1)) return { trans: true };
  return null;
}

/** The single batch stride that reads `t` broadcast to `batch`, or null. */
function batchStride(t: Tensor, batch: readonly number[]): number | null {
  if (batch.length === 0) return 0;
  const st = broadcastStrides(t, [...batch, 1, 1]).slice(0, batch.length);
  let S: number | null = null;
  let inner = 1;
  for (let d = batch.length - 1; d >= 0; d--) {
    if (batch[d] > 1) {
      if (S === null) S = st[d] / inner;
      if (st[d] !== S * inner) return null;
    }
    inner *= batch[d];
  }
  return Number.isInteger(S ?? 0) ? (S ?? 0) : null;
}

export function matmul(a: Tensor, b: Tensor): Tensor {
  const inputs = [a, b];
  const g = graphOf('matmul', inputs);
  requireRank('matmul', inputs, a, 'a', 2);
  requireRank('matmul', inputs, b, 'b', 2);
  requireDtype('matmul', inputs, a, 'a', 'f32');
  if (b.dtype === 'q4' || b.dtype === 'q8') return quantMatmul(a, b);
  requireDtype('matmul', inputs, b, 'b', 'f32');
  const [M, K] = a.shape.slice(-2);
  const [K2, N] = b.shape.slice(-2);
  if (K !== K2) throw new OpError('matmul', inputs, `inner dims differ: a has K=${K}, b has K=${K2}`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!batch) throw new OpError('matmul', inputs, 'batch dims do not broadcast');
  // A 2-D weight: fold a's batch into M (one GEMM).
  if (b.rank === 2 && a.rank > 2) {
    const y = matmul(reshape(a, [-1, K]), b);
    return reshape(y, [...a.shape.slice(0, -1), N]);
  }
  const align = g.ctx.limits.minStorageBufferOffsetAlignment / 4;
  const prep = (t: Tensor, rows: number, cols: number) => {
    let x = t;
    if (!layout(x, rows, cols) || x.offset % align !== 0) x = contiguous(x);
    let stride = batchStride(x, batch);
    if (stride === null) {
      x = expandCopy(x, [...batch, rows, cols]);
      stride = rows * cols;
    }
    return { x, trans: layout(x, rows, cols)!.trans, stride };
  };
  const A = prep(a, M, K);
  const B = prep(b, K, N);
  const nb = numelOf(batch);
  // The executor may fuse an add of the product into this dispatch (src/graph/fuse.ts): it replans with an addend.
  const fuse: Fusable = {
    inputs: [A.x, B.x],
    plan: async (pc, [y], addend) => [
      await planMatmulF32(pc.ctx, at(pc, A.x), at(pc, B.x), pc.buf(y), { M, N, K, transA: A.trans, transB: B.trans, batch: nb, strideA: A.stride, strideB: B.stride, strideC: M * N, addend }),
    ],
  };
  // Batch 1: the executor may also run it in one dispatch with products sharing an operand (src/graph/group.ts).
  const gemm: Gemm | undefined = nb === 1 ? { a: A.x, b: B.x, M, N, K, transA: A.trans, transB: B.trans, can: canGroupMatmulF32, plan: planGemmGroup } : undefined;
  // Batch 1 on the 'rows' or 'tiled' kernel: the executor may store the product through a fake-quant STE mask (fuseSteMasks).
  const steMask: SteMaskFusable | undefined = nb === 1 ? {
    inputs: [A.x, B.x],
    can: (ctx) => ['rows', 'tiled'].includes(f32Variant(ctx, { M })),
    plan: async (pc, [y], mask) => [await planMatmulF32(pc.ctx, at(pc, A.x), at(pc, B.x), pc.buf(y), { M, N, K, transA: A.trans, transB: B.trans, steMask: mask })],
  } : undefined;
  const node = g.addNode('matmul', [A.x, B.x], [{ shape: [...batch, M, N] }], { M, N, K, fuse, ...(gemm ? { gemm } : {}), ...(steMask ? { steMask } : {}) }, (pc) => fuse.plan(pc, node.outputs));
  return node.outputs[0];
}

// An aligned offset is bound as a buffer range (Kernel.bind takes {buffer, offset}).
const at = (pc: PlanContext, t: Tensor) => rangeFrom(pc.buf(t), 4 * t.offset);

/** A group of batch-1 products in one dispatch (Gemm.plan): the shared operand bound once. */
const planGemmGroup: Gemm['plan'] = (pc, kind, gemms, outputs, addend) => {
  const a0 = at(pc, gemms[0].a);
  const b0 = at(pc, gemms[0].b);
  const c0 = pc.buf(outputs[0]);
  const products = gemms.map((g, i) => ({
    a: kind === 'shareA' ? a0 : at(pc, g.a),
    b: kind === 'shareB' ? b0 : at(pc, g.b),
    c: kind === 'sum' ? c0 : pc.buf(outputs[i]),
    M: g.M,
    N: g.N,
    K: g.K,
    transA: g.transA,
    transB: g.transB,
  }));
  return planMatmulF32Group(pc.ctx, kind, products, { addend: addend && pc.buf(addend) });
};

function quantMatmul(a: Tensor, w: Tensor): Tensor {
  const inputs = [a, w];
  const planner = QUANT.get(w.dtype);
  if (!planner || !w.quant) {
    throw new OpError('matmul', inputs, `quantized weight ${w.describe()} needs a ${w.dtype} matmul kernel; none is registered (registerQuantMatmul)`);
  }
  const g = graphOf('matmul', inputs);
  const [N, K] = w.shape;
  if (w.rank !== 2 || a.shape[a.rank - 1] !== K) throw new OpError('matmul', inputs, `quantized weight must be [N, K] with K = a's last dim`);
  let x = reshape(a, [-1, K]);
  if (!x.isContiguous() || x.offset !== 0) x = contiguous(x);
  const M = x.shape[0];
  const q = w.quant;
  const side = q.zeros ? [q.scales, q.zeros] : [q.scales];
  const node = g.addNode('matmul_q', [x, w, ...side], [{ shape: [M, N] }], { M, N, K }, (pc) => planner.forward(pc, x, w, node.outputs[0], { M, N, K, q }), [1, 2, 3]);
  return reshape(node.outputs[0], [...a.shape.slice(0, -1), N]);
}

/** dx = dy @ dequant(w) through the registered quantized kernel (the rule for matmul_q). */
export function quantMatmulGradInput(dy: Tensor, w: Tensor): Tensor {
  const planner = QUANT.get(w.dtype);
  if (!planner?.gradInput || !w.quant) throw new OpError('matmul_q_grad', [dy, w], `no gradInput kernel registered for ${w.dtype}`);
  const g = graphOf('matmul_q_grad', [dy, w]);
  const [N, K] = w.shape;
  const M = dy.shape[0];
  const q = w.quant;
  const side = q.zeros ? [q.scales, q.zeros] : [q.scales];
  const node = g.addNode('matmul_q_grad', [dy, w, ...side], [{ shape: [M, K] }], { M, N, K }, (pc) => planner.gradInput!(pc, dy, w, node.outputs[0], { M, N, K, q }), [1, 2, 3]);
  return node.outputs[0];
}

/** x @ w (+ b): w stored [in, out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = matmul(x, w);
  return b ? addBias(y, b) : y;
}

/** Bias add over the last axis (broadcasting add). */
export const addBias = (y: Tensor, b: Tensor) => add(y, b);
