// KernelDefs of the graph ops (shaders/ops/*.wgsl) and the 1-D grid helper they share.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Kernel, type KernelDef } from '../gpu/kernel.js';
import type { PlanContext } from '../graph/tensor.js';
import { grid1d } from '../kernels/common.js';
import { tuningFor } from '../kernels/tuning.js';

export const EW_OPS = ['COPY', 'AFFINE', 'SOFTCAP', 'RELU', 'GELU', 'SILU', 'CLAMP', 'ADD', 'SUB', 'MUL', 'DIV', 'RELU_BWD', 'GELU_BWD', 'SILU_BWD', 'SOFTCAP_BWD', 'PAD', 'CONCAT'] as const;
export type EwOp = (typeof EW_OPS)[number];
export const BINARY_EW = new Set<EwOp>(['ADD', 'SUB', 'MUL', 'DIV', 'RELU_BWD', 'GELU_BWD', 'SILU_BWD', 'SOFTCAP_BWD', 'CONCAT']);

const defs = new Map<string, KernelDef>();
function def(name: string, shader: string, defines: Record<string, boolean>): KernelDef {
  let d = defs.get(name);
  if (!d) defs.set(name, (d = { name, shader, defines }));
  return d;
}

export const ewDef = (op: EwOp) => def(`ew_${op.toLowerCase()}`, 'ops/ew', { [op]: true, BINARY: BINARY_EW.has(op) });
export const REDUCE_DEF: KernelDef = { name: 'reduce_sum_axes', shader: 'ops/reduce' };
export const softmaxDef = (log: boolean, backward: boolean) => def(`${log ? 'log_' : ''}softmax${backward ? '_bwd' : ''}`, 'ops/softmax', { LOG: log, BACKWARD: backward });
export const ceDef = (stage: 'ROWS' | 'MEAN' | 'BACKWARD') => def(`cross_entropy_${stage.toLowerCase()}`, 'ops/cross_entropy', { [stage]: true });
export const normDef = (rms: boolean, stage: 'FORWARD' | 'BACKWARD', accum = false, gather = false) =>
  def(`${rms ? 'rms' : 'layer'}norm_${stage.toLowerCase()}${accum ? '_add' : ''}${gather ? '_gather' : ''}`, 'ops/norm', { RMS: rms, BACKWARD: stage === 'BACKWARD', ACCUM: accum, GATHER: gather });
export const embeddingDef = (scatter: boolean, quad = false) => def(`embedding_${scatter ? 'scatter_add' : 'gather'}${quad ? '_quad' : ''}`, 'ops/embedding', { SCATTER: scatter, QUAD: quad });
export const castDef = (toF16: boolean) => def(toF16 ? 'cast_f32_to_f16' : 'cast_f16_to_f32', 'ops/cast', { TO_F16: toF16 });
export const ROPE_DEF: KernelDef = { name: 'rope', shader: 'ops/rope' };

/**
 * Elements per invocation of an elementwise kernel with a RUN constant (swiglu, rope, the cross-entropy backward):
 * the tuning's elementwiseRun (8 on CPU adapters, where an invocation's fixed cost is paid once for 8; 1 on GPUs),
 * at most n.
 */
export const elementRun = (ctx: GpuContext, n: number): number => Math.max(1, Math.min(tuningFor(ctx).elementwiseRun, n));

/**
 * One invocation per item: the kernel (WG from the tuning table; `o` adds preprocessor defines and override
 * constants), its grid and the row pitch to pass.
 */
export async function perItem(
  ctx: GpuContext,
  d: KernelDef,
  items: number,
  o: { defines?: Record<string, string | number | boolean>; constants?: Record<string, number> } = {},
): Promise<{ kernel: Kernel; workgroups: [number, number]; rowPitch: number }> {
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, d, o.defines ?? {}, { WG: wg, ...o.constants });
  const g = grid1d(ctx, Math.ceil(items / wg));
  return { kernel, workgroups: g.workgroups, rowPitch: g.gridX * wg };
}

/** One invocation per run of elementRun(n) of n elements: perItem with the kernel's RUN constant set. */
export async function perRun(ctx: GpuContext, d: KernelDef, n: number): Promise<{ kernel: Kernel; workgroups: [number, number]; rowPitch: number }> {
  const run = elementRun(ctx, n);
  return perItem(ctx, d, Math.ceil(n / run), { constants: { RUN: run } });
}

/** One invocation per row, or (pc.rowReduce === 'workgroup') one workgroup per row: rowPitch is then workgroups per grid row. */
export async function perRow(pc: PlanContext, d: KernelDef, rows: number): Promise<{ kernel: Kernel; workgroups: [number, number]; rowPitch: number }> {
  if (pc.rowReduce !== 'workgroup') return perItem(pc.ctx, d, rows);
  const wg = tuningFor(pc.ctx).reduceWG;
  const kernel = await getKernel(pc.ctx, d, { WG_ROW: true }, { WG: wg });
  const g = grid1d(pc.ctx, rows);
  return { kernel, workgroups: g.workgroups, rowPitch: g.gridX };
}
