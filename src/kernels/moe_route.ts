// The mixture-of-experts router of the inference engine (shaders/lm/moe_route.wgsl; reference src/ref/moe_route.ts):
// router logits [rows, experts] to each row's expert weights [rows, experts], zero outside the row's `used` largest
// probabilities. The engine (src/lm/record.ts) scales each expert's output rows by its column.
import type { GpuContext } from '../gpu/context.js';
import type { KernelDef } from '../gpu/kernel.js';
import { perItem } from '../ops/kernels.js';
import { checkShape, type Dispatch } from './common.js';

/** How the router turns logits into probabilities: llama.cpp's expert_gating_func (softmax for every MoE family run here; a sigmoid for Qwen2-MoE's shared-expert gate). */
export type MoeGating = 'softmax' | 'sigmoid';

export const MOE_ROUTE: Record<MoeGating, KernelDef> = {
  softmax: { name: 'lm_moe_route', shader: 'lm/moe_route' },
  sigmoid: { name: 'lm_moe_route_sigmoid', shader: 'lm/moe_route', defines: { SIGMOID: true } },
};

/** The most experts a router takes (the shader's MAX_EXPERTS: a row's probabilities live in a private array). */
export const MOE_MAX_EXPERTS = 256;

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
}

/** Checks a router's shape; the error names the quantity at fault. */
export function checkMoeRoute(s: MoeRouteShape): void {
  const int = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;
  checkShape('moe_route', 'rows', int(s.rows, 1, 2 ** 31), `${s.rows} must be a positive integer`);
  checkShape('moe_route', 'experts', int(s.experts, 1, MOE_MAX_EXPERTS), `${s.experts} must be an integer in 1..${MOE_MAX_EXPERTS}`);
  checkShape('moe_route', 'used', int(s.used, 1, s.experts), `${s.used} must be an integer in 1..${s.experts} (the experts)`);
  checkShape('moe_route', 'scale', Number.isFinite(s.scale ?? 1), `${s.scale} must be finite`);
}

/** y [rows, experts] = each row's expert weights from its router logits [rows, experts]. */
export async function planMoeRoute(ctx: GpuContext, logits: GPUBuffer, y: GPUBuffer, s: MoeRouteShape): Promise<Dispatch> {
  checkMoeRoute(s);
  const { kernel, workgroups, rowPitch } = await perItem(ctx, MOE_ROUTE[s.gating], s.rows);
  const n = s.rows * s.experts;
  return {
    kernel,
    workgroups,
    args: {
      bindings: { logits, y },
      params: { rows: s.rows, experts: s.experts, used: s.used, norm: s.norm ? 1 : 0, scale: s.scale ?? 1, row_pitch: rowPitch },
      expect: { logits: 4 * n, y: 4 * n },
    },
  };
}
