// Fake-quant kernels (shaders/quant/fake_quant*.wgsl): forward, STE backward, learnable LSQ / LSQ+ / PACT backward
// fused with its per-scale reduction, and dynamic qparams (torchao per-token asymmetric, symmetric absmax, LSQ init).
// Each plan function returns one Dispatch (see src/kernels/basic.ts); fakeQuantRun is the typed-array convenience
// the kernel runner's `fake_quant` entry wraps. Numerics and the CPU oracle: src/ref/fake_quant.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import {
  checkBits, checkQParams, checkQRange, fakeQuantLayout, type FakeQuantGranularity, type FakeQuantLayout, type QParamsMode,
} from '../ref/fake_quant.js';
import { checkShape, grid1d, runDispatch, runDispatches, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';
import { GpuError } from '../gpu/context.js';
import { makeTensor, type Tensor } from '../io/safetensors.js';
import { KernelInputError, type RunnableKernel } from './runnable.js';

export type { FakeQuantGranularity, FakeQuantLayout, QParamsMode } from '../ref/fake_quant.js';

export const FAKE_QUANT: KernelDef = { name: 'fake_quant', shader: 'quant/fake_quant' };
export const FAKE_QUANT_PACT: KernelDef = { name: 'fake_quant_pact', shader: 'quant/fake_quant', defines: { PACT: true } };
export const FAKE_QUANT_BACKWARD: KernelDef = { name: 'fake_quant_backward', shader: 'quant/fake_quant_backward' };
export const FAKE_QUANT_BACKWARD_LSQ: KernelDef = { name: 'fake_quant_backward_lsq', shader: 'quant/fake_quant_backward_learn' };
export const FAKE_QUANT_BACKWARD_PACT: KernelDef = { name: 'fake_quant_backward_pact', shader: 'quant/fake_quant_backward_learn', defines: { PACT: true } };
export const FAKE_QUANT_QPARAMS: Record<QParamsMode, KernelDef> = {
  asymmetric: { name: 'fake_quant_qparams_asym', shader: 'quant/fake_quant_qparams', defines: { ASYM: true } },
  symmetric: { name: 'fake_quant_qparams_sym', shader: 'quant/fake_quant_qparams', defines: { SYM: true } },
  lsq: { name: 'fake_quant_qparams_lsq', shader: 'quant/fake_quant_qparams', defines: { LSQ: true } },
};

/** What every fake-quant dispatch needs: the shape of x, how scales map onto it, the code range and the bit width. */
export interface FakeQuantSpec {
  shape: readonly number[];
  granularity: FakeQuantGranularity;
  bits: number;
  qmin: number;
  qmax: number;
  /**
   * Midrise grid (symmetric weights): levels (q + 0.5) * s for codes q = clamp(floor(x / s), qmin, qmax), no zero
   * level and the zero point unread (forward, STE and LSQ backward; the kernels' MIDRISE variant).
   */
  midrise?: boolean;
  /** Force a kernel shape (tests cover both); default from the adapter's tuning table. */
  variant?: { elems?: number; reduce?: 'serial' | 'workgroup'; fuse?: boolean };
}

/** PACT: codes are [0, 2^bits - 1], so no qmin / qmax. */
export type PactSpec = Omit<FakeQuantSpec, 'qmin' | 'qmax'>;

/** checkQRange's refusal of a bad code range, named by `kernel`. */
export function checkCodeRange(kernel: string, bits: number, qmin: number, qmax: number): void {
  try {
    checkQRange(bits, qmin, qmax);
  } catch (e) {
    throw new Error(`${kernel}: ${(e as Error).message.replace(/^fake_quant: /, '')}`);
  }
}

function layoutOf(kernel: string, s: FakeQuantSpec): FakeQuantLayout {
  checkCodeRange(kernel, s.bits, s.qmin, s.qmax);
  try {
    const L = fakeQuantLayout(s.shape, s.granularity);
    checkShape(kernel, 'numel', L.numel < 2 ** 31, `x has ${L.numel} elements; split tensors of 2^31 or more`);
    return L;
  } catch (e) {
    throw new Error(`${kernel}: ${(e as Error).message.replace(/^fake_quant: /, '')}`);
  }
}

/**
 * With a `qrange` buffer ([qmin, qmax] as two f32, rewritten by the host between runs: AdaQAT) the kernel's RANGE
 * variant reads the code range from it instead of the plan's qmin / qmax (which then only bound what it may hold).
 */
function ranged(def: KernelDef, qrange: Bindable | undefined): KernelDef {
  return qrange ? { ...def, name: `${def.name}_range`, defines: { ...def.defines, RANGE: true } } : def;
}

/** The kernel's MIDRISE variant where the spec asks for it (symmetric code ranges only). */
export function midrised(def: KernelDef, s: Pick<FakeQuantSpec, 'midrise' | 'qmin' | 'qmax'>): KernelDef {
  if (!s.midrise) return def;
  checkShape(def.name, 'midrise', s.qmin < 0 && s.qmax > 0, `a midrise grid needs a signed code range, got [${s.qmin}, ${s.qmax}]`);
  return { ...def, name: `${def.name}_midrise`, defines: { ...def.defines, MIDRISE: true } };
}

/** Drops bindings given as undefined (optional outputs). */
function present(b: Record<string, Bindable | undefined>): Record<string, Bindable> {
  return Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as Record<string, Bindable>;
}

async function elementwise(ctx: GpuContext, def: KernelDef, L: FakeQuantLayout, bindings: Record<string, Bindable>, bytes: Record<string, number>, s: FakeQuantSpec): Promise<Dispatch> {
  const t = tuningFor(ctx);
  const wg = t.elementwiseWG;
  const elems = s.variant?.elems ?? t.fakeQuant.elems;
  checkShape(def.name, 'elems', Number.isInteger(elems) && elems >= 1 && elems <= 64, `elems=${elems} must be an integer in 1..64`);
  const kernel = await getKernel(ctx, def, {}, { WG: wg, ELEMS: elems });
  const g = grid1d(ctx, Math.ceil(L.numel / (wg * elems)));
  return {
    kernel,
    args: { bindings, params: { numel: L.numel, inner: L.inner, channels: L.channels, row_pitch: g.gridX * wg, qmin: s.qmin, qmax: s.qmax }, expect: bytes },
    workgroups: g.workgroups,
  };
}

/** y = fake-quant(x); with `codes`, also the clamped integer codes (i32). */
export async function planFakeQuant(
  ctx: GpuContext, b: { x: Bindable; scale: Bindable; zero_point: Bindable; y: Bindable; codes?: Bindable; qrange?: Bindable }, s: FakeQuantSpec,
): Promise<Dispatch> {
  const L = layoutOf('fake_quant', s);
  const n = 4 * L.numel;
  const def = midrised(ranged(b.codes ? { ...FAKE_QUANT, name: 'fake_quant_codes', defines: { CODES: true } } : FAKE_QUANT, b.qrange), s);
  return elementwise(ctx, def, L, present(b), { x: n, y: n, codes: n, scale: 4 * L.channels, zero_point: 4 * L.channels, qrange: 8 }, s);
}

/** PACT forward: x clipped to [0, alpha] and quantized to `bits` unsigned codes, s = alpha / (2^bits - 1). */
export async function planPact(
  ctx: GpuContext, b: { x: Bindable; alpha: Bindable; y: Bindable; codes?: Bindable }, s: PactSpec,
): Promise<Dispatch> {
  checkBits(s.bits);
  const qmax = 2 ** s.bits - 1;
  const L = layoutOf('fake_quant_pact', { ...s, qmin: 0, qmax });
  const n = 4 * L.numel;
  const def = b.codes ? { ...FAKE_QUANT_PACT, name: 'fake_quant_pact_codes', defines: { PACT: true, CODES: true } } : FAKE_QUANT_PACT;
  return elementwise(ctx, def, L, present(b), { x: n, y: n, codes: n, alpha: 4 * L.channels }, { ...s, qmin: 0, qmax });
}

/** STE backward, scale and zero point constant: grad_x = grad_y inside the clip range, else 0. */
export async function planFakeQuantBackward(
  ctx: GpuContext, b: { x: Bindable; grad_y: Bindable; scale: Bindable; zero_point: Bindable; grad_x: Bindable; qrange?: Bindable }, s: FakeQuantSpec,
): Promise<Dispatch> {
  const L = layoutOf('fake_quant_backward', s);
  const n = 4 * L.numel;
  return elementwise(ctx, midrised(ranged(FAKE_QUANT_BACKWARD, b.qrange), s), L, present(b), { x: n, grad_y: n, grad_x: n, scale: 4 * L.channels, zero_point: 4 * L.channels, qrange: 8 }, s);
}

/** Whether the per-scale kernels reduce one invocation per scale (SERIAL) or one workgroup per scale. */
function serialReduce(ctx: GpuContext, L: FakeQuantLayout, variant?: FakeQuantSpec['variant']): boolean {
  return (variant?.reduce ?? (L.numel / L.channels <= tuningFor(ctx).fakeQuant.serialMax ? 'serial' : 'workgroup')) === 'serial';
}

async function perScale(
  ctx: GpuContext, def: KernelDef, L: FakeQuantLayout, bindings: Record<string, Bindable>, bytes: Record<string, number>, params: Record<string, number>, variant?: FakeQuantSpec['variant'],
): Promise<Dispatch> {
  const t = tuningFor(ctx);
  const serial = serialReduce(ctx, L, variant);
  const wg = t.reduceWG;
  const kernel = await getKernel(ctx, def, { SERIAL: serial }, { WG: wg });
  // SERIAL: one invocation per scale (grid_x = invocations per grid row); else one workgroup per scale.
  const g = grid1d(ctx, serial ? Math.ceil(L.channels / wg) : L.channels);
  return {
    kernel,
    args: { bindings, params: { outer: L.outer, channels: L.channels, inner: L.inner, grid_x: serial ? g.gridX * wg : g.gridX, ...params }, expect: bytes },
    workgroups: g.workgroups,
  };
}

/**
 * Learnable scale and zero point (LSQ / LSQ+): grad_x (STE) and grad_scale / grad_zero_point per scale index with
 * the semantics of PyTorch's _fake_quantize_learnable_per_channel_affine backward; `gradFactor` is its grad_factor
 * (1 by default; lsqGradFactor(numel, qmax) for LSQ's g). The zero point is used rounded and clamped, as PyTorch.
 */
export async function planFakeQuantBackwardLearnable(
  ctx: GpuContext,
  b: { x: Bindable; grad_y: Bindable; scale: Bindable; zero_point: Bindable; grad_x: Bindable; grad_scale: Bindable; grad_zero_point: Bindable },
  s: FakeQuantSpec & { gradFactor?: number },
): Promise<Dispatch> {
  const L = layoutOf('fake_quant_backward_lsq', s);
  const gradFactor = s.gradFactor ?? 1;
  checkShape('fake_quant_backward_lsq', 'gradFactor', Number.isFinite(gradFactor), `${gradFactor} is not finite`);
  const n = 4 * L.numel;
  const c = 4 * L.channels;
  return perScale(ctx, midrised(FAKE_QUANT_BACKWARD_LSQ, s), L, { ...b }, { x: n, grad_y: n, grad_x: n, scale: c, zero_point: c, grad_scale: c, grad_zero_point: c }, { qmin: s.qmin, qmax: s.qmax, grad_factor: gradFactor }, s.variant);
}

/** PACT backward: grad_x = grad_y where 0 <= x < alpha; grad_alpha = sum of grad_y where x >= alpha, per alpha. */
export async function planPactBackward(
  ctx: GpuContext, b: { x: Bindable; grad_y: Bindable; alpha: Bindable; grad_x: Bindable; grad_alpha: Bindable }, s: PactSpec,
): Promise<Dispatch> {
  checkBits(s.bits);
  const qmax = 2 ** s.bits - 1;
  const L = layoutOf('fake_quant_backward_pact', { ...s, qmin: 0, qmax });
  const n = 4 * L.numel;
  const c = 4 * L.channels;
  return perScale(ctx, FAKE_QUANT_BACKWARD_PACT, L, { ...b }, { x: n, grad_y: n, grad_x: n, alpha: c, grad_alpha: c }, { qmin: 0, qmax, grad_factor: 1 }, s.variant);
}

/**
 * Scale and zero point from the data, per scale index: 'asymmetric' = torchao's per-token asymmetric qparams
 * (8da4w activations, with granularity {kind: 'token'}), 'symmetric' = absmax, 'lsq' = LSQ's initial step size.
 */
export async function planFakeQuantQParams(
  ctx: GpuContext, b: { x: Bindable; scale: Bindable; zero_point: Bindable; qrange?: Bindable }, s: FakeQuantSpec & { mode: QParamsMode },
): Promise<Dispatch> {
  const def = FAKE_QUANT_QPARAMS[s.mode];
  checkShape('fake_quant_qparams', 'mode', !!def, `'${s.mode}' is not one of ${Object.keys(FAKE_QUANT_QPARAMS).join(', ')}`);
  const L = layoutOf(def.name, s);
  const c = 4 * L.channels;
  return perScale(ctx, ranged(def, b.qrange), L, present(b), { x: 4 * L.numel, scale: c, zero_point: c, qrange: 8 }, { qmin: s.qmin, qmax: s.qmax }, s.variant);
}

/** The most elements a scale covers for the dynamic forward to run fused (one invocation quantizes them all). */
export const FUSE_MAX_ELEMS = 256;

/**
 * The dynamic fake-quant forward: scale / zero_point from x by the mode's rule, then y = fake-quant(x) with them.
 * One dispatch (fake_quant_qparams.wgsl's APPLY: each scale's invocation quantizes its elements) where the tuning's
 * fakeQuant.fuse says so (or variant.fuse forces it), the qparams run one invocation per scale and a scale covers at
 * most FUSE_MAX_ELEMS elements; else the qparams dispatch and then planFakeQuant's. The same bits either way.
 */
export async function planFakeQuantDynamic(
  ctx: GpuContext, b: { x: Bindable; scale: Bindable; zero_point: Bindable; y: Bindable; qrange?: Bindable }, s: FakeQuantSpec & { mode: QParamsMode },
): Promise<Dispatch[]> {
  const def = FAKE_QUANT_QPARAMS[s.mode];
  checkShape('fake_quant_qparams', 'mode', !!def, `'${s.mode}' is not one of ${Object.keys(FAKE_QUANT_QPARAMS).join(', ')}`);
  const L = layoutOf(`${def.name}_apply`, s);
  const fuse = s.variant?.fuse ?? (tuningFor(ctx).fakeQuant.fuse && L.numel / L.channels <= FUSE_MAX_ELEMS);
  if (!fuse) return [await planFakeQuantQParams(ctx, { x: b.x, scale: b.scale, zero_point: b.zero_point, qrange: b.qrange }, s), await planFakeQuant(ctx, b, s)];
  checkShape(`${def.name}_apply`, 'variant', serialReduce(ctx, L, s.variant), 'a fused forward needs the serial qparams (one invocation per scale), not the workgroup reduction');
  const applied = midrised(ranged({ ...def, name: `${def.name}_apply`, defines: { ...def.defines, APPLY: true } }, b.qrange), s);
  const n = 4 * L.numel;
  const c = 4 * L.channels;
  return [await perScale(ctx, applied, L, present(b), { x: n, y: n, scale: c, zero_point: c, qrange: 8 }, { qmin: s.qmin, qmax: s.qmax }, { ...s.variant, reduce: 'serial' })];
}

/**
 * Dynamic per-token fake-quant of activations (torchao 8da4w: int8 per-token asymmetric by default): the qparams
 * dispatch writes scale / zero_point [rows] from x [..., K], then the forward reads them. Returns both dispatches
 * (run them in order, e.g. with runDispatches); the backward is the STE (planFakeQuantBackward with the same buffers).
 */
export async function planFakeQuantPerToken(
  ctx: GpuContext,
  b: { x: Bindable; scale: Bindable; zero_point: Bindable; y: Bindable; codes?: Bindable },
  s: { shape: readonly number[]; bits?: number; qmin?: number; qmax?: number; variant?: FakeQuantSpec['variant'] },
): Promise<Dispatch[]> {
  const bits = s.bits ?? 8;
  const spec: FakeQuantSpec = { shape: s.shape, granularity: { kind: 'token' }, bits, qmin: s.qmin ?? -(2 ** (bits - 1)), qmax: s.qmax ?? 2 ** (bits - 1) - 1, variant: s.variant };
  return [await planFakeQuantQParams(ctx, { x: b.x, scale: b.scale, zero_point: b.zero_point }, { ...spec, mode: 'asymmetric' }), await planFakeQuant(ctx, b, spec)];
}

// ---- The kernel runner's `fake_quant` entry: typed arrays in, typed arrays out. ----

export interface TensorData {
  data: Float32Array;
  shape: readonly number[];
}

export interface FakeQuantRunParams {
  bits: number;
  /** Per channel along this axis. */
  axis?: number;
  /** Per group of this many elements along the last axis; scale and zero_point are then [..., K / group]. */
  group?: number;
  /** Default: the asymmetric range [0, 2^bits - 1]. */
  qmin?: number;
  qmax?: number;
  /** PyTorch's grad_factor for grad_scale / grad_zero_point (default 1). */
  gradFactor?: number;
}

export interface FakeQuantRunResult {
  y: TensorData;
  grad_x?: TensorData;
  grad_scale?: TensorData;
  grad_zero_point?: TensorData;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** The scale shape a granularity expects: [1] (or []) per tensor, [C] per channel, [..., K / group] per group. */
export function fakeQuantScaleShape(shape: readonly number[], p: FakeQuantRunParams): number[] {
  if (p.group !== undefined) return [...shape.slice(0, -1), shape[shape.length - 1] / p.group];
  if (p.axis !== undefined) return [shape[p.axis < 0 ? p.axis + shape.length : p.axis]];
  return [1];
}

/**
 * Runs fake-quant forward (and, with grad_y, the learnable backward) on typed arrays: uploads, dispatches,
 * reads back. Params as the runner's `fake_quant`: bits, axis (per channel) or group (per group along the last
 * axis) or neither (per tensor), qmin, qmax. Outputs y, and with grad_y: grad_x, grad_scale, grad_zero_point
 * (PyTorch's _fake_quantize_learnable_per_channel_affine backward at grad_factor 1 unless gradFactor is given).
 */
export async function fakeQuantRun(
  ctx: GpuContext, inputs: { x: TensorData; scale: TensorData; zero_point: TensorData; grad_y?: TensorData }, params: FakeQuantRunParams,
): Promise<FakeQuantRunResult> {
  const { x, scale, zero_point, grad_y } = inputs;
  if (params.axis !== undefined && params.group !== undefined) throw new Error('fake_quant: give axis (per channel) or group (per group along the last axis), not both');
  checkBits(params.bits);
  const qmin = params.qmin ?? 0;
  const qmax = params.qmax ?? 2 ** params.bits - 1;
  checkQRange(params.bits, qmin, qmax);
  const granularity: FakeQuantGranularity =
    params.group !== undefined ? { kind: 'group', group: params.group } : params.axis !== undefined ? { kind: 'channel', axis: params.axis } : { kind: 'tensor' };
  const L = fakeQuantLayout(x.shape, granularity);
  const numel = (t: TensorData) => t.shape.reduce((a, b) => a * b, 1);
  for (const [name, t] of Object.entries({ x, scale, zero_point, ...(grad_y ? { grad_y } : {}) })) {
    if (t.data.length !== numel(t)) throw new Error(`fake_quant: ${name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
  }
  const want = fakeQuantScaleShape(x.shape, params);
  for (const [name, t] of [['scale', scale], ['zero_point', zero_point]] as const) {
    const ok = sameShape(t.shape, want) || (granularity.kind === 'tensor' && numel(t) === 1);
    if (!ok) throw new Error(`fake_quant: ${name} has shape [${t.shape.join(', ')}], expected [${want.join(', ')}] for x [${x.shape.join(', ')}]`);
  }
  if (grad_y && !sameShape(grad_y.shape, x.shape)) throw new Error(`fake_quant: grad_y has shape [${grad_y.shape.join(', ')}], x has [${x.shape.join(', ')}]`);
  checkQParams(L, scale.data, zero_point.data, qmin, qmax);
  for (const [name, t] of Object.entries({ x, ...(grad_y ? { grad_y } : {}) })) {
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new Error(`fake_quant: ${name}[${bad}] = ${t.data[bad]} is not finite`);
  }
  const spec: FakeQuantSpec = { shape: x.shape, granularity, bits: params.bits, qmin, qmax };
  const bufs: GPUBuffer[] = [];
  const up = (a: Float32Array) => (bufs.push(ctx.createBuffer(a)), bufs[bufs.length - 1]);
  const out = (n: number) => (bufs.push(ctx.createBuffer(4 * n)), bufs[bufs.length - 1]);
  try {
    const X = up(x.data);
    const S = up(scale.data);
    const Z = up(zero_point.data);
    const Y = out(L.numel);
    const ds = [await planFakeQuant(ctx, { x: X, scale: S, zero_point: Z, y: Y }, spec)];
    let GX: GPUBuffer | null = null;
    let GS: GPUBuffer | null = null;
    let GZ: GPUBuffer | null = null;
    if (grad_y) {
      GX = out(L.numel);
      GS = out(L.channels);
      GZ = out(L.channels);
      const grad = { x: X, grad_y: up(grad_y.data), scale: S, zero_point: Z, grad_x: GX, grad_scale: GS, grad_zero_point: GZ };
      ds.push(await planFakeQuantBackwardLearnable(ctx, grad, { ...spec, gradFactor: params.gradFactor }));
    }
    await runDispatches(ctx, ds);
    const res: FakeQuantRunResult = { y: { data: await ctx.readF32(Y, L.numel), shape: [...x.shape] } };
    if (GX && GS && GZ) {
      res.grad_x = { data: await ctx.readF32(GX, L.numel), shape: [...x.shape] };
      res.grad_scale = { data: await ctx.readF32(GS, L.channels), shape: [...scale.shape] };
      res.grad_zero_point = { data: await ctx.readF32(GZ, L.channels), shape: [...zero_point.shape] };
    }
    return res;
  } finally {
    bufs.forEach((b) => b.destroy());
  }
}

export const fakeQuant = async (ctx: GpuContext, b: Parameters<typeof planFakeQuant>[1], s: FakeQuantSpec) => runDispatch(await planFakeQuant(ctx, b, s));

// ---- `nibble kernel fake_quant` (src/kernels/runner.ts) ----

export const FAKE_QUANT_RUNNABLE: RunnableKernel = {
  name: 'fake_quant',
  summary: "fake-quant forward y = (clamp(round(x/s) + z, qmin, qmax) - z) * s, and with grad_y PyTorch's learnable (LSQ+) backward",
  inputs: [
    { name: 'x', dtypes: ['F32'], shape: '[...]' },
    { name: 'scale', dtypes: ['F32'], shape: '[1] | [C] | [..., K/group]', doc: 'per tensor, per channel (axis), or per group along the last axis (group)' },
    { name: 'zero_point', dtypes: ['F32', 'I32'], shape: 'as scale', doc: "used rounded and clamped to [qmin, qmax], as PyTorch (I32: PyTorch's own int32 zero points)" },
    { name: 'grad_y', dtypes: ['F32'], shape: 'as x', optional: true, doc: 'given: also run the backward' },
  ],
  outputs: [
    { name: 'y', dtypes: ['F32'], shape: 'as x' },
    { name: 'grad_x', dtypes: ['F32'], shape: 'as x', optional: true, doc: 'with grad_y: grad_y inside the clip range, else 0' },
    { name: 'grad_scale', dtypes: ['F32'], shape: 'as scale', optional: true, doc: "with grad_y: _fake_quantize_learnable_per_channel_affine's, summed per scale" },
    { name: 'grad_zero_point', dtypes: ['F32'], shape: 'as scale', optional: true, doc: 'with grad_y: likewise' },
  ],
  params: [
    { name: 'bits', type: 'int', default: 8, doc: 'code width (2..8); sets the default range [0, 2^bits - 1]' },
    { name: 'axis', type: 'int', doc: 'per channel along this axis (negative counts from the end)' },
    { name: 'group', type: 'int', doc: 'per group of this many elements along the last axis' },
    { name: 'qmin', type: 'int', doc: 'omitted: 0' },
    { name: 'qmax', type: 'int', doc: 'omitted: 2^bits - 1' },
    { name: 'grad_factor', type: 'float', default: 1, doc: "PyTorch's grad_factor on grad_scale and grad_zero_point" },
  ],
  async run(ctx, inputs, params) {
    const t = (name: string) => {
      const v = inputs[name];
      // I32 zero points (PyTorch's dtype for them) become the same values in f32: exact for |z| < 2^24, and any
      // larger one is outside every [qmin, qmax] and refused alike.
      return v ? { data: v.dtype === 'I32' ? Float32Array.from(v.data) : (v.data as Float32Array), shape: v.shape } : undefined;
    };
    let r: FakeQuantRunResult;
    try {
      r = await fakeQuantRun(ctx, { x: t('x')!, scale: t('scale')!, zero_point: t('zero_point')!, grad_y: t('grad_y') }, {
        bits: params.bits as number,
        axis: params.axis as number | undefined,
        group: params.group as number | undefined,
        qmin: params.qmin as number | undefined,
        qmax: params.qmax as number | undefined,
        gradFactor: params.grad_factor as number,
      });
    } catch (e) {
      if (e instanceof GpuError) throw e;
      throw new KernelInputError(`kernel 'fake_quant': ${(e as Error).message.replace(/^fake_quant: /, '')}`);
    }
    const out: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(r)) if (v) out[k] = makeTensor('F32', [...v.shape], v.data, k);
    return out;
  },
};
