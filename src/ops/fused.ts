// Fused graph ops: one dispatch where the composition takes several, with the composition's arithmetic, so the two
// agree to the f32 bound (on SwiftShader bit for bit); test/cases/fused.cases.ts checks each against its
// composition (forward and backward), the f64 reference and finite differences.
//   swiglu(gate, up) = mul(silu(gate), up)                 shaders/ops/swiglu.wgsl: 2 dispatches -> 1; backward 3 -> 1
//   causalSoftmax(x, alpha) = softmax(add(scale(x, alpha), causalMask))   shaders/ops/softmax.wgsl CAUSAL: 3 -> 1;
//     backward (softmax_bwd, affine) 2 -> 1
import type { KernelDef } from '../gpu/kernel.js';
import type { Tensor } from '../graph/tensor.js';
import { graphOf, OpError, requireDtype, requireRank, sameShape } from './common.js';
import { contiguous } from './elementwise.js';
import { perRow, perRun } from './kernels.js';
import { SWIGLU } from '../kernels/lm.js';

const SWIGLU_BWD: KernelDef = { name: 'swiglu_bwd', shader: 'ops/swiglu', defines: { BACKWARD: true } };
// The causal softmax is softmax.wgsl's CAUSAL variant (the same loops over the keys a query reads).
const CAUSAL: KernelDef = { name: 'causal_softmax', shader: 'ops/softmax', defines: { CAUSAL: true, LOG: false, BACKWARD: false } };
const CAUSAL_BWD: KernelDef = { name: 'causal_softmax_bwd', shader: 'ops/softmax', defines: { CAUSAL: true, LOG: false, BACKWARD: true } };

/** silu(gate) * up, elementwise over tensors of one shape (strided views are copied first). */
export function swiglu(gate0: Tensor, up0: Tensor): Tensor {
  const inputs = [gate0, up0];
  const g = graphOf('swiglu', inputs);
  requireDtype('swiglu', inputs, gate0, 'gate', 'f32');
  requireDtype('swiglu', inputs, up0, 'up', 'f32');
  if (!sameShape(gate0.shape, up0.shape)) throw new OpError('swiglu', inputs, 'gate and up shapes differ');
  const gate = contiguous(gate0);
  const up = contiguous(up0);
  const n = gate.numel;
  const node = g.addNode('swiglu', [gate, up], [{ shape: gate.shape }], {}, async (pc) => {
    const k = await perRun(pc.ctx, SWIGLU, n);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { gate: pc.buf(gate), up: pc.buf(up), y: pc.buf(node.outputs[0]) }, params: { n, row_pitch: k.rowPitch }, expect: { gate: 4 * n, up: 4 * n, y: 4 * n } } }];
  });
  return node.outputs[0];
}

/** The rule of swiglu: [dgate, dup] in one dispatch. */
export function swigluBackward(gate: Tensor, up: Tensor, dy0: Tensor): Tensor[] {
  if (!sameShape(gate.shape, dy0.shape)) throw new OpError('swiglu_bwd', [gate, up, dy0], 'gate and dy shapes differ');
  const dy = contiguous(dy0);
  const n = gate.numel;
  const node = gate.graph.addNode('swiglu_bwd', [gate, up, dy], [{ shape: gate.shape }, { shape: gate.shape }], {}, async (pc) => {
    const k = await perRun(pc.ctx, SWIGLU_BWD, n);
    const [dgate, dup] = node.outputs;
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { gate: pc.buf(gate), up: pc.buf(up), dy: pc.buf(dy), dgate: pc.buf(dgate), dup: pc.buf(dup) }, params: { n, row_pitch: k.rowPitch }, expect: { dy: 4 * n, dgate: 4 * n, dup: 4 * n } } }];
  });
  return node.outputs;
}

function square(op: string, x: Tensor): { rows: number; cols: number } {
  const cols = x.shape[x.rank - 1];
  if (x.rank < 2 || x.shape[x.rank - 2] !== cols) throw new OpError(op, [x], 'scores must be [..., T, T] (queries x keys)');
  return { rows: x.numel / cols, cols };
}

/**
 * softmax(alpha * x + causal mask) over the last axis of attention scores [..., T, T] (query i reads keys 0..i):
 * what add(scale(x, alpha), causalMask(x, T)) -> softmax computes, in one dispatch.
 */
export function causalSoftmax(x0: Tensor, alpha: number): Tensor {
  const g = graphOf('causal_softmax', [x0]);
  requireDtype('causal_softmax', [x0], x0, 'x', 'f32');
  requireRank('causal_softmax', [x0], x0, 'x', 2);
  const x = contiguous(x0);
  const { rows, cols } = square('causal_softmax', x);
  const node = g.addNode('causal_softmax', [x], [{ shape: x.shape }], { alpha }, async (pc) => {
    const k = await perRow(pc, CAUSAL, rows);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { x: pc.buf(x), y: pc.buf(node.outputs[0]) }, params: { rows, cols, row_pitch: k.rowPitch, alpha }, expect: { x: 4 * x.numel, y: 4 * x.numel } } }];
  });
  return node.outputs[0];
}

/** The rule of causal_softmax: dx = alpha * y (dy - sum(dy y)) in one dispatch. */
export function causalSoftmaxBackward(y: Tensor, dy0: Tensor, alpha: number): Tensor {
  if (!sameShape(y.shape, dy0.shape)) throw new OpError('causal_softmax_bwd', [y, dy0], 'y and dy shapes differ');
  const dy = contiguous(dy0);
  const { rows, cols } = square('causal_softmax_bwd', y);
  const node = y.graph.addNode('causal_softmax_bwd', [y, dy], [{ shape: y.shape }], { alpha }, async (pc) => {
    const k = await perRow(pc, CAUSAL_BWD, rows);
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings: { y: pc.buf(y), dy: pc.buf(dy), dx: pc.buf(node.outputs[0]) }, params: { rows, cols, row_pitch: k.rowPitch, alpha }, expect: { dx: 4 * y.numel } } }];
  });
  return node.outputs[0];
}
