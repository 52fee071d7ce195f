// THE backward rules: one short entry per op (tinygrad's style), each written with graph ops, so the backward
// graph is an ordinary graph (scheduled, pooled and bound like the forward). `dy[i]` is the gradient of
// output i (null when that output takes no part); a rule returns one gradient per input (null: none).
import type { DType, Node, Tensor } from '../graph/tensor.js';
import { activationBackward, contiguous, div, expandScale, mul, neg, pad, scale, softcapBackward } from './elementwise.js';
import { crossEntropyBackward } from './loss.js';
import { matmul, quantMatmulGradInput } from './matmul.js';
import { normBackward } from './norm.js';
import { embeddingBackward } from './embedding.js';
import { fakeQuantBackward, fakeQuantLearnableBackward, pactBackward, type FakeQuantOptions, type LearnableFakeQuantOptions } from './fake_quant.js';
import { fakeQuantGgufBackward, type GgufFakeQuantType } from './fake_quant_gguf.js';
import { unbroadcast } from './reduce.js';
import { rope, ropePair, type RopeOptions } from './rope.js';
import { softmaxBackward } from './softmax.js';
import { causalSoftmaxBackward, swigluBackward } from './fused.js';
import { cast } from './cast.js';
import { flashAttentionBackward } from './flash_attention.js';
import { permute, reshape, slice, transpose } from './view.js';
import { shortConvBackward } from './short_conv.js';

export type GradRule = (n: Node, dy: (Tensor | null)[]) => (Tensor | null)[];

const ub = unbroadcast;
const keepShape = (n: Node) => n.inputs[0].shape.map((s, i) => ((n.attrs.axes as number[]).includes(i) ? 1 : s));

function ropePairGrads(n: Node, [dq, dk]: (Tensor | null)[], sign: number): [Tensor | null, Tensor | null] {
  if (!dq || !dk) return [dq ? rope(dq, { ...(n.attrs as RopeOptions), heads: n.attrs.heads as number }, sign) : null, dk ? rope(dk, { ...(n.attrs as RopeOptions), heads: n.attrs.kvHeads as number }, sign) : null];
  return ropePair(dq, dk, n.attrs as Parameters<typeof ropePair>[2], sign);
}

export const GRADS: Record<string, GradRule> = {
  relu: (n, [dy]) => [activationBackward('relu', n.inputs[0], dy!)],
  gelu: (n, [dy]) => [activationBackward('gelu', n.inputs[0], dy!)],
  silu: (n, [dy]) => [activationBackward('silu', n.inputs[0], dy!)],
  affine: (n, [dy]) => [scale(dy!, n.attrs.alpha as number)],
  softcap: (n, [dy]) => [softcapBackward(n.inputs[0], dy!, n.attrs.beta as number)],
  contiguous: (_n, [dy]) => [dy],
  expand: (n, [dy]) => [ub(dy!, n.inputs[0].shape)],
  expand_scale: (n, [dy]) => [scale(ub(dy!, n.inputs[0].shape), n.attrs.alpha as number)],
  add: ({ inputs: [a, b] }, [dy]) => [ub(dy!, a.shape), ub(dy!, b.shape)],
  sub: ({ inputs: [a, b] }, [dy]) => [ub(dy!, a.shape), ub(neg(dy!), b.shape)],
  mul: ({ inputs: [a, b] }, [dy]) => [ub(mul(dy!, b), a.shape), ub(mul(dy!, a), b.shape)],
  div: ({ inputs: [a, b] }, [dy]) => [ub(div(dy!, b), a.shape), ub(neg(div(mul(dy!, a), mul(b, b))), b.shape)],
  pad: (n, [dy]) => [(n.attrs.lo as number[]).reduce((t, lo, ax) => slice(t, ax, lo, lo + n.inputs[0].shape[ax]), dy!)],
  concat: ({ inputs: [a], attrs }, [dy]) => {
    const ax = attrs.axis as number;
    return [slice(dy!, ax, 0, a.shape[ax]), slice(dy!, ax, a.shape[ax], dy!.shape[ax])];
  },
  reshape: (n, [dy]) => [reshape(dy!, n.attrs.from as number[])],
  permute: (n, [dy]) => {
    const perm = n.attrs.perm as number[];
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [permute(dy!, inv)];
  },
  slice: (n, [dy]) => [pad(dy!, n.inputs[0].shape.map((_, i) => (i === n.attrs.axis ? (n.attrs.start as number) : 0)), n.inputs[0].shape)],
  sum: (n, [dy]) => [expandScale(reshape(dy!, keepShape(n)), n.inputs[0].shape, 1)],
  mean: (n, [dy]) => [expandScale(reshape(dy!, keepShape(n)), n.inputs[0].shape, n.attrs.alpha as number)],
  // b a transposed 2-D view (a Linear's x @ W^T, W [N, K]): db = (dy^T a)^T, so W's own gradient comes out dense
  // [N, K] (the same products and sums as a^T dy, no copy of the weight's gradient afterwards).
  matmul: ({ inputs: [a, b] }, [dy]) => [
    ub(matmul(dy!, transpose(b)), a.shape),
    a.rank === 2 && b.rank === 2 && dy!.rank === 2 && b.strides[0] === 1 && b.strides[1] === b.shape[0] && b.shape[0] > 1 ? transpose(matmul(transpose(dy!), a)) : ub(matmul(transpose(a), dy!), b.shape),
  ],
  matmul_q: ({ inputs: [, w] }, [dy]) => [quantMatmulGradInput(dy!, w), null, null, null],
  softmax: (n, [dy]) => [softmaxBackward(false, n.outputs[0], dy!)],
  moe_topk_mask: () => [null], // a constant (noGrad): never asked
  short_conv: (n, [dy]) => shortConvBackward(n.inputs[0], n.inputs[1], dy!, n.attrs.seq as number),
  causal_softmax: (n, [dy]) => [causalSoftmaxBackward(n.outputs[0], dy!, n.attrs.alpha as number)],
  swiglu: ({ inputs: [gate, up] }, [dy]) => swigluBackward(gate, up, dy!),
  flash_attention: (n, [dy]) => (dy ? flashAttentionBackward(n, dy) : [null, null, null]),
  log_softmax: (n, [dy]) => [softmaxBackward(true, n.outputs[0], dy!)],
  cross_entropy: ({ inputs: [logits, targets, stats], outputs: [, count], attrs }, [dy]) => (dy ? [crossEntropyBackward(logits, targets, stats, count, dy, attrs.ignore as number), null, null] : []),
  layer_norm: ({ inputs: [x, gamma], outputs: [, stats] }, [dy]) => (dy ? normBackward(false, x, gamma, stats, dy) : []),
  rms_norm: ({ inputs: [x, gamma], outputs: [, stats] }, [dy]) => (dy ? normBackward(true, x, gamma, stats, dy) : []),
  embedding: ({ inputs: [table, ids] }, [dy]) => [embeddingBackward(ids, dy!, table.shape[0], table.shape[1]), null],
  rope: (n, [dy]) => [rope(dy!, n.attrs, -1), null],
  cast: (n, [dy]) => [cast(dy!, n.attrs.from as DType)],
  rope_bwd: (n, [dy]) => [rope(dy!, n.attrs, 1), null],
  // Both gradients in one dispatch; an output that takes no part gets zeros rotated (its input's gradient is 0).
  rope_pair: (n, dys) => [...ropePairGrads(n, dys, -1), null],
  rope_pair_bwd: (n, dys) => [...ropePairGrads(n, dys, 1), null],
  // The kernel reads grad_y densely: a strided view (the weight's grad through transpose in a Linear) is materialised.
  fake_quant: ({ inputs: [x, range], outputs: [, scale, zp], attrs }, [dy]) => [
    dy ? fakeQuantBackward(x, scale, zp, dy.isContiguous() && dy.offset === 0 ? dy : contiguous(dy), attrs.options as FakeQuantOptions, range) : null,
    ...(range ? [null] : []),
  ],
  fake_quant_lsq: ({ inputs: [x, scale, zp], attrs }, [dy]) => {
    const o = attrs.options as LearnableFakeQuantOptions;
    // Frozen scales (method 'static'): the plain STE backward against them, nothing for the scales.
    if (o.frozen) return [fakeQuantBackward(x, scale, zp, dy!.isContiguous() && dy!.offset === 0 ? dy! : contiguous(dy!), { bits: o.bits, symmetric: o.symmetric, granularity: o.granularity, ...(o.midrise ? { midrise: true } : {}) }), null, null];
    const [gx, gs, gz] = fakeQuantLearnableBackward(x, scale, zp, dy!.isContiguous() && dy!.offset === 0 ? dy! : contiguous(dy!), o);
    return [gx, gs, o.learnZeroPoint ? gz : null];
  },
  pact: ({ inputs: [x, alpha], attrs }, [dy]) => pactBackward(x, alpha, dy!.isContiguous() && dy!.offset === 0 ? dy! : contiguous(dy!), { bits: attrs.bits as number }),
  fake_quant_gguf: ({ inputs: [w], attrs }, [dy]) => [dy ? fakeQuantGgufBackward(w, dy.isContiguous() ? dy : contiguous(dy), attrs.type as GgufFakeQuantType) : null],
};
