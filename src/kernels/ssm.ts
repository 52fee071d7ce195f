// The Mamba-2 mixer's kernels (granitehybrid's SSM layers; src/nn/llama_ssm.ts has the math): the causal
// convolution with its state (shaders/lm/ssm_conv.wgsl), the selective scan with its state (ssm_scan.wgsl) and the
// gated group norm (ssm_gate_norm.wgsl). They read ssm_in's output zxBCdt [T, 2 inner + 2 G N + H] in place (z, xBC
// and dt are column ranges of its rows). States persist across steps; a step at position 0 starts them from zeros
// (read from `pos`, so a recorded step replays at any position). References: src/ref/ssm.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { SSM_MAX_TAPS } from '../nn/llama_ssm.js';
import { checkShape, type Dispatch } from './common.js';
import { items } from './lm.js';
import { tuningFor } from './tuning.js';

export const SSM_CONV: KernelDef = { name: 'lm_ssm_conv', shader: 'lm/ssm_conv' };
export const SSM_SCAN: KernelDef = { name: 'lm_ssm_scan', shader: 'lm/ssm_scan' };
export const SSM_GATE_NORM: KernelDef = { name: 'lm_ssm_gate_norm', shader: 'lm/ssm_gate_norm' };
/** The gate alone (a Falcon-H1 file without ssm_norm). */
export const SSM_GATE: KernelDef = { name: 'lm_ssm_gate', shader: 'lm/ssm_gate_norm', defines: { NO_NORM: true } };

/** A Mamba-2 layer's shape: T rows, `inner` = heads x headDim channels, state N, groups G, conv taps. */
export interface SsmShape {
  T: number;
  inner: number;
  heads: number;
  state: number;
  groups: number;
  taps: number;
}

const convChannels = (s: SsmShape) => s.inner + 2 * s.groups * s.state;
/** ssm_in's output columns: z | xBC | dt. */
export const ssmProjCols = (s: SsmShape) => 2 * s.inner + 2 * s.groups * s.state + s.heads;

function check(kernel: string, s: SsmShape): void {
  for (const [k, v] of Object.entries(s)) checkShape(kernel, k, Number.isInteger(v) && v > 0, `${v} must be a positive integer`);
  checkShape(kernel, 'taps', s.taps >= 2 && s.taps <= SSM_MAX_TAPS, `${s.taps} must be in 2..${SSM_MAX_TAPS}`);
  checkShape(kernel, 'heads', s.inner % s.heads === 0 && s.heads % s.groups === 0, `inner ${s.inner} must be a multiple of heads ${s.heads}, and heads of groups ${s.groups}`);
}

/** xbc [T, ch] = silu(conv(xBC) + bias) from zx's xBC columns; `state` [taps - 1, ch] in and out; bias [ch] (zeros where the model has none). */
export async function planSsmConv(ctx: GpuContext, zx: GPUBuffer, w: GPUBuffer, bias: GPUBuffer, state: GPUBuffer, pos: GPUBuffer, xbc: GPUBuffer, s: SsmShape): Promise<Dispatch> {
  check('ssm_conv', s);
  const ch = convChannels(s);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, SSM_CONV, {}, { WG: wg });
  const g = items(ctx, ch, wg);
  const stride = ssmProjCols(s);
  return {
    kernel,
    args: {
      bindings: { src: zx, w, bias, state, pos, y: xbc },
      params: { T: s.T, ch, stride, offset: s.inner, taps: s.taps, row_pitch: g.rowPitch },
      expect: { src: 4 * s.T * stride, w: 4 * ch * s.taps, bias: 4 * ch, state: 4 * (s.taps - 1) * ch, pos: 4 * s.T, y: 4 * s.T * ch },
    },
    workgroups: g.workgroups,
  };
}

/** y [T, inner] = the scan over xbc (x | B | C) with zx's dt columns; `state` [heads, inner / heads, N] in and out; dtBias, a, d [heads]. */
export async function planSsmScan(ctx: GpuContext, xbc: GPUBuffer, zx: GPUBuffer, dtBias: GPUBuffer, a: GPUBuffer, d: GPUBuffer, state: GPUBuffer, pos: GPUBuffer, y: GPUBuffer, s: SsmShape): Promise<Dispatch> {
  check('ssm_scan', s);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, SSM_SCAN, {}, { WG: wg });
  const g = items(ctx, s.inner, wg);
  const stride = ssmProjCols(s);
  return {
    kernel,
    args: {
      bindings: { xbc, zx, dt_bias: dtBias, a, d, state, pos, y },
      params: { T: s.T, heads: s.heads, head_dim: s.inner / s.heads, d_state: s.state, groups: s.groups, zx_stride: stride, dt_offset: stride - s.heads, row_pitch: g.rowPitch },
      expect: { xbc: 4 * s.T * convChannels(s), zx: 4 * s.T * stride, dt_bias: 4 * s.heads, a: 4 * s.heads, d: 4 * s.heads, state: 4 * s.inner * s.state, pos: 4 * s.T, y: 4 * s.T * s.inner },
    },
    workgroups: g.workgroups,
  };
}

/** out [T, inner] = rmsnorm per group of (silu(z) * y) times w [inner], z from zx's first inner columns; w null: silu(z) * y. */
export async function planSsmGateNorm(ctx: GpuContext, zx: GPUBuffer, y: GPUBuffer, w: GPUBuffer | null, out: GPUBuffer, s: SsmShape & { eps: number }): Promise<Dispatch> {
  const { eps, ...shape } = s;
  check('ssm_gate_norm', shape);
  checkShape('ssm_gate_norm', 'eps', Number.isFinite(eps) && eps >= 0, `${eps} must be a finite number >= 0`);
  checkShape('ssm_gate_norm', 'groups', s.inner % s.groups === 0, `inner ${s.inner} must be a multiple of groups ${s.groups}`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, w ? SSM_GATE_NORM : SSM_GATE, {}, { WG: wg });
  const g = items(ctx, s.T * s.groups, wg);
  const stride = ssmProjCols(s);
  return {
    kernel,
    args: {
      bindings: { zx, y, out, ...(w ? { w } : {}) },
      params: { T: s.T, inner: s.inner, groups: s.groups, zx_stride: stride, eps, row_pitch: g.rowPitch },
      expect: { zx: 4 * s.T * stride, y: 4 * s.T * s.inner, out: 4 * s.T * s.inner, ...(w ? { w: 4 * s.inner } : {}) },
    },
    workgroups: g.workgroups,
  };
}
