// Softmax and log-softmax over the last axis (shaders/ops/softmax.ts). The kernel reads dense rows: a
// non-contiguous input is copied first.
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype, requireRank, sameShape } from './common.js';
import { contiguous } from './elementwise.js';
import { perRow, softmaxDef } from './kernels.js';

function rowsOf(t: Tensor): { rows: number; cols: number } {
  const cols = t.shape[t.rank - 1];
  return { rows: t.numel / cols, cols };
}

function softmaxNode(log: boolean, x0: Tensor): Tensor {
  const op = log ? 'log_softmax' : 'softmax';
  graphOf(op, [x0]);
  requireDtype(op, [x0], x0, 'x', 'f32');
  requireRank(op, [x0], x0, 'x', 1);
  const x = contiguous(x0);
  const { rows, cols } = rowsOf(x);
  const node = x.graph.addNode(op, [x], [{ shape: x.shape }], {}, async (pc) => {
    const { kernel, workgroups, rowPitch } = await perRow(pc, softmaxDef(log, false), rows);
    return [{ kernel, workgroups, args: { bindings: { x: pc.buf(x), y: pc.buf(node.outputs[0]) }, params: { rows, cols, row_pitch: rowPitch }, expect: { x: 4 * x.numel, y: 4 * x.numel } } }];
  });
  return node.outputs[0];
}

export const softmax = (x: Tensor) => softmaxNode(false, x);
export const logSoftmax = (x: Tensor) => softmaxNode(true, x);

/** dx from the forward output y and dy (the rules of softmax / log_softmax). */
export function softmaxBackward(log: boolean, y: Tensor, dy0: Tensor): Tensor {
  const op = `${log ? 'log_' : ''}softmax_bwd`;
  if (!sameShape(y.shape, dy0.shape)) throw new OpError(op, [y, dy0], 'y and dy shapes differ');
  const dy = contiguous(dy0);
  const { rows, cols } = rowsOf(y);
  const node = y.graph.addNode(op, [y, dy], [{ shape: y.shape }], {}, async (pc) => {
    const { kernel, workgroups, rowPitch } = await perRow(pc, softmaxDef(log, true), rows);
    return [{ kernel, workgroups, args: { bindings: { y: pc.buf(y), dy: pc.buf(dy), dx: pc.buf(node.outputs[0]) }, params: { rows, cols, row_pitch: rowPitch }, expect: { dx: 4 * y.numel } } }];
  });
  return node.outputs[0];
}
