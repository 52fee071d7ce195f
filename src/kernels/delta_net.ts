// Gated DeltaNet's kernels (qwen35's linear-attention layers; src/nn/llama_delta_net.ts has the math): the causal
// convolution of q | k | v with its state (Mamba-2's shaders/lm/ssm_conv.wgsl without a bias, over attn_qkv's whole
// rows), the recurrence with its state (shaders/lm/delta_net.wgsl) and the per-head norm then gate
// (shaders/lm/ssm_gate_norm.wgsl NORM_FIRST). States persist across steps; a step at position 0 starts them from
// zeros (read from `pos`, so a recorded step replays at any position). References: src/ref/delta_net.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { DELTA_NET_MAX_HEAD, deltaNetConvChannels } from '../nn/llama_delta_net.js';
import { checkShape, type Dispatch } from './common.js';
import { items } from './lm.js';
import { tuningFor } from './tuning.js';

export const DELTA_NET_CONV: KernelDef = { name: 'lm_delta_net_conv', shader: 'lm/ssm_conv', defines: { NO_BIAS: true } };
export const DELTA_NET: KernelDef = { name: 'lm_delta_net', shader: 'lm/delta_net' };
export const DELTA_NET_NORM: KernelDef = { name: 'lm_delta_net_norm', shader: 'lm/ssm_gate_norm', defines: { NORM_FIRST: true } };

/** A Gated DeltaNet layer's shape: T rows, kHeads key heads and vHeads value heads of d channels, conv taps. */
export interface DeltaNetShape {
  T: number;
  kHeads: number;
  vHeads: number;
  d: number;
  taps: number;
  /** Value head h reads key head h / (vHeads / kHeads) (Qwen3-Next's repeat) instead of h % kHeads (Qwen3.5's tiling). */
  kRepeat?: boolean;
}

/** The convolution's channels (q | k | v): the config's count (llama_delta_net.ts) for a kernel shape. */
export const deltaNetChannels = (s: Omit<DeltaNetShape, 'T'>) => deltaNetConvChannels({ kHeads: s.kHeads, vHeads: s.vHeads, state: s.d });

function check(kernel: string, s: DeltaNetShape): void {
  for (const k of ['T', 'kHeads', 'vHeads', 'd', 'taps'] as const) checkShape(kernel, k, Number.isInteger(s[k]) && s[k] > 0, `${s[k]} must be a positive integer`);
  checkShape(kernel, 'taps', s.taps >= 2 && s.taps <= 8, `${s.taps} must be in 2..8`);
  checkShape(kernel, 'd', s.d <= DELTA_NET_MAX_HEAD, `${s.d} must be at most ${DELTA_NET_MAX_HEAD}`);
  checkShape(kernel, 'vHeads', s.vHeads % s.kHeads === 0, `${s.vHeads} must be a multiple of kHeads ${s.kHeads}`);
}

/** y [T, ch] = silu(conv(qkv)) of attn_qkv's output [T, ch]; `state` [taps - 1, ch] in and out; w [ch, taps]. */
export async function planDeltaNetConv(ctx: GpuContext, qkv: GPUBuffer, w: GPUBuffer, state: GPUBuffer, pos: GPUBuffer, y: GPUBuffer, s: DeltaNetShape): Promise<Dispatch> {
  check('delta_net_conv', s);
  const ch = deltaNetChannels(s);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, DELTA_NET_CONV, {}, { WG: wg });
  const g = items(ctx, ch, wg);
  return {
    kernel,
    args: {
      bindings: { src: qkv, w, state, pos, y },
      params: { T: s.T, ch, stride: ch, offset: 0, taps: s.taps, row_pitch: g.rowPitch },
      expect: { src: 4 * s.T * ch, w: 4 * ch * s.taps, state: 4 * (s.taps - 1) * ch, pos: 4 * s.T, y: 4 * s.T * ch },
    },
    workgroups: g.workgroups,
  };
}

/** y [T, vHeads d] = the recurrence over the convolved qkv with beta, alpha [T, vHeads]; `state` [vHeads, d, d] in and out; dtBias, a [vHeads]. */
export async function planDeltaNet(ctx: GpuContext, qkv: GPUBuffer, beta: GPUBuffer, alpha: GPUBuffer, dtBias: GPUBuffer, a: GPUBuffer, state: GPUBuffer, pos: GPUBuffer, y: GPUBuffer, s: DeltaNetShape & { eps: number }): Promise<Dispatch> {
  const { eps, ...shape } = s;
  check('delta_net', shape);
  checkShape('delta_net', 'eps', Number.isFinite(eps) && eps >= 0, `${eps} must be a finite number >= 0`);
  const wg = Math.min(64, ctx.limits.maxComputeInvocationsPerWorkgroup);
  const kernel = await getKernel(ctx, DELTA_NET, {}, { WG: wg });
  const { T, vHeads: H, d } = s;
  return {
    kernel,
    args: {
      bindings: { qkv, beta, alpha, dt_bias: dtBias, a, state, pos, y },
      params: { T, k_heads: s.kHeads, v_heads: H, d, eps, k_repeat: s.kRepeat ? 1 : 0 },
      expect: { qkv: 4 * T * deltaNetChannels(s), beta: 4 * T * H, alpha: 4 * T * H, dt_bias: 4 * H, a: 4 * H, state: 4 * H * d * d, pos: 4 * T, y: 4 * T * H * d },
    },
    workgroups: [H, 1, 1],
  };
}

/** out [T, vHeads d] = rmsnorm per head of y, times w [d], times silu(z) (z [T, vHeads d]: attn_gate's output). */
export async function planDeltaNetNorm(ctx: GpuContext, z: GPUBuffer, y: GPUBuffer, w: GPUBuffer, out: GPUBuffer, s: { T: number; vHeads: number; d: number; eps: number }): Promise<Dispatch> {
  for (const k of ['T', 'vHeads', 'd'] as const) checkShape('delta_net_norm', k, Number.isInteger(s[k]) && s[k] > 0, `${s[k]} must be a positive integer`);
  checkShape('delta_net_norm', 'eps', Number.isFinite(s.eps) && s.eps >= 0, `${s.eps} must be a finite number >= 0`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, DELTA_NET_NORM, {}, { WG: wg });
  const g = items(ctx, s.T * s.vHeads, wg);
  const inner = s.vHeads * s.d;
  return {
    kernel,
    args: {
      bindings: { zx: z, y, w, out },
      params: { T: s.T, inner, groups: s.vHeads, zx_stride: inner, eps: s.eps, row_pitch: g.rowPitch },
      expect: { zx: 4 * s.T * inner, y: 4 * s.T * inner, w: 4 * s.d, out: 4 * s.T * inner },
    },
    workgroups: g.workgroups,
  };
}
