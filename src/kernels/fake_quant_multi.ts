// The fake-quant forward of two or three weights in one dispatch (shaders/quant/fake_quant_multi.wgsl): a QAT
// layer's weights, quantized per group along K, with given scales (LSQ, static) or scales found from the data by a
// dynamic rule (the STE's torchao rule). Each element gets planFakeQuant's arithmetic and each dynamic scale
// planFakeQuantQParams' serial reduction: the same bits as one dispatch a tensor (test/cases/fake_quant_multi.cases.ts).
// The executor groups a graph's fake-quant nodes into it (src/graph/group_fq.ts). Reference: src/ref/fake_quant.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import type { QParamsMode } from '../ref/fake_quant.js';
import { checkShape, grid1d, padSlots, prefixSums, type Dispatch } from './common.js';
import { checkCodeRange, FAKE_QUANT_QPARAMS, FUSE_MAX_ELEMS, midrised } from './fake_quant.js';
import { tuningFor } from './tuning.js';

export const FAKE_QUANT_MULTI: KernelDef = { name: 'fake_quant_multi', shader: 'quant/fake_quant_multi' };

/** One tensor of a group: x [channels * inner] and its outputs; scale / zero_point [channels] (written if dynamic). */
export interface FakeQuantMultiTensor {
  x: Bindable;
  scale: Bindable;
  zero_point: Bindable;
  y: Bindable;
  /** Scale indices (groups) of the tensor. */
  channels: number;
}

/** What the tensors of one dispatch share. */
export interface FakeQuantMultiSpec {
  /** Elements a scale covers (the group size along K), at most FUSE_MAX_ELEMS (one invocation runs them). */
  inner: number;
  bits: number;
  qmin: number;
  qmax: number;
  midrise?: boolean;
  /** The dynamic rule that finds each scale from the data; absent: the scales are given. */
  rule?: QParamsMode;
}

/** Tensors one dispatch takes on this device: 3, or 2 where 12 storage buffers are over its limit; 0: none. */
export function fakeQuantMultiMax(ctx: GpuContext): number {
  const n = Math.min(3, Math.floor(ctx.limits.maxStorageBuffersPerShaderStage / 4));
  return n >= 2 ? n : 0;
}

/** The one dispatch of 2 or 3 (fakeQuantMultiMax) tensors' fake-quant forward; a bad group is refused naming the field at fault. */
export async function planFakeQuantMulti(ctx: GpuContext, ts: readonly FakeQuantMultiTensor[], s: FakeQuantMultiSpec): Promise<Dispatch> {
  const name = FAKE_QUANT_MULTI.name;
  const max = fakeQuantMultiMax(ctx);
  checkShape(name, 'tensors', ts.length >= 2 && ts.length <= max, `${ts.length} tensors: this device takes 2 ..= ${max} a dispatch (4 storage buffers each, maxStorageBuffersPerShaderStage ${ctx.limits.maxStorageBuffersPerShaderStage})`);
  checkShape(name, 'inner', Number.isInteger(s.inner) && s.inner >= 1 && s.inner <= FUSE_MAX_ELEMS, `inner=${s.inner} must be an integer in 1..${FUSE_MAX_ELEMS} (one invocation quantizes a scale's elements)`);
  checkCodeRange(name, s.bits, s.qmin, s.qmax);
  const def = midrised(FAKE_QUANT_MULTI, s);
  checkShape(name, 'rule', !s.rule || !!FAKE_QUANT_QPARAMS[s.rule], `'${s.rule}' is not one of ${Object.keys(FAKE_QUANT_QPARAMS).join(', ')}`);
  ts.forEach((t, i) => checkShape(name, `tensors[${i}].channels`, Number.isInteger(t.channels) && t.channels >= 1 && t.channels * s.inner < 2 ** 31, `channels=${t.channels} must be a positive integer (under 2^31 elements)`));
  const wg = tuningFor(ctx).reduceWG;
  const first = prefixSums(ts.map((t) => t.channels));
  const total = first[ts.length - 1] + ts[ts.length - 1].channels;
  const g = grid1d(ctx, Math.ceil(total / wg));
  const bindings: Record<string, Bindable> = {};
  const expect: Record<string, number> = {};
  ts.forEach((t, i) => {
    for (const k of ['x', 'scale', 'zero_point', 'y'] as const) bindings[`${k}${i}`] = t[k];
    expect[`x${i}`] = expect[`y${i}`] = 4 * t.channels * s.inner;
    expect[`scale${i}`] = expect[`zero_point${i}`] = 4 * t.channels;
  });
  const rule = s.rule ? FAKE_QUANT_QPARAMS[s.rule].defines : {};
  const kernel = await getKernel(ctx, def, { T3: ts.length === 3, DYNAMIC: !!s.rule, ...rule }, { WG: wg });
  return {
    kernel,
    args: { bindings, params: { channels: padSlots(ts.map((t) => t.channels), 4, 0), first: padSlots(first, 4, 0xffffffff), inner: s.inner, grid_x: g.gridX * wg, qmin: s.qmin, qmax: s.qmax }, expect },
    workgroups: g.workgroups,
  };
}
