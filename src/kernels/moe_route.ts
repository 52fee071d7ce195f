// The mixture-of-experts kernels of the inference engine (src/lm/record.ts; references in src/ref/moe_route.ts):
//   moe_route (shaders/lm/moe_route.wgsl): router logits [rows, experts] to each row's expert weights [rows, experts],
//     zero outside the row's `used` largest probabilities;
//   moe_dispatch (shaders/lm/moe_dispatch.wgsl): the indirect arguments of every expert dispatch of a layer, zero work
//     for an expert no row chose, so a step pays for the experts its tokens use;
//   moe_add (shaders/lm/moe_add.wgsl): an expert's output added to the layer's sum by its router weight, rows that did
//     not choose it untouched.
import type { GpuContext } from '../gpu/context.js';
import type { KernelDef, Workgroups } from '../gpu/kernel.js';
import { perItem } from '../ops/kernels.js';
import { checkShape, type Dispatch } from './common.js';

/** How the router turns logits into probabilities: llama.cpp's expert_gating_func (softmax for every MoE family run here; a sigmoid for Qwen2-MoE's shared-expert gate). */
export type MoeGating = 'softmax' | 'sigmoid';

export const MOE_ROUTE: Record<MoeGating, KernelDef> = {
  softmax: { name: 'lm_moe_route', shader: 'lm/moe_route' },
  sigmoid: { name: 'lm_moe_route_sigmoid', shader: 'lm/moe_route', defines: { SIGMOID: true } },
};

/** The router with a selection bias (lfm2moe's exp_probs_b): chosen by probability + bias, weighted by probability. */
const MOE_ROUTE_BIAS: Record<MoeGating, KernelDef> = {
  softmax: { name: 'lm_moe_route_bias', shader: 'lm/moe_route', defines: { BIAS: true } },
  sigmoid: { name: 'lm_moe_route_sigmoid_bias', shader: 'lm/moe_route', defines: { SIGMOID: true, BIAS: true } },
};

/** The most experts a router takes (the shader's MAX_EXPERTS: a row's probabilities live in a private array; Kimi K2 has 384; llama.cpp's LLAMA_MAX_EXPERTS is 1024). */
export const MOE_MAX_EXPERTS = 1024;

/** The most expert groups (the shader's MAX_GROUPS; DeepSeek V3 has 8). */
export const MOE_MAX_GROUPS = 64;

export interface MoeRouteShape {
  rows: number;
  experts: number;
  /** Experts a row uses (llama.cpp's expert_used_count), 1..experts. */
  used: number;
  /** Divide the chosen weights by their sum (llama.cpp's norm_w). */
  norm: boolean;
  /** The weights times this (llama.cpp's expert_weights_scale; 1: none). */
  scale?: number;
  gating: MoeGating;
  /**
   * Group-limited selection (DeepSeek V3's; llama.cpp's expert_group_count > 1): the experts in `count` equal runs, a
   * group scored by the sum of its two largest scores, only the `used` best groups' experts chosen.
   */
  groups?: { count: number; used: number };
}

/** Checks a router's shape; the error names the quantity at fault. */
export function checkMoeRoute(s: MoeRouteShape): void {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  checkShape('moe_route', 'rows', int(s.rows, 1, 2 ** 31), `${s.rows} must be a positive integer`);
  checkShape('moe_route', 'experts', int(s.experts, 1, MOE_MAX_EXPERTS), `${s.experts} must be an integer in 1..${MOE_MAX_EXPERTS}`);
  checkShape('moe_route', 'used', int(s.used, 1, s.experts), `${s.used} must be an integer in 1..${s.experts} (the experts)`);
  checkShape('moe_route', 'scale', Number.isFinite(s.scale ?? 1), `${s.scale} must be finite`);
  if (s.groups) {
    const { count, used } = s.groups;
    checkShape('moe_route', 'groups', int(count, 2, MOE_MAX_GROUPS) && s.experts % count === 0 && s.experts / count >= 2, `${count} must be an integer in 2..${MOE_MAX_GROUPS} dividing the ${s.experts} experts into groups of at least 2`);
    checkShape('moe_route', 'groups.used', int(used, 1, count - 1) && used * (s.experts / count) >= s.used, `${used} must be an integer in 1..${count - 1} (the groups) whose experts (${s.experts / count} a group) number at least the ${s.used} used`);
  }
}

/** The shader's params of a router's groups: none as 0. */
export const groupParams = (s: Pick<MoeRouteShape, 'groups'>): { groups: number; group_used: number } => ({ groups: s.groups?.count ?? 0, group_used: s.groups?.used ?? 0 });

/** y [rows, experts] = each row's expert weights from its router logits [rows, experts]; selBias [experts]: lfm2moe's selection bias; s.groups: DeepSeek V3's group-limited selection. */
export async function planMoeRoute(ctx: GpuContext, logits: GPUBuffer, y: GPUBuffer, s: MoeRouteShape, selBias?: GPUBuffer): Promise<Dispatch> {
  checkMoeRoute(s);
  const { kernel, workgroups, rowPitch } = await perItem(ctx, (selBias ? MOE_ROUTE_BIAS : MOE_ROUTE)[s.gating], s.rows);
  const n = s.rows * s.experts;
  return {
    kernel,
    workgroups,
    args: {
      bindings: { logits, y, ...(selBias ? { sel_bias: selBias } : {}) },
      params: { rows: s.rows, experts: s.experts, used: s.used, norm: s.norm ? 1 : 0, scale: s.scale ?? 1, row_pitch: rowPitch, ...groupParams(s) },
      expect: { logits: 4 * n, y: 4 * n, ...(selBias ? { sel_bias: 4 * s.experts } : {}) },
    },
  };
}

export const MOE_DISPATCH: KernelDef = { name: 'lm_moe_dispatch', shader: 'lm/moe_dispatch' };
export const MOE_ADD: KernelDef = { name: 'lm_moe_add', shader: 'lm/moe_add' };

/** One expert dispatch an arming pass controls: its workgroups and its expert (a column of the router's weights). */
export interface MoeDispatchEntry {
  workgroups: Workgroups;
  expert: number;
}

/** The table planMoeDispatch reads: (x, y, z, expert) per entry, u32. */
export function moeDispatchTable(entries: readonly MoeDispatchEntry[]): Uint32Array {
  return Uint32Array.from(entries.flatMap((e) => [e.workgroups[0], e.workgroups[1] ?? 1, e.workgroups[2] ?? 1, e.expert]));
}

/**
 * args u32 [3 count] (a buffer with INDIRECT usage): entry k's workgroups where some row of w [rows, experts] chose its
 * expert (a weight not 0), (0, y, z) where none did. table: moeDispatchTable's.
 */
export async function planMoeDispatch(ctx: GpuContext, w: GPUBuffer, table: GPUBuffer, args: GPUBuffer, s: { rows: number; experts: number; count: number }): Promise<Dispatch> {
  checkShape('moe_dispatch', 'count', Number.isInteger(s.count) && s.count >= 1, `${s.count} must be a positive integer`);
  const { kernel, workgroups, rowPitch } = await perItem(ctx, MOE_DISPATCH, s.count);
  return {
    kernel,
    workgroups,
    args: { bindings: { w, table, args }, params: { rows: s.rows, experts: s.experts, count: s.count, row_pitch: rowPitch }, expect: { w: 4 * s.rows * s.experts, table: 16 * s.count, args: 12 * s.count } },
  };
}

/** y [rows, cols] = acc + w[t, col] x[t] (unit: acc + x[t]) on the rows whose weight w[t, col] (w [rows, wCols]) is not 0, acc elsewhere. */
export async function planMoeAdd(ctx: GpuContext, acc: GPUBuffer, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, s: { rows: number; cols: number; wCols: number; col: number; unit?: boolean }): Promise<Dispatch> {
  checkShape('moe_add', 'col', Number.isInteger(s.col) && s.col >= 0 && s.col < s.wCols, `${s.col} must be a column of the weights' ${s.wCols}`);
  const n = s.rows * s.cols;
  const { kernel, workgroups, rowPitch } = await perItem(ctx, MOE_ADD, n);
  return {
    kernel,
    workgroups,
    args: { bindings: { acc, x, w, y }, params: { rows: s.rows, cols: s.cols, w_cols: s.wCols, col: s.col, row_pitch: rowPitch, unit: s.unit ? 1 : 0 }, expect: { acc: 4 * n, x: 4 * n, w: 4 * s.rows * s.wCols, y: 4 * n } },
  };
}
