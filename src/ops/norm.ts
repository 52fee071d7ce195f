// LayerNorm and RMSNorm over the last axis (shaders/ops/norm.wgsl). The forward also writes per-row
// [mean, rstd] (a second output the backward reads); dense rows are required, so a strided input is copied.
import type { Bindable } from '../gpu/kernel.js';
import type { PlanContext, Tensor } from '../graph/tensor.js';
import type { Dispatch } from '../kernels/common.js';
import { graphOf, OpError, requireDtype } from './common.js';
import { contiguous } from './elementwise.js';
import { normDef, perRow } from './kernels.js';
import { tuningFor } from '../kernels/tuning.js';
import type { Fusable } from '../graph/fuse.js';

function normNode(rms: boolean, x0: Tensor, gamma: Tensor, beta: Tensor | null, eps: number): Tensor {
  const op = rms ? 'rms_norm' : 'layer_norm';
  const inputs = beta ? [x0, gamma, beta] : [x0, gamma];
  const g = graphOf(op, inputs);
  for (const t of inputs) requireDtype(op, inputs, t, t === x0 ? 'x' : t === gamma ? 'gamma' : 'beta', 'f32');
  const cols = x0.shape[x0.rank - 1];
  if (x0.rank < 1 || gamma.rank !== 1 || gamma.shape[0] !== cols || (beta && (beta.rank !== 1 || beta.shape[0] !== cols))) {
    throw new OpError(op, inputs, `gamma${beta ? ' and beta' : ''} must be [${cols}] (x's last dim)`);
  }
  const x = contiguous(x0);
  const gm = contiguous(gamma);
  const bt = beta ? contiguous(beta) : null;
  const rows = x.numel / cols;
  const ins = bt ? [x, gm, bt] : [x, gm];
  const plan = async (pc: PlanContext, outputs: Tensor[], gather?: { table: Tensor; ids: Tensor; vocab: number }) => {
    const k = await perRow(pc, normDef(rms, 'FORWARD', false, !!gather), rows);
    const [y, stats, xOut] = outputs;
    const bindings: Record<string, Bindable> = { x: pc.buf(gather?.table ?? x), gamma: pc.buf(gm), y: pc.buf(y), stats: pc.buf(stats) };
    if (bt) bindings.beta = pc.buf(bt);
    if (gather) Object.assign(bindings, { ids: pc.buf(gather.ids), x_out: pc.buf(xOut) });
    const params = { rows, cols, row_pitch: k.rowPitch, eps, ...(gather ? { vocab: gather.vocab } : {}) };
    return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings, params, expect: { x: 4 * (gather ? gather.vocab * cols : x.numel), y: 4 * x.numel, stats: 8 * rows, ...(gather ? { ids: 4 * rows, x_out: 4 * x.numel } : {}) } } }];
  };
  // What fuseEmbeddingNorms (src/graph/fuse.ts) needs to run this norm on an embedding's rows as it gathers them.
  const gather: NormGather = { params: bt ? [gm, bt] : [gm], plan: (pc, outputs, table, ids, vocab) => plan(pc, outputs, { table, ids, vocab }) };
  const node = g.addNode(op, ins, [{ shape: x.shape }, { shape: [rows, 2] }], { eps, rows, cols, gather }, (pc) => plan(pc, node.outputs));
  return node.outputs[0];
}

/**
 * What a norm's forward node records as `attrs.gather`: its gamma (and beta), and its plan over an embedding's table
 * and ids (norm.wgsl GATHER), writing [y, stats, the embedding's output].
 */
export interface NormGather {
  params: Tensor[];
  plan: (pc: PlanContext, outputs: Tensor[], table: Tensor, ids: Tensor, vocab: number) => Promise<Dispatch[]>;
}

export const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5) => normNode(false, x, gamma, beta, eps);
export const rmsNorm = (x: Tensor, gamma: Tensor, eps = 1e-6) => normNode(true, x, gamma, null, eps);

/**
 * The rule of layer_norm / rms_norm: [dx, dgamma, dbeta?] from x, the saved stats and dy, in one dispatch (the rows'
 * invocations dx, then one invocation per column the parameter gradients).
 */
export function normBackward(rms: boolean, x: Tensor, gamma: Tensor, stats: Tensor, dy0: Tensor): Tensor[] {
  const g = x.graph;
  const cols = x.shape[x.rank - 1];
  const rows = x.numel / cols;
  const dy = contiguous(dy0);
  // The executor may fuse an add of dx into this dispatch (src/graph/fuse.ts): it replans with an addend.
  const fuse: Fusable = {
    inputs: [x, stats, dy, gamma],
    plan: async (pc, [dx, dgamma, dbeta], addend) => {
      // Items past the rows: columns (one invocation each), or under WG_ROW workgroups of reduceWG columns.
      const extra = pc.rowReduce === 'workgroup' ? Math.ceil(cols / tuningFor(pc.ctx).reduceWG) : cols;
      const k = await perRow(pc, normDef(rms, 'BACKWARD', !!addend), rows + extra);
      const bindings: Record<string, Bindable> = { x: pc.buf(x), stats: pc.buf(stats), dy: pc.buf(dy), gamma: pc.buf(gamma), dx: pc.buf(dx), dgamma: pc.buf(dgamma) };
      if (dbeta) bindings.dbeta = pc.buf(dbeta);
      if (addend) bindings.addend = addend;
      return [{ kernel: k.kernel, workgroups: k.workgroups, args: { bindings, params: { rows, cols, row_pitch: k.rowPitch, eps: 0 }, expect: { dx: 4 * x.numel, addend: 4 * x.numel, dgamma: 4 * cols, dbeta: 4 * cols } } }];
    },
  };
  const outs = [{ shape: x.shape }, { shape: [cols] }, ...(rms ? [] : [{ shape: [cols] }])];
  const node = g.addNode(`${rms ? 'rms' : 'layer'}_norm_bwd`, [x, stats, dy, gamma], outs, { fuse }, (pc) => fuse.plan(pc, node.outputs));
  return node.outputs;
}
