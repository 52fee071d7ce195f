// Elementwise ops on strided views with broadcasting (shaders/ops/ew.wgsl): relu, gelu, silu, affine (scale,
// neg, add a scalar), add/sub/mul/div, their backward helpers, copy (contiguous), pad (slice backward), concat.
import type { Bindable } from '../gpu/kernel.js';
import { numelOf, type Tensor } from '../graph/tensor.js';
import { broadcastShape, broadcastStrides, graphOf, OpError, requireDtype, sameShape, vec8, axisOf } from './common.js';
import { ewDef, perItem, type EwOp } from './kernels.js';

interface EwArgs {
  shape: readonly number[];
  a: Tensor;
  sa: readonly number[];
  b?: Tensor;
  sb?: readonly number[];
  alpha?: number;
  beta?: number;
  lo?: readonly number[];
  axis?: number;
  split?: number;
}

/**
 * The shape and strides with adjacent dims merged where every operand reads them as one (stride[d] = stride[d + 1] *
 * shape[d + 1]) and size-1 dims dropped: a dense tensor becomes one dim, a broadcast row two.
 */
export function mergeDims(shape: readonly number[], strides: (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const keep = shape.map((n, d) => (n === 1 ? -1 : d)).filter((d) => d >= 0);
  if (keep.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  const out = { shape: [shape[keep[0]]], strides: strides.map((s) => [s[keep[0]]]) };
  for (const d of keep.slice(1)) {
    const last = out.shape.length - 1;
    if (strides.every((s, k) => out.strides[k][last] === s[d] * shape[d])) {
      out.shape[last] *= shape[d];
      out.strides.forEach((s, k) => (s[last] = strides[k][d]));
    } else {
      out.shape.push(shape[d]);
      out.strides.forEach((s, k) => s.push(strides[k][d]));
    }
  }
  return out;
}

function ewNode(op: string, kind: EwOp, inputs: Tensor[], e: EwArgs, attrs: Record<string, unknown> = {}): Tensor {
  const g = graphOf(op, inputs);
  const n = numelOf(e.shape);
  // PAD and CONCAT keep their dims (their box and split are per dim) and write an element an invocation.
  const perElement = kind === 'PAD' || kind === 'CONCAT';
  const m = perElement ? { shape: [...e.shape], strides: [[...e.sa], [...(e.sb ?? [])]] } : mergeDims(e.shape, [e.sa, e.sb ?? e.shape.map(() => 0)]);
  const node = g.addNode(op, inputs, [{ shape: e.shape }], attrs, async (pc) => {
    const y = node.outputs[0];
    const run = perElement ? 1 : pc.elementwiseRun;
    const cols = m.shape[m.shape.length - 1];
    const items = perElement ? n : (n / cols) * Math.ceil(cols / run);
    const { kernel, workgroups, rowPitch } = await perItem(pc.ctx, ewDef(kind), items, { constants: { RUN: run } });
    const bindings: Record<string, Bindable> = { a: pc.buf(e.a), y: pc.buf(y) };
    if (e.b) bindings.b = pc.buf(e.b);
    return [
      {
        kernel,
        workgroups,
        args: {
          bindings,
          params: {
            n: items,
            rank: m.shape.length,
            row_pitch: rowPitch,
            off_a: e.a.offset,
            off_b: e.b?.offset ?? 0,
            axis: e.axis ?? 0,
            split: e.split ?? 0,
            alpha: e.alpha ?? 0,
            beta: e.beta ?? 0,
            ...vec8('shape', m.shape, 1),
            ...vec8('sa', m.strides[0]),
            ...vec8('sb', m.strides[1]),
            ...vec8('lo', e.lo ?? []),
          },
          expect: { y: 4 * n },
        },
      },
    ];
  });
  return node.outputs[0];
}

function unary(op: string, kind: EwOp, x: Tensor, alpha = 0, beta = 0): Tensor {
  requireDtype(op, [x], x, 'x', 'f32');
  return ewNode(op, kind, [x], { shape: x.shape, a: x, sa: x.strides, alpha, beta }, { alpha, beta });
}

export const relu = (x: Tensor) => unary('relu', 'RELU', x);
/** GELU, tanh approximation (GPT-2 / PyTorch approximate='tanh'). */
export const gelu = (x: Tensor) => unary('gelu', 'GELU', x);
export const silu = (x: Tensor) => unary('silu', 'SILU', x);
/** y = alpha * x + beta. */
export const affine = (x: Tensor, alpha: number, beta = 0) => unary('affine', 'AFFINE', x, alpha, beta);
export const scale = (x: Tensor, alpha: number) => affine(x, alpha, 0);
export const neg = (x: Tensor) => affine(x, -1, 0);
/** Soft-capping, y = cap * tanh(x / cap) (gemma2's attention scores and logits); cap > 0. */
export function softcap(x: Tensor, cap: number): Tensor {
  if (!(Number.isFinite(cap) && cap > 0)) throw new OpError('softcap', [x], `cap ${cap} must be a positive number`);
  return unary('softcap', 'SOFTCAP', x, 1 / cap, cap);
}

/** dy * softcap'(x) = dy (1 - tanh^2(x / cap)) (the backward of softcap). */
export function softcapBackward(x: Tensor, dy: Tensor, cap: number): Tensor {
  if (!sameShape(x.shape, dy.shape)) throw new OpError('softcap_bwd', [x, dy], 'x and dy shapes differ');
  return ewNode('softcap_bwd', 'SOFTCAP_BWD', [x, dy], { shape: x.shape, a: x, sa: x.strides, b: dy, sb: dy.strides, alpha: 1 / cap, beta: cap }, { cap });
}

/** A contiguous copy of `x` (the identity where `x` already is contiguous): for kernels that read dense rows. */
export function contiguous(x: Tensor): Tensor {
  if (x.isContiguous()) return x;
  return ewNode('contiguous', 'COPY', [x], { shape: x.shape, a: x, sa: x.strides });
}

/** Materialises `x` broadcast to `shape` (a copy). */
export function expandCopy(x: Tensor, shape: readonly number[]): Tensor {
  const bs = broadcastShape(x.shape, shape);
  if (!bs || !sameShape(bs, shape)) throw new OpError('expand', [x], `cannot broadcast to [${shape.join(', ')}]`);
  return ewNode('expand', 'COPY', [x], { shape, a: x, sa: broadcastStrides(x, shape) }, { shape });
}

function binary(op: string, kind: EwOp, a: Tensor, b: Tensor): Tensor {
  const inputs = [a, b];
  requireDtype(op, inputs, a, 'a', 'f32');
  requireDtype(op, inputs, b, 'b', 'f32');
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new OpError(op, inputs, 'shapes do not broadcast');
  return ewNode(op, kind, inputs, { shape, a, sa: broadcastStrides(a, shape), b, sb: broadcastStrides(b, shape) });
}

export const add = (a: Tensor, b: Tensor) => binary('add', 'ADD', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', 'SUB', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', 'MUL', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', 'DIV', a, b);

/** dy * f'(x) for the activations (used by their backward rules). */
export function activationBackward(op: 'relu' | 'gelu' | 'silu', x: Tensor, dy: Tensor): Tensor {
  const kind = `${op.toUpperCase()}_BWD` as EwOp;
  if (!sameShape(x.shape, dy.shape)) throw new OpError(`${op}_bwd`, [x, dy], 'x and dy shapes differ');
  return ewNode(`${op}_bwd`, kind, [x, dy], { shape: x.shape, a: x, sa: x.strides, b: dy, sb: dy.strides });
}

/** Zero padding: `x` placed at `lo` inside a zero tensor of `shape` (the backward of slice). */
export function pad(x: Tensor, lo: readonly number[], shape: readonly number[]): Tensor {
  requireDtype('pad', [x], x, 'x', 'f32');
  if (lo.length !== x.rank || shape.length !== x.rank || shape.some((n, i) => lo[i] < 0 || lo[i] + x.shape[i] > n)) {
    throw new OpError('pad', [x], `box at [${lo.join(', ')}] does not fit in [${shape.join(', ')}]`);
  }
  return ewNode('pad', 'PAD', [x], { shape, a: x, sa: x.strides, sb: x.shape, lo }, { lo, shape });
}

/** Concatenation along `axis` (any number of tensors, folded pairwise). */
export function concat(xs: Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error(`op 'concat': no inputs`);
  let y = xs[0];
  for (let i = 1; i < xs.length; i++) y = concat2(y, xs[i], axis);
  return y;
}

function concat2(a: Tensor, b: Tensor, axis: number): Tensor {
  const inputs = [a, b];
  requireDtype('concat', inputs, a, 'a', 'f32');
  requireDtype('concat', inputs, b, 'b', 'f32');
  const ax = axisOf('concat', inputs, a, axis);
  if (a.rank !== b.rank || a.shape.some((n, i) => i !== ax && n !== b.shape[i])) {
    throw new OpError('concat', inputs, `shapes must match except along axis ${ax}`);
  }
  const shape = a.shape.map((n, i) => (i === ax ? n + b.shape[i] : n));
  return ewNode('concat', 'CONCAT', inputs, { shape, a, sa: a.strides, b, sb: b.strides, axis: ax, split: a.shape[ax] }, { axis: ax });
}

/** alpha * x broadcast to `shape`, materialised (the backward of sum / mean). */
export function expandScale(x: Tensor, shape: readonly number[], alpha: number): Tensor {
  const bs = broadcastShape(x.shape, shape);
  if (!bs || !sameShape(bs, shape)) throw new OpError('expand', [x], `cannot broadcast to [${shape.join(', ')}]`);
  return ewNode('expand_scale', 'AFFINE', [x], { shape, a: x, sa: broadcastStrides(x, shape), alpha, beta: 0 }, { shape, alpha });
}
