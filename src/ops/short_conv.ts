// LFM2's gated short convolution as a graph op (shaders/ops/short_conv.wgsl; reference src/ref/ops.ts shortConv):
//   shortConv(bcx [R, 3 dim], w [dim, L], seq) = C * conv(B * X)   [R, dim]
// bcx holds in_proj's B | C | X; the causal depthwise convolution of length L runs over each sequence of `seq` rows
// (R / seq sequences: training's batch), restarting at each sequence's first row. The backward is two dispatches:
// dbcx per (row, channel) and dw per (channel, tap).
import type { KernelDef } from '../gpu/kernel.js';
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype, requireRank } from './common.js';
import { contiguous } from './elementwise.js';
import { perItem } from './kernels.js';

export const SHORT_CONV: KernelDef = { name: 'short_conv', shader: 'ops/short_conv', defines: { BACKWARD: false, WEIGHT_GRAD: false, STATE: false } };
const SHORT_CONV_BWD: KernelDef = { name: 'short_conv_bwd', shader: 'ops/short_conv', defines: { BACKWARD: true } };
const SHORT_CONV_DW: KernelDef = { name: 'short_conv_dw', shader: 'ops/short_conv', defines: { BACKWARD: false, WEIGHT_GRAD: true } };

/** The forward's register window: kernels of 2..SHORT_CONV_MAX_TAPS taps (the shader's MAX_TAPS). */
export const SHORT_CONV_MAX_TAPS = 8;

function shapes(op: string, bcx: Tensor, w: Tensor, seq: number): { rows: number; dim: number; taps: number } {
  const inputs = [bcx, w];
  requireDtype(op, inputs, bcx, 'bcx', 'f32');
  requireDtype(op, inputs, w, 'w', 'f32');
  requireRank(op, inputs, bcx, 'bcx', 2);
  requireRank(op, inputs, w, 'w', 2);
  const [rows, three] = bcx.shape;
  const [dim, taps] = w.shape;
  if (three !== 3 * dim) throw new OpError(op, inputs, `bcx has ${three} columns, 3 x the kernel's ${dim} channels expected`);
  if (!(taps >= 2 && taps <= SHORT_CONV_MAX_TAPS)) throw new OpError(op, inputs, `the kernel has ${taps} taps, 2..${SHORT_CONV_MAX_TAPS} supported`);
  if (!(Number.isInteger(seq) && seq > 0 && rows % seq === 0)) throw new OpError(op, inputs, `${rows} rows are not whole sequences of ${seq}`);
  return { rows, dim, taps };
}

/** C * conv(B * X) of each sequence of `seq` rows of bcx [R, 3 dim] (B | C | X), kernel w [dim, L]: [R, dim]. */
export function shortConv(bcx0: Tensor, w0: Tensor, seq: number): Tensor {
  const g = graphOf('short_conv', [bcx0, w0]);
  const { rows, dim, taps } = shapes('short_conv', bcx0, w0, seq);
  const bcx = contiguous(bcx0);
  const w = contiguous(w0);
  const node = g.addNode('short_conv', [bcx, w], [{ shape: [rows, dim] }], { seq }, async (pc) => {
    const k = await perItem(pc.ctx, SHORT_CONV, (rows / seq) * dim);
    const y = node.outputs[0];
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { bcx: pc.buf(bcx), w: pc.buf(w), y: pc.buf(y) }, params: { rows, seq, dim, taps, row_pitch: k.rowPitch }, expect: { bcx: 4 * rows * 3 * dim, w: 4 * dim * taps, y: 4 * rows * dim } } }];
  });
  return node.outputs[0];
}

/** The rule of short_conv: [dbcx, dw]. */
export function shortConvBackward(bcx: Tensor, w: Tensor, dy0: Tensor, seq: number): [Tensor, Tensor] {
  const { rows, dim, taps } = shapes('short_conv_bwd', bcx, w, seq);
  if (dy0.rank !== 2 || dy0.shape[0] !== rows || dy0.shape[1] !== dim) throw new OpError('short_conv_bwd', [bcx, w, dy0], `dy must be [${rows}, ${dim}]`);
  const dy = contiguous(dy0);
  const params = (rowPitch: number) => ({ rows, seq, dim, taps, row_pitch: rowPitch });
  const dx = bcx.graph.addNode('short_conv_bwd', [bcx, w, dy], [{ shape: [rows, 3 * dim] }], { seq }, async (pc) => {
    const k = await perItem(pc.ctx, SHORT_CONV_BWD, rows * dim);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { bcx: pc.buf(bcx), w: pc.buf(w), dy: pc.buf(dy), dbcx: pc.buf(dx.outputs[0]) }, params: params(k.rowPitch), expect: { dy: 4 * rows * dim, dbcx: 4 * rows * 3 * dim } } }];
  });
  const dw = bcx.graph.addNode('short_conv_dw', [bcx, w, dy], [{ shape: [dim, taps] }], { seq }, async (pc) => {
    const k = await perItem(pc.ctx, SHORT_CONV_DW, dim * taps);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { bcx: pc.buf(bcx), dy: pc.buf(dy), dw: pc.buf(dw.outputs[0]) }, params: params(k.rowPitch), expect: { dy: 4 * rows * dim, dw: 4 * dim * taps } } }];
  });
  return [dx.outputs[0], dw.outputs[0]];
}
