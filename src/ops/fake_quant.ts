// fake_quant: x -> x_hat with quantizer parameters computed from the data on the GPU each run (dynamic QAT, as
// torchao's Int4WeightOnly / 8da4w fake quantizers): weights per group along K with the symmetric rule
// (max|w| / ((qmax - qmin) / 2), torchao's int4: max|w| / 7.5), activations per token with torchao's asymmetric
// per-token rule. Kernels: shaders/quant/fake_quant_qparams.wgsl, fake_quant.wgsl, fake_quant_backward.wgsl.
// Backward: straight-through estimator with the clip mask (scale and zero point are treated as constants, as
// torchao does for these dynamic quantizers).
import { planFakeQuant, planFakeQuantBackward, planFakeQuantBackwardLearnable, planFakeQuantDynamic, planPact, planPactBackward, type FakeQuantSpec } from '../kernels/fake_quant.js';
import { fakeQuantLayout, qRange, type FakeQuantGranularity } from '../ref/fake_quant.js';
import type { Tensor } from '../graph/tensor.js';
import type { SteMaskSource } from '../graph/fuse.js';
import { multiSource } from '../graph/group_fq.js';
import { graphOf, OpError, requireDtype } from './common.js';

export interface FakeQuantOptions {
  bits: number;
  symmetric: boolean;
  /** Per group of this many elements along the last axis (weights), or 'token' (one scale per row: activations). */
  granularity: { kind: 'group'; group: number } | { kind: 'token' } | { kind: 'tensor' };
  /**
   * Symmetric only: the midrise grid, levels (q + 0.5) * s (2 bits: +-0.5 s, +-1.5 s), no zero level. The scale
   * rule is the same max|w| / ((qmax - qmin) / 2), which puts the outer levels at +-max|w|.
   */
  midrise?: boolean;
}

function specOf(x: Tensor, o: FakeQuantOptions): FakeQuantSpec & { mode: 'symmetric' | 'asymmetric' } {
  const { qmin, qmax } = qRange(o.bits, o.symmetric);
  if (o.midrise && !o.symmetric) throw new Error(`fake_quant: ${x.name}: the midrise grid is symmetric (no zero point); asymmetric was asked`);
  return { shape: x.shape, granularity: o.granularity as FakeQuantGranularity, bits: o.bits, qmin, qmax, mode: o.symmetric ? 'symmetric' : 'asymmetric', ...(o.midrise ? { midrise: true } : {}) };
}

function channelsOf(x: Tensor, o: FakeQuantOptions): number {
  const K = x.shape[x.rank - 1];
  const rows = x.numel / K;
  if (o.granularity.kind === 'tensor') return 1;
  if (o.granularity.kind === 'token') return rows;
  return rows * (K / o.granularity.group);
}

/**
 * x_hat = fake-quant(x) with data-derived scale/zero point; outputs [x_hat, scale, zero_point]. `range`: a constant
 * [2] f32 tensor [qmin, qmax] read at run time (the kernels' RANGE variant), which the host may rewrite between runs
 * to move the bit-width without recompiling (AdaQAT); `o.bits` is then the widest it may hold. Its values must be a
 * valid range of at most `o.bits` bits (qmin <= 0 < qmax, integers): rangeFor(bits, symmetric) writes them.
 */
export function fakeQuant(x: Tensor, o: FakeQuantOptions, range?: Tensor): Tensor {
  const inputs = range ? [x, range] : [x];
  const g = graphOf('fake_quant', inputs);
  requireDtype('fake_quant', inputs, x, 'x', 'f32');
  if (!Number.isInteger(o.bits) || o.bits < 2 || o.bits > 8) throw new OpError('fake_quant', inputs, `bits=${o.bits} is not an integer in 2..8`);
  const K = x.shape[x.rank - 1];
  if (o.granularity.kind === 'group' && (!Number.isInteger(o.granularity.group) || o.granularity.group <= 0 || K % o.granularity.group !== 0)) {
    throw new OpError('fake_quant', inputs, `group size ${o.granularity.group} does not divide K=${K}`);
  }
  if (!x.isContiguous()) throw new OpError('fake_quant', inputs, 'x must be contiguous (call contiguous() first)');
  if (range && (range.numel !== 2 || range.dtype !== 'f32')) throw new OpError('fake_quant', inputs, `range must be f32 [2] ([qmin, qmax]), got ${range.dtype} [${range.shape.join(', ')}]`);
  const spec = specOf(x, o);
  const C = channelsOf(x, o);
  const node = g.addNode(
    'fake_quant',
    inputs,
    [{ shape: x.shape }, { shape: [C], name: 'fq_scale' }, { shape: [C], name: 'fq_zero_point' }],
    { options: o },
    async (pc) => {
      const [y, scale, zp] = node.outputs;
      const qrange = range ? pc.buf(range) : undefined;
      const b = { x: pc.buf(x), scale: pc.buf(scale), zero_point: pc.buf(zp), qrange };
      return planFakeQuantDynamic(pc.ctx, { ...b, y: pc.buf(y) }, spec);
    },
  );
  // Several weights' forwards as one dispatch where the executor groups them (src/graph/group_fq.ts).
  if (!range) node.attrs.fqMulti = multiSource('fake_quant', spec, o.granularity, { x, scale: node.outputs[1], zp: node.outputs[2], y: node.outputs[0] }, spec.mode);
  return node.outputs[0];
}

/** The [qmin, qmax] of `bits` (a `range` tensor's values). */
export function rangeFor(bits: number, symmetric: boolean): Float32Array {
  const { qmin, qmax } = qRange(bits, symmetric);
  return Float32Array.of(qmin, qmax);
}

/** STE backward: grad_x = grad_y where qmin <= round(x / s) + z <= qmax, else 0 (the quantizer of `y`'s node; `range` as its forward's). */
export function fakeQuantBackward(x: Tensor, scale: Tensor, zp: Tensor, dy: Tensor, o: FakeQuantOptions, range?: Tensor): Tensor {
  const inputs = range ? [x, scale, zp, dy, range] : [x, scale, zp, dy];
  const g = graphOf('fake_quant_bwd', inputs);
  if (!dy.isContiguous() || dy.offset !== 0) throw new OpError('fake_quant_bwd', inputs, 'dy must be dense (the kernel reads it flat): materialise views with contiguous()');
  const spec = specOf(x, o);
  const L = fakeQuantLayout(spec.shape, spec.granularity);
  // What the executor needs to run this as the epilogue of the matmul that makes dy (src/graph/fuse.ts fuseSteMasks).
  const steMask: SteMaskSource = {
    dy,
    reads: range ? [x, scale, zp, range] : [x, scale, zp],
    epilogue: (pc) => ({ x: pc.buf(x), scale: pc.buf(scale), ...(spec.mode === 'asymmetric' ? { zeroPoint: pc.buf(zp) } : {}), ...(range ? { qrange: pc.buf(range) } : {}), inner: L.inner, channels: L.channels, qmin: spec.qmin, qmax: spec.qmax, midrise: !!spec.midrise }),
  };
  const node = g.addNode('fake_quant_bwd', inputs, [{ shape: x.shape }], { options: o, steMask }, async (pc) => [
    await planFakeQuantBackward(pc.ctx, { x: pc.buf(x), grad_y: pc.buf(dy), scale: pc.buf(scale), zero_point: pc.buf(zp), grad_x: pc.buf(node.outputs[0]), qrange: range ? pc.buf(range) : undefined }, spec),
  ], range ? [1, 2, 3, 4] : [1, 2, 3]);
  return node.outputs[0];
}

/**
 * Learnable quantizer parameters (LSQ for weights, LSQ+ for activations): the scale (and zero point) are tensors of
 * the graph, trained with the weights. Granularity 'group' (weights, [rows * K / group] scales) or 'tensor' (one).
 * `learnZeroPoint` false: the zero point is a constant of the quantizer (symmetric weights: 0) and gets no gradient.
 * `gradFactor`: LSQ's g (default 1 / sqrt(elements per scale * qmax)).
 */
export interface LearnableFakeQuantOptions {
  bits: number;
  symmetric: boolean;
  granularity: { kind: 'group'; group: number } | { kind: 'tensor' };
  learnZeroPoint: boolean;
  gradFactor?: number;
  /** The midrise grid (as FakeQuantOptions; symmetric, zero point unused and without gradient). */
  midrise?: boolean;
  /**
   * The scale and zero point are constants of the quantizer (QAT's method 'static'): neither gets a gradient, and x's
   * is the plain STE backward (fake_quant_bwd with these scales: dy inside the code range, else 0), which the executor
   * can run as the epilogue of the matmul that makes dy (fuseSteMasks) instead of LSQ's backward and its scale sums.
   */
  frozen?: boolean;
}

/** y = (clamp(round(x / s) + z, qmin, qmax) - z) * s with `scale` / `zeroPoint` tensors of [C] (C = number of scales). */
export function fakeQuantLearnable(x: Tensor, scale: Tensor, zeroPoint: Tensor, o: LearnableFakeQuantOptions): Tensor {
  const inputs = [x, scale, zeroPoint];
  const g = graphOf('fake_quant_lsq', inputs);
  requireDtype('fake_quant_lsq', inputs, x, 'x', 'f32');
  if (!Number.isInteger(o.bits) || o.bits < 2 || o.bits > 8) throw new OpError('fake_quant_lsq', inputs, `bits=${o.bits} is not an integer in 2..8`);
  const K = x.shape[x.rank - 1];
  if (o.granularity.kind === 'group' && (!Number.isInteger(o.granularity.group) || o.granularity.group <= 0 || K % o.granularity.group !== 0)) {
    throw new OpError('fake_quant_lsq', inputs, `group size ${o.granularity.group} does not divide K=${K}`);
  }
  if (!x.isContiguous()) throw new OpError('fake_quant_lsq', inputs, 'x must be contiguous (call contiguous() first)');
  if (o.midrise && o.learnZeroPoint) throw new OpError('fake_quant_lsq', inputs, 'the midrise grid has no zero point to learn (learnZeroPoint: false)');
  if (o.frozen && o.learnZeroPoint) throw new OpError('fake_quant_lsq', inputs, 'a frozen quantizer learns nothing: learnZeroPoint must be false');
  const C = channelsOf(x, o as FakeQuantOptions);
  for (const [t, name] of [[scale, 'scale'], [zeroPoint, 'zero_point']] as const) {
    if (t.numel !== C || t.rank !== 1) throw new OpError('fake_quant_lsq', inputs, `${name} must be [${C}] (one per ${o.granularity.kind === 'group' ? `group of ${o.granularity.group}` : 'tensor'}), got [${t.shape.join(', ')}]`);
  }
  const spec = specOf(x, o as FakeQuantOptions);
  const node = g.addNode('fake_quant_lsq', inputs, [{ shape: x.shape }], { options: o }, async (pc) => [
    await planFakeQuant(pc.ctx, { x: pc.buf(x), scale: pc.buf(scale), zero_point: pc.buf(zeroPoint), y: pc.buf(node.outputs[0]) }, spec),
  ], o.frozen ? [1, 2] : undefined);
  node.attrs.fqMulti = multiSource('fake_quant_lsq', spec, o.granularity, { x, scale, zp: zeroPoint, y: node.outputs[0] });
  return node.outputs[0];
}

/** LSQ / LSQ+ backward: [grad_x (STE with the clip mask), grad_scale, grad_zero_point] (PyTorch's learnable semantics). */
export function fakeQuantLearnableBackward(x: Tensor, scale: Tensor, zeroPoint: Tensor, dy: Tensor, o: LearnableFakeQuantOptions): Tensor[] {
  const inputs = [x, scale, zeroPoint, dy];
  const g = graphOf('fake_quant_lsq_bwd', inputs);
  if (!dy.isContiguous() || dy.offset !== 0) throw new OpError('fake_quant_lsq_bwd', inputs, 'dy must be dense (the kernel reads it flat): materialise views with contiguous()');
  const spec = specOf(x, o as FakeQuantOptions);
  const perScale = x.numel / scale.numel;
  const gradFactor = o.gradFactor ?? 1 / Math.sqrt(perScale * spec.qmax);
  const node = g.addNode('fake_quant_lsq_bwd', inputs, [{ shape: x.shape }, { shape: scale.shape }, { shape: zeroPoint.shape }], { options: o }, async (pc) => {
    const [gx, gs, gz] = node.outputs;
    return [
      await planFakeQuantBackwardLearnable(
        pc.ctx,
        { x: pc.buf(x), grad_y: pc.buf(dy), scale: pc.buf(scale), zero_point: pc.buf(zeroPoint), grad_x: pc.buf(gx), grad_scale: pc.buf(gs), grad_zero_point: pc.buf(gz) },
        { ...spec, gradFactor },
      ),
    ];
  }, [1, 2, 3]);
  return node.outputs;
}

/**
 * PACT (Choi et al. 2018): x clipped to [0, alpha] with a learned clip `alpha` ([1]: per tensor) and quantized to
 * `bits` unsigned codes, s = alpha / (2^bits - 1). Backward: grad_x = dy where 0 <= x < alpha, grad_alpha = sum of
 * dy where x >= alpha (src/ref/fake_quant.ts pactBackwardRef).
 */
export function pact(x: Tensor, alpha: Tensor, o: { bits: number }): Tensor {
  const inputs = [x, alpha];
  const g = graphOf('pact', inputs);
  requireDtype('pact', inputs, x, 'x', 'f32');
  if (!Number.isInteger(o.bits) || o.bits < 2 || o.bits > 8) throw new OpError('pact', inputs, `bits=${o.bits} is not an integer in 2..8`);
  if (alpha.numel !== 1 || alpha.rank !== 1) throw new OpError('pact', inputs, `alpha must be [1] (one clip per tensor), got [${alpha.shape.join(', ')}]`);
  if (!x.isContiguous()) throw new OpError('pact', inputs, 'x must be contiguous (call contiguous() first)');
  const spec = { shape: x.shape, granularity: { kind: 'tensor' as const }, bits: o.bits };
  const node = g.addNode('pact', inputs, [{ shape: x.shape }], { bits: o.bits }, async (pc) => [
    await planPact(pc.ctx, { x: pc.buf(x), alpha: pc.buf(alpha), y: pc.buf(node.outputs[0]) }, spec),
  ]);
  return node.outputs[0];
}

/** PACT backward: [grad_x, grad_alpha]. */
export function pactBackward(x: Tensor, alpha: Tensor, dy: Tensor, o: { bits: number }): Tensor[] {
  const inputs = [x, alpha, dy];
  const g = graphOf('pact_bwd', inputs);
  if (!dy.isContiguous() || dy.offset !== 0) throw new OpError('pact_bwd', inputs, 'dy must be dense (the kernel reads it flat): materialise views with contiguous()');
  const spec = { shape: x.shape, granularity: { kind: 'tensor' as const }, bits: o.bits };
  const node = g.addNode('pact_bwd', inputs, [{ shape: x.shape }, { shape: alpha.shape }], { bits: o.bits }, async (pc) => [
    await planPactBackward(pc.ctx, { x: pc.buf(x), grad_y: pc.buf(dy), alpha: pc.buf(alpha), grad_x: pc.buf(node.outputs[0]), grad_alpha: pc.buf(node.outputs[1]) }, spec),
  ], [1, 2]);
  return node.outputs;
}
