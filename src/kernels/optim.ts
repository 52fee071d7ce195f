// Optimizer kernels on f32 master weights (shaders/optim): SGD with momentum, AdamW, and global-norm gradient
// clipping across several tensors. Plan functions return Dispatches (see src/kernels/basic.ts); a training loop
// binds once and per step only rewrites the params uniform (BoundKernel.update(adamwUniforms(opts, step))).
// CPU oracle: src/ref/optim.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { ADAMW_DEFAULTS, adamwBias, type AdamWOptions, type SgdOptions } from '../ref/optim.js';
import { checkShape, grid1d, padSlots, prefixSums, runDispatches, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export { ADAMW_DEFAULTS, type AdamWOptions, type SgdOptions } from '../ref/optim.js';

export const SGD: KernelDef = { name: 'sgd', shader: 'optim/sgd' };
export const ADAMW: KernelDef = { name: 'adamw', shader: 'optim/adamw' };
export const GRAD_NORM = {
  sumsq: { name: 'grad_norm_sumsq', shader: 'optim/grad_norm', defines: { SUMSQ: true } },
  finalize: { name: 'grad_norm_finalize', shader: 'optim/grad_norm', defines: { FINALIZE: true } },
  scale: { name: 'grad_norm_scale', shader: 'optim/grad_norm', defines: { SCALE: true } },
} satisfies Record<string, KernelDef>;

function checkN(kernel: string, n: number): void {
  checkShape(kernel, 'n', Number.isInteger(n) && n > 0 && n < 2 ** 31, `n=${n} must be a positive integer below 2^31`);
}

function checkHyper(kernel: string, o: Record<string, number | boolean | undefined>): void {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'number') checkShape(kernel, k, Number.isFinite(v) && v >= 0, `${k}=${v} must be finite and >= 0`);
  }
}

/**
 * One SGD step over n elements. `momentum_buf` is required when momentum > 0; `first` marks the first step (the
 * buffer then starts as a copy of the gradient, as PyTorch). `clip_coef`: the [norm, coef] buffer of planGradNorm.
 */
export async function planSgd(
  ctx: GpuContext,
  b: { param: Bindable; grad: Bindable; momentum_buf?: Bindable; clip_coef?: Bindable },
  n: number,
  o: SgdOptions & { first: boolean },
): Promise<Dispatch> {
  checkN('sgd', n);
  checkHyper('sgd', { lr: o.lr, momentum: o.momentum, dampening: o.dampening, weightDecay: o.weightDecay });
  const momentum = o.momentum ?? 0;
  checkShape('sgd', 'momentum_buf', momentum === 0 || !!b.momentum_buf, `momentum=${momentum} needs a momentum_buf binding`);
  checkShape('sgd', 'nesterov', !o.nesterov || (momentum > 0 && (o.dampening ?? 0) === 0), 'Nesterov momentum requires a momentum and zero dampening');
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, SGD, { MOMENTUM: momentum > 0, CLIP: !!b.clip_coef }, { WG: wg });
  const g = grid1d(ctx, Math.ceil(n / wg));
  const bindings: Record<string, Bindable> = { param: b.param, grad: b.grad };
  if (momentum > 0) bindings.momentum_buf = b.momentum_buf!;
  if (b.clip_coef) bindings.clip_coef = b.clip_coef;
  return {
    kernel,
    args: {
      bindings,
      params: { n, row_pitch: g.gridX * wg, first: o.first ? 1 : 0, nesterov: o.nesterov ? 1 : 0, lr: o.lr, momentum, dampening: o.dampening ?? 0, weight_decay: o.weightDecay ?? 0 },
      expect: { param: 4 * n, grad: 4 * n, momentum_buf: 4 * n, clip_coef: 8 },
    },
    workgroups: g.workgroups,
  };
}

/** The AdamW params uniform for step count `step` (1-based): bias corrections in f64 on the host, as PyTorch. */
export function adamwUniforms(o: AdamWOptions, step: number, n: number, rowPitch: number): Record<string, number> {
  const { stepSize, bc2Sqrt } = adamwBias(o, step);
  return {
    n,
    row_pitch: rowPitch,
    lr: o.lr,
    beta1: o.beta1 ?? ADAMW_DEFAULTS.beta1,
    beta2: o.beta2 ?? ADAMW_DEFAULTS.beta2,
    eps: o.eps ?? ADAMW_DEFAULTS.eps,
    weight_decay: o.weightDecay ?? ADAMW_DEFAULTS.weightDecay,
    step_size: stepSize,
    bc2_sqrt: bc2Sqrt,
  };
}

/** One AdamW step (step count `step`, 1-based) over n elements; exp_avg / exp_avg_sq start as zeros. */
export async function planAdamW(
  ctx: GpuContext,
  b: { param: Bindable; grad: Bindable; exp_avg: Bindable; exp_avg_sq: Bindable; clip_coef?: Bindable },
  n: number,
  o: AdamWOptions & { step: number },
): Promise<Dispatch> {
  checkN('adamw', n);
  checkHyper('adamw', { lr: o.lr, eps: o.eps, weightDecay: o.weightDecay });
  for (const k of ['beta1', 'beta2'] as const) {
    const v = o[k];
    checkShape('adamw', k, v === undefined || (v >= 0 && v < 1), `${k}=${v} must be in [0, 1)`);
  }
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, ADAMW, { CLIP: !!b.clip_coef }, { WG: wg });
  const g = grid1d(ctx, Math.ceil(n / wg));
  const bindings: Record<string, Bindable> = { param: b.param, grad: b.grad, exp_avg: b.exp_avg, exp_avg_sq: b.exp_avg_sq };
  if (b.clip_coef) bindings.clip_coef = b.clip_coef;
  return {
    kernel,
    args: { bindings, params: adamwUniforms(o, o.step, n, g.gridX * wg), expect: { param: 4 * n, grad: 4 * n, exp_avg: 4 * n, exp_avg_sq: 4 * n, clip_coef: 8 } },
    workgroups: g.workgroups,
  };
}

export const ADAMW_MULTI: KernelDef = { name: 'adamw_multi', shader: 'optim/adamw_multi' };

/** One tensor of a multi-tensor AdamW step: its buffers, size, first element in the flat moments, lr and decay. */
export interface AdamWTensor {
  param: Bindable;
  grad: Bindable;
  n: number;
  /** Index of its first element in the flat first moments (its second moments: that + the bank's total). */
  state: number;
  lr: number;
  weightDecay: number;
}

/** Tensors one adamw_multi dispatch updates on this device: 5, or fewer where 2 per tensor + 2 (moments, clip) exceed its storage-buffer limit. */
export function adamwMultiGroup(ctx: GpuContext): number {
  return Math.max(1, Math.min(ADAMW_MULTI_MAX, Math.floor((ctx.limits.maxStorageBuffersPerShaderStage - 2) / 2)));
}

const ADAMW_MULTI_MAX = 5;

/**
 * The adamw_multi uniforms of one dispatch's tensors at step count `step` (the per-tensor lr's bias corrections in
 * f64); `total`: the bank's first-moment elements (where its second moments start).
 */
export function adamwMultiUniforms(ctx: GpuContext, ts: readonly AdamWTensor[], o: Omit<AdamWOptions, 'lr' | 'weightDecay'>, step: number, layout: { rowPitch: number; run: number; total: number }): Record<string, number | number[]> {
  const { wg } = multiShape(ctx);
  const { rowPitch, run } = layout;
  const groups = ts.map((t) => Math.ceil(t.n / (wg * run)));
  const first = prefixSums(groups);
  const w = groups.reduce((a, c) => a + c, 0);
  // Five slots: a vec4 field and its scalar `_4`; slots past the dispatch's tensors start past every workgroup.
  const slots = (name: string, xs: number[], fill: number) => {
    const all = padSlots(xs, ADAMW_MULTI_MAX, fill);
    return { [name]: all.slice(0, 4), [`${name}_4`]: all[4] };
  };
  return {
    ...slots('n', ts.map((t) => t.n), 0),
    ...slots('first', first, w),
    ...slots('state', ts.map((t) => t.state), 0),
    ...slots('lr', ts.map((t) => t.lr), 0),
    ...slots('weight_decay', ts.map((t) => t.weightDecay), 0),
    ...slots('step_size', ts.map((t) => adamwBias({ ...o, lr: t.lr }, step).stepSize), 0),
    beta1: o.beta1 ?? ADAMW_DEFAULTS.beta1,
    beta2: o.beta2 ?? ADAMW_DEFAULTS.beta2,
    eps: o.eps ?? ADAMW_DEFAULTS.eps,
    bc2_sqrt: adamwBias({ ...o, lr: 1 }, step).bc2Sqrt,
    row_pitch: rowPitch,
    total: layout.total,
  };
}

const multiShape = (ctx: GpuContext, run?: number) => ({ wg: tuningFor(ctx).elementwiseWG, run: run ?? tuningFor(ctx).optimizer.run });

/**
 * AdamW over many tensors in few dispatches (adamw_multi.wgsl: adamwMultiGroup(ctx) tensors each), the moments in one
 * flat buffer (`moments`: every tensor's first moments at its `state`, then the second moments as many elements
 * further on, 2 x total floats); the same arithmetic as planAdamW per tensor. Returns the dispatches and, per
 * dispatch, its tensors and layout (to write each step's uniforms with adamwMultiUniforms). `o.run`: elements per
 * invocation (default the adapter's tuning, optimizer.run).
 */
export async function planAdamWMulti(
  ctx: GpuContext,
  tensors: readonly AdamWTensor[],
  state: { moments: GPUBuffer; clip_coef?: GPUBuffer },
  o: Omit<AdamWOptions, 'lr' | 'weightDecay'> & { step: number; run?: number },
): Promise<{ dispatch: Dispatch; tensors: AdamWTensor[]; rowPitch: number; run: number; total: number }[]> {
  checkShape('adamw_multi', 'tensors', tensors.length > 0, 'no tensors given');
  for (const k of ['beta1', 'beta2'] as const) {
    const v = o[k];
    checkShape('adamw_multi', k, v === undefined || (v >= 0 && v < 1), `${k}=${v} must be in [0, 1)`);
  }
  let total = 0;
  tensors.forEach((t, k) => {
    checkN(`adamw_multi (tensor ${k})`, t.n);
    checkHyper(`adamw_multi (tensor ${k})`, { lr: t.lr, weightDecay: t.weightDecay });
    total = Math.max(total, t.state + t.n);
  });
  const { wg, run } = multiShape(ctx, o.run);
  checkShape('adamw_multi', 'run', Number.isInteger(run) && run >= 1, `run=${run} must be a positive integer`);
  const per = adamwMultiGroup(ctx);
  const out: { dispatch: Dispatch; tensors: AdamWTensor[]; rowPitch: number; run: number; total: number }[] = [];
  for (let i = 0; i < tensors.length; i += per) {
    const ts = tensors.slice(i, i + per);
    const kernel = await getKernel(ctx, ADAMW_MULTI, { T2: ts.length > 1, T3: ts.length > 2, T4: ts.length > 3, T5: ts.length > 4, CLIP: !!state.clip_coef }, { WG: wg, RUN: run });
    const g = grid1d(ctx, ts.reduce((a, t) => a + Math.ceil(t.n / (wg * run)), 0));
    const bindings: Record<string, Bindable> = { moments: state.moments };
    const expect: Record<string, number> = { moments: 8 * total, clip_coef: 8 };
    ts.forEach((t, k) => {
      bindings[`p${k}`] = t.param;
      bindings[`g${k}`] = t.grad;
      expect[`p${k}`] = expect[`g${k}`] = 4 * t.n;
    });
    if (state.clip_coef) bindings.clip_coef = state.clip_coef;
    const layout = { rowPitch: g.gridX, run, total };
    out.push({ dispatch: { kernel, args: { bindings, params: adamwMultiUniforms(ctx, ts, o, o.step, layout), expect }, workgroups: g.workgroups }, tensors: ts, ...layout });
  }
  return out;
}

/** Workgroups (= partial sums) the SUMSQ pass gives a tensor of n elements. */
export function gradNormPartialCount(ctx: GpuContext, n: number): number {
  const wg = tuningFor(ctx).reduceWG;
  return Math.max(1, Math.min(Math.ceil(n / (tuningFor(ctx).optimizer.normElems * wg)), 256, ctx.limits.maxComputeWorkgroupsPerDimension));
}

/** Floats the `partials` scratch buffer of planGradNorm needs for these tensor sizes. */
export function gradNormPartials(ctx: GpuContext, sizes: readonly number[]): number {
  return sizes.reduce((a, n) => a + gradNormPartialCount(ctx, n), 0);
}

/** Tensors one SUMSQ dispatch of planGradNorm reads at most (fewer where the device binds fewer storage buffers). */
export const GRAD_NORM_MAX_TENSORS = 11;

export interface GradTensor {
  buffer: Bindable;
  n: number;
}

/**
 * Global L2 norm of several gradient tensors: SUMSQ dispatches (up to GRAD_NORM_MAX_TENSORS each) into each tensor's slice of `partials`
 * (gradNormPartials floats), then FINALIZE writes clip_coef = [norm, min(max_norm / (norm + 1e-6), 1)].
 * Follow with planGradScale, or pass clip_coef to planSgd / planAdamW. A non-finite norm is left for the caller
 * to check (read clip_coef[0]).
 */
export async function planGradNorm(ctx: GpuContext, grads: readonly GradTensor[], partials: GPUBuffer, clipCoef: GPUBuffer, maxNorm: number): Promise<Dispatch[]> {
  checkShape('grad_norm', 'grads', grads.length > 0, 'no gradient tensors given');
  checkShape('grad_norm', 'max_norm', Number.isFinite(maxNorm) && maxNorm > 0, `max_norm=${maxNorm} must be finite and > 0`);
  const wg = tuningFor(ctx).reduceWG;
  const finalize = await getKernel(ctx, GRAD_NORM.finalize, {}, { WG: wg });
  const total = gradNormPartials(ctx, grads.map((g) => g.n));
  grads.forEach((t, k) => checkN(`grad_norm (tensor ${k})`, t.n));
  // Up to eleven tensors a dispatch (the device's storage-buffer limit less `partials`), each its own workgroups.
  const per = Math.max(1, Math.min(GRAD_NORM_MAX_TENSORS, ctx.limits.maxStorageBuffersPerShaderStage - 1));
  const out: Dispatch[] = [];
  let offset = 0;
  for (let i = 0; i < grads.length; i += per) {
    const ts = grads.slice(i, i + per);
    const counts = ts.map((t) => gradNormPartialCount(ctx, t.n));
    const first = prefixSums(counts);
    const groups = counts.reduce((a, c) => a + c, 0);
    // Twelve slots as three vec4s each; unused slots start past every workgroup.
    const slots = (xs: number[], fill: number) => {
      const all = padSlots(xs, 12, fill);
      return [all.slice(0, 4), all.slice(4, 8), all.slice(8)];
    };
    const bindings: Record<string, Bindable> = { partials };
    const expect: Record<string, number> = { partials: 4 * total };
    ts.forEach((t, k) => {
      const name = k === 0 ? 'grad' : `grad${k}`;
      bindings[name] = t.buffer;
      expect[name] = 4 * t.n;
    });
    const defines = Object.fromEntries(Array.from({ length: GRAD_NORM_MAX_TENSORS - 1 }, (_, k) => [`G${k + 2}`, ts.length >= k + 2]));
    const kernel = await getKernel(ctx, GRAD_NORM.sumsq, defines, { WG: wg });
    const [n, nHi, nHi2] = slots(ts.map((t) => t.n), 0);
    const [f, fHi, fHi2] = slots(first, groups);
    const [c, cHi, cHi2] = slots(counts, 1);
    const params = { n, first: f, count: c, n_hi: nHi, first_hi: fHi, count_hi: cHi, n_hi2: nHi2, first_hi2: fHi2, count_hi2: cHi2, offset, max_norm: maxNorm };
    out.push({ kernel, args: { bindings, params, expect }, workgroups: [groups] });
    offset += groups;
  }
  out.push({
    kernel: finalize,
    args: { bindings: { partials, clip_coef: clipCoef }, params: { n: total, offset: 0, stride: 0, max_norm: maxNorm }, expect: { partials: 4 * total, clip_coef: 8 } },
    workgroups: [1],
  });
  return out;
}

/** grad *= clip_coef[1] for each tensor. */
export async function planGradScale(ctx: GpuContext, grads: readonly GradTensor[], clipCoef: Bindable): Promise<Dispatch[]> {
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, GRAD_NORM.scale, {}, { WG: wg });
  return grads.map((t, k) => {
    checkN(`grad_norm_scale (tensor ${k})`, t.n);
    const g = grid1d(ctx, Math.ceil(t.n / wg));
    return {
      kernel,
      args: { bindings: { grad: t.buffer, clip_coef: clipCoef }, params: { n: t.n, offset: 0, stride: g.gridX * wg, max_norm: 1 }, expect: { grad: 4 * t.n, clip_coef: 8 } },
      workgroups: g.workgroups,
    };
  });
}

/** Clips the gradients in place to global norm <= maxNorm; returns the norm before clipping (read back). */
export async function clipGradNorm(ctx: GpuContext, grads: readonly GradTensor[], maxNorm: number): Promise<number> {
  const partials = ctx.createBuffer(4 * gradNormPartials(ctx, grads.map((g) => g.n)));
  const coef = ctx.createBuffer(8);
  try {
    await runDispatches(ctx, [...(await planGradNorm(ctx, grads, partials, coef, maxNorm)), ...(await planGradScale(ctx, grads, coef))]);
    return (await ctx.readF32(coef, 1))[0];
  } finally {
    partials.destroy();
    coef.destroy();
  }
}
