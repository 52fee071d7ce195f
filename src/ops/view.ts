// Views: reshape, permute / transpose, slice. They record no dispatch: consumers read the storage through the
// view's strides and offset (ew, reduce kernels) or, where a kernel needs dense rows (softmax, norms, losses,
// embedding, rope) or matmul's layouts, `contiguous` inserts one copy (documented in each op).
import { fmtShape, numelOf, type Tensor } from '../graph/tensor.js';
import { axisOf, graphOf, OpError } from './common.js';
import { contiguous } from './elementwise.js';

/** Same elements, new shape (one dim may be -1): a view of a dense input (offset kept), else a copy first. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const g = graphOf('reshape', [x]);
  const known = shape.filter((n) => n !== -1);
  const infer = shape.length - known.length;
  const prod = numelOf(known);
  if (infer > 1 || known.some((n) => !Number.isInteger(n) || n <= 0) || (infer === 0 && prod !== x.numel) || (infer === 1 && x.numel % prod !== 0)) {
    throw new OpError('reshape', [x], `cannot reshape ${x.numel} elements to ${fmtShape(shape)}`);
  }
  const full = shape.map((n) => (n === -1 ? x.numel / prod : n));
  const src = x.isDense() ? x : contiguous(x);
  const strides: number[] = [];
  let acc = 1;
  for (let i = full.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= full[i];
  }
  return g.addView('reshape', src, full, strides, src.offset, { from: x.shape });
}

/** Reorders dims: y.shape[i] = x.shape[perm[i]] (no copy). */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const g = graphOf('permute', [x]);
  const seen = new Set(perm);
  if (perm.length !== x.rank || seen.size !== x.rank || perm.some((p) => !Number.isInteger(p) || p < 0 || p >= x.rank)) {
    throw new OpError('permute', [x], `[${perm.join(', ')}] is not a permutation of ${x.rank} dims`);
  }
  return g.addView('permute', x, perm.map((p) => x.shape[p]), perm.map((p) => x.strides[p]), x.offset, { perm });
}

/** Swaps two dims (default: the last two). */
export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const a = axisOf('transpose', [x], x, d0);
  const b = axisOf('transpose', [x], x, d1);
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/** Elements start <= i < end along `axis` (no copy). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const g = graphOf('slice', [x]);
  const ax = axisOf('slice', [x], x, axis);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > x.shape[ax] || start >= end) {
    throw new OpError('slice', [x], `range ${start}:${end} is empty or outside 0:${x.shape[ax]} on axis ${ax}`);
  }
  const shape = x.shape.map((n, i) => (i === ax ? end - start : n));
  return g.addView('slice', x, shape, x.strides, x.offset + start * x.strides[ax], { axis: ax, start });
}
