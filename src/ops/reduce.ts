// Sum and mean over axes (shaders/ops/reduce.wgsl), reading strided views directly; `unbroadcast` sums a
// gradient back to an operand's shape (the backward of broadcasting).
import { type Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype, sameShape, vec8 } from './common.js';
import { perRow, REDUCE_DEF } from './kernels.js';
import { reshape } from './view.js';

function reduceNode(op: string, x: Tensor, axes: readonly number[], keepdims: boolean, alpha: number): Tensor {
  const g = graphOf(op, [x]);
  requireDtype(op, [x], x, 'x', 'f32');
  const ax = new Set(axes.map((a) => (a < 0 ? a + x.rank : a)));
  for (const a of ax) if (!Number.isInteger(a) || a < 0 || a >= x.rank) throw new OpError(op, [x], `axis ${a} is out of range`);
  const kept = x.shape.map((_, i) => i).filter((i) => !ax.has(i));
  const red = [...ax].sort((a, b) => a - b);
  const outShape = keepdims ? x.shape.map((n, i) => (ax.has(i) ? 1 : n)) : kept.map((i) => x.shape[i]);
  const n = kept.reduce((a, i) => a * x.shape[i], 1);
  const count = red.reduce((a, i) => a * x.shape[i], 1);
  const node = g.addNode(op, [x], [{ shape: outShape }], { axes: red, keepdims, alpha }, async (pc) => {
    const { kernel, workgroups, rowPitch } = await perRow(pc, REDUCE_DEF, n);
    return [
      {
        kernel,
        workgroups,
        args: {
          bindings: { x: pc.buf(x), y: pc.buf(node.outputs[0]) },
          params: {
            n,
            row_pitch: rowPitch,
            off: x.offset,
            kept_rank: kept.length,
            red_rank: red.length,
            count,
            alpha,
            ...vec8('kshape', kept.map((i) => x.shape[i]), 1),
            ...vec8('kstride', kept.map((i) => x.strides[i])),
            ...vec8('rshape', red.map((i) => x.shape[i]), 1),
            ...vec8('rstride', red.map((i) => x.strides[i])),
          },
          expect: { y: 4 * n },
        },
      },
    ];
  });
  return node.outputs[0];
}

const allAxes = (x: Tensor) => x.shape.map((_, i) => i);

/** Sum over `axes` (default all). */
export const sum = (x: Tensor, axes?: readonly number[], keepdims = false) => reduceNode('sum', x, axes ?? allAxes(x), keepdims, 1);

/** Mean over `axes` (default all). */
export function mean(x: Tensor, axes?: readonly number[], keepdims = false): Tensor {
  const ax = axes ?? allAxes(x);
  const count = ax.reduce((a, i) => a * x.shape[i < 0 ? i + x.rank : i], 1);
  return reduceNode('mean', x, ax, keepdims, 1 / count);
}

/** Sums `grad` down to `shape` (numpy broadcasting in reverse); the identity when shapes match. */
export function unbroadcast(grad: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const off = grad.rank - shape.length;
  const axes = grad.shape.map((_, i) => i).filter((i) => grad.shape[i] !== 1 && (i < off || shape[i - off] === 1));
  const s = axes.length ? sum(grad, axes, true) : grad;
  return reshape(s, shape.length ? shape : []);
}
