// The flat optimizer kernels (shaders/optim/grad_norm_flat.wgsl, adamw_flat.wgsl): the gradient norm's partial sums
// and AdamW over tensors that share buffers (arenas, src/gpu/arena.ts: Graph.flattenParams puts the params in one,
// an Executable's `flat` outputs the gradients in another), one dispatch for any number of tensors, where the
// multi-tensor kernels of optim.ts bind two buffers a tensor and stop at the adapter's storage-buffer limit.
// The arithmetic is grad_norm.wgsl's SUMSQ and adamw_multi.wgsl's, op for op (tests compare them bit for bit).
// Each tensor is a segment (its first element in each buffer, its size); a segment table (storage) says which
// workgroups take which segment. CPU oracle: src/ref/optim.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { ADAMW_DEFAULTS, adamwBias, type AdamWOptions } from '../ref/optim.js';
import { checkShape, grid1d, prefixSums, type Dispatch } from './common.js';
import { GRAD_NORM, gradNormPartialCount } from './optim.js';
import { tuningFor } from './tuning.js';

export const GRAD_NORM_FLAT: KernelDef = { name: 'grad_norm_flat', shader: 'optim/grad_norm_flat' };
export const ADAMW_FLAT: KernelDef = { name: 'adamw_flat', shader: 'optim/adamw_flat' };

function checkSegment(kernel: string, k: number, offset: number, n: number): void {
  checkShape(kernel, `segment ${k}`, Number.isInteger(n) && n > 0 && n < 2 ** 31 && Number.isInteger(offset) && offset >= 0 && offset + n < 2 ** 32, `offset ${offset}, n ${n}: n must be a positive integer below 2^31 and offset + n below 2^32`);
}

/** One arena of gradients for planGradNormFlat: its buffer, each tensor's (first element, size), its segment table. */
export interface GradArena {
  buffer: Bindable;
  segments: readonly { offset: number; n: number }[];
  /** A storage buffer of gradNormFlatTable(ctx, segments) (the caller creates it once). */
  table: GPUBuffer;
}

/** grad_norm_flat's segment table: (first element, n, first workgroup, workgroups) per tensor, as u32. */
export function gradNormFlatTable(ctx: GpuContext, segments: readonly { offset: number; n: number }[]): Uint32Array {
  const counts = segments.map((s) => gradNormPartialCount(ctx, s.n));
  const first = prefixSums(counts);
  return Uint32Array.from(segments.flatMap((s, k) => [s.offset, s.n, first[k], counts[k]]));
}

/**
 * Global L2 norm of the gradients of one or more arenas: one SUMSQ dispatch an arena, each tensor's partial sums in
 * its slice of `partials` (the layout of planGradNorm: gradNormPartials floats for the same sizes, in order), then
 * grad_norm.wgsl's FINALIZE writes clip_coef = [norm, min(max_norm / (norm + 1e-6), 1)].
 */
export async function planGradNormFlat(ctx: GpuContext, arenas: readonly GradArena[], partials: Bindable, clipCoef: Bindable, maxNorm: number): Promise<Dispatch[]> {
  checkShape('grad_norm_flat', 'arenas', arenas.length > 0 && arenas.every((a) => a.segments.length > 0), 'no gradient tensors given');
  checkShape('grad_norm_flat', 'max_norm', Number.isFinite(maxNorm) && maxNorm > 0, `max_norm=${maxNorm} must be finite and > 0`);
  const wg = tuningFor(ctx).reduceWG;
  const kernel = await getKernel(ctx, GRAD_NORM_FLAT, {}, { WG: wg });
  const out: Dispatch[] = [];
  let offset = 0;
  for (const a of arenas) {
    a.segments.forEach((s, k) => checkSegment('grad_norm_flat', k, s.offset, s.n));
    const groups = a.segments.reduce((acc, s) => acc + gradNormPartialCount(ctx, s.n), 0);
    const g = grid1d(ctx, groups);
    const last = a.segments[a.segments.length - 1];
    out.push({
      kernel,
      args: { bindings: { grads: a.buffer, partials, segs: a.table }, params: { segments: a.segments.length, groups, row_pitch: g.gridX, offset }, expect: { grads: 4 * (last.offset + last.n), segs: 16 * a.segments.length } },
      workgroups: g.workgroups,
    });
    offset += groups;
  }
  const finalize = await getKernel(ctx, GRAD_NORM.finalize, {}, { WG: wg });
  out.push({ kernel: finalize, args: { bindings: { partials, clip_coef: clipCoef }, params: { n: offset, offset: 0, stride: 0, max_norm: maxNorm }, expect: { partials: 4 * offset, clip_coef: 8 } }, workgroups: [1] });
  return out;
}

/** One tensor of a flat AdamW dispatch: its first element in the params and gradient buffers, size, moments, lr. */
export interface AdamWFlatTensor {
  paramOffset: number;
  gradOffset: number;
  n: number;
  /** Its first element in the flat first moments (its second moments: that + total). */
  state: number;
  lr: number;
  weightDecay: number;
}

const flatShape = (ctx: GpuContext, run?: number) => ({ wg: tuningFor(ctx).elementwiseWG, run: run ?? tuningFor(ctx).optimizer.run });

/** adamw_flat's segment table at step count `step` (32 bytes a tensor: offsets, n, first workgroup, state, lr, decay, step size). */
export function adamwFlatTable(ctx: GpuContext, ts: readonly AdamWFlatTensor[], o: Omit<AdamWOptions, 'lr' | 'weightDecay'>, step: number, run: number): ArrayBuffer {
  const { wg } = flatShape(ctx, run);
  const first = prefixSums(ts.map((t) => Math.ceil(t.n / (wg * run))));
  const buf = new ArrayBuffer(32 * ts.length);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  ts.forEach((t, k) => {
    u.set([t.paramOffset, t.gradOffset, t.n, first[k], t.state], 8 * k);
    f.set([t.lr, t.weightDecay, adamwBias({ ...o, lr: t.lr }, step).stepSize], 8 * k + 5);
  });
  return buf;
}

/** A flat AdamW dispatch's layout: grid pitch, elements per invocation, first-moment elements. */
export interface AdamWFlatLayout {
  rowPitch: number;
  run: number;
  total: number;
}

/** adamw_flat's uniforms at step count `step` (the table holds the per-tensor values). */
export function adamwFlatUniforms(ctx: GpuContext, ts: readonly AdamWFlatTensor[], o: Omit<AdamWOptions, 'lr' | 'weightDecay'>, step: number, layout: AdamWFlatLayout): Record<string, number> {
  const { wg } = flatShape(ctx, layout.run);
  return {
    segments: ts.length,
    groups: ts.reduce((a, t) => a + Math.ceil(t.n / (wg * layout.run)), 0),
    row_pitch: layout.rowPitch,
    total: layout.total,
    beta1: o.beta1 ?? ADAMW_DEFAULTS.beta1,
    beta2: o.beta2 ?? ADAMW_DEFAULTS.beta2,
    eps: o.eps ?? ADAMW_DEFAULTS.eps,
    bc2_sqrt: adamwBias({ ...o, lr: 1 }, step).bc2Sqrt,
  };
}

/**
 * AdamW over every tensor of a params buffer and a gradients buffer in one dispatch (adamw_flat.wgsl); the moments
 * in one flat buffer as planAdamWMulti's (first moments at each `state`, the second `total` further on). `table`:
 * a storage buffer of 32 bytes a tensor, rewritten each step with adamwFlatTable (lr and step size change), and the
 * uniforms with adamwFlatUniforms. `clip_coef`: clip by its coefficient (planGradNorm's / planGradNormFlat's).
 * Returns the dispatch and its layout.
 */
export async function planAdamWFlat(
  ctx: GpuContext,
  b: { params: Bindable; grads: Bindable; moments: Bindable; table: GPUBuffer; clip_coef?: Bindable },
  ts: readonly AdamWFlatTensor[],
  o: Omit<AdamWOptions, 'lr' | 'weightDecay'> & { step: number; run?: number },
): Promise<{ dispatch: Dispatch } & AdamWFlatLayout> {
  checkShape('adamw_flat', 'tensors', ts.length > 0, 'no tensors given');
  for (const k of ['beta1', 'beta2'] as const) {
    const v = o[k];
    checkShape('adamw_flat', k, v === undefined || (v >= 0 && v < 1), `${k}=${v} must be in [0, 1)`);
  }
  let total = 0;
  let pEnd = 0;
  let gEnd = 0;
  ts.forEach((t, k) => {
    checkSegment('adamw_flat', k, t.paramOffset, t.n);
    checkSegment('adamw_flat', k, t.gradOffset, t.n);
    checkSegment('adamw_flat', k, t.state, t.n);
    for (const [name, v] of [['lr', t.lr], ['weightDecay', t.weightDecay]] as const) checkShape('adamw_flat', `${name} (tensor ${k})`, Number.isFinite(v) && v >= 0, `${name}=${v} must be finite and >= 0`);
    total = Math.max(total, t.state + t.n);
    pEnd = Math.max(pEnd, t.paramOffset + t.n);
    gEnd = Math.max(gEnd, t.gradOffset + t.n);
  });
  const { wg, run } = flatShape(ctx, o.run);
  checkShape('adamw_flat', 'run', Number.isInteger(run) && run >= 1, `run=${run} must be a positive integer`);
  const kernel = await getKernel(ctx, ADAMW_FLAT, { CLIP: !!b.clip_coef }, { WG: wg, RUN: run });
  const g = grid1d(ctx, ts.reduce((a, t) => a + Math.ceil(t.n / (wg * run)), 0));
  const layout: AdamWFlatLayout = { rowPitch: g.gridX, run, total };
  ctx.write(b.table, new Uint8Array(adamwFlatTable(ctx, ts, o, o.step, run)));
  const bindings: Record<string, Bindable> = { p: b.params, g: b.grads, moments: b.moments, segs: b.table, ...(b.clip_coef ? { clip_coef: b.clip_coef } : {}) };
  const expect = { p: 4 * pEnd, g: 4 * gEnd, moments: 8 * total, segs: 32 * ts.length, clip_coef: 8 };
  return { dispatch: { kernel, args: { bindings, params: adamwFlatUniforms(ctx, ts, o, o.step, layout), expect }, workgroups: g.workgroups }, ...layout };
}
