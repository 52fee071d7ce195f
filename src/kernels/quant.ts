// Quantization kernels: shaders/quant/quantize.wgsl (weights, every scale rule), shaders/quant/dequantize.wgsl
// (any scheme -> f32 or f16) and shaders/quant/quantize_act.wgsl (dynamic per-token int8 activations).
// They follow src/quant/layout.ts and agree with src/ref/quant.ts bit for bit (codes and dequantized f32).
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { wordsPerRow } from '../quant/layout.js';
import { checkQuantized, checkShapeFor, GROUP_SIZES, groupSize, groupsPerRow, packScaleWords, RULE_ID, unpackScaleWords, zeroKind, type QuantizedTensor, type QuantScheme } from '../quant/scheme.js';
import { checkShape, grid1d, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export const QUANTIZE: KernelDef = { name: 'quantize', shader: 'quant/quantize' };
export const DEQUANTIZE: KernelDef = { name: 'dequantize', shader: 'quant/dequantize' };
export const DEQUANTIZE_F16: KernelDef = { name: 'dequantize_f16', shader: 'quant/dequantize', defines: { OUT_F16: true } };
export const QUANTIZE_ACT: KernelDef = { name: 'quantize_act', shader: 'quant/quantize_act' };
export const QUANTIZE_ACT_DQ: KernelDef = { name: 'quantize_act_dq', shader: 'quant/quantize_act', defines: { WRITE_DQ: true } };

const ZERO_KIND_ID = { none: 0, int: 1, float: 2 } as const;
const NO_ERROR = 0xffffffff;

/** A quantized [N, K] weight on the GPU, in nibble's layout (src/quant/layout.ts). */
export interface GpuQuantized {
  scheme: QuantScheme;
  N: number;
  K: number;
  /** N * wordsPerRow(K, bits) u32 words. */
  codes: GPUBuffer;
  /** [N, groups]: f32, or f16 pairs in u32 words. */
  scales: GPUBuffer;
  /** Like scales; null when symmetric. */
  zeros: GPUBuffer | null;
}

/** Bytes of the scales (or zeros) array of [N, K] under `s`. */
export function scaleBytes(s: QuantScheme, N: number, K: number): number {
  const count = N * groupsPerRow(s, K);
  return s.scaleType === 'f16' ? 4 * Math.ceil(count / 2) : 4 * count;
}

export function codeBytes(s: QuantScheme, N: number, K: number): number {
  return 4 * N * wordsPerRow(K, s.bits);
}

function checkKernelScheme(kernel: string, s: QuantScheme, N: number, K: number, tensor: string): void {
  if (s.group !== 0 && !GROUP_SIZES.includes(s.group)) throw new Error(`${kernel}: tensor '${tensor}': group size ${s.group} is not supported by the kernel (${GROUP_SIZES.join(', ')} or per channel)`);
  if (![2, 3, 4, 8].includes(s.bits)) throw new Error(`${kernel}: tensor '${tensor}': ${s.bits}-bit codes are not supported by the kernel`);
  checkShapeFor(s, N, K, tensor);
}

export interface QuantizeBuffers {
  codes: GPUBuffer;
  scales: GPUBuffer;
  /** Bound always; written only for asymmetric schemes (any 4-byte buffer will do otherwise). */
  zeros: GPUBuffer;
  /** 2 u32: first bad weight index, first overflowing group; must hold 0xffffffff before the dispatch. */
  status: GPUBuffer;
}

/** Quantizes w [N, K] f32; codes, scales (and zeros) must be zero before the dispatch (atomics OR into them). */
export async function planQuantize(ctx: GpuContext, w: GPUBuffer, out: QuantizeBuffers, N: number, K: number, s: QuantScheme, tensor = 'w'): Promise<Dispatch> {
  checkKernelScheme('quantize', s, N, K, tensor);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, QUANTIZE, {}, { WG: wg });
  const ng = groupsPerRow(s, K);
  const g = grid1d(ctx, Math.ceil((N * ng) / wg));
  const zk = zeroKind(s);
  return {
    kernel,
    args: {
      bindings: { w, ...out },
      params: {
        n: N, k: K, group: groupSize(s, K), groups: ng, words_per_row: wordsPerRow(K, s.bits), bits: s.bits, rule: RULE_ID[s.rule],
        scale_f16: s.scaleType === 'f16' ? 1 : 0, zero_kind: ZERO_KIND_ID[zk], row_pitch: g.gridX * wg, zero: 0,
      },
      expect: { w: 4 * N * K, codes: codeBytes(s, N, K), scales: scaleBytes(s, N, K), zeros: zk === 'none' ? 4 : scaleBytes(s, N, K), status: 8 },
    },
    workgroups: g.workgroups,
  };
}

/** Runs one dispatch after zeroing `clear` (in the same submission). */
async function runCleared(ctx: GpuContext, d: Dispatch, clear: GPUBuffer[]): Promise<void> {
  const bound = d.kernel.bind(d.args);
  try {
    await ctx.submit([d.kernel.name], (enc) => {
      for (const b of clear) enc.clearBuffer(b);
      const pass = enc.beginComputePass({ label: d.kernel.name });
      bound.encode(pass, d.workgroups);
      pass.end();
    });
  } finally {
    bound.dispose();
  }
}

function badIndexMessage(tensor: string, i: number, cols: number): string {
  return `tensor '${tensor}': element [${Math.floor(i / cols)}, ${i % cols}] (flat index ${i}) is NaN or Inf`;
}

/**
 * Quantizes w [N, K] (f32 on the GPU) with `s`. Throws, naming the tensor and position, for a NaN/Inf weight or a
 * scale the scale type cannot hold; the returned buffers are then destroyed.
 */
export async function quantizeWeights(ctx: GpuContext, w: GPUBuffer, N: number, K: number, s: QuantScheme, tensor = 'w'): Promise<GpuQuantized> {
  checkKernelScheme('quantize', s, N, K, tensor);
  const codes = ctx.createBuffer(codeBytes(s, N, K), undefined, `${tensor}.codes`);
  const scales = ctx.createBuffer(scaleBytes(s, N, K), undefined, `${tensor}.scales`);
  const zeros = s.symmetric ? null : ctx.createBuffer(scaleBytes(s, N, K), undefined, `${tensor}.zeros`);
  const dummy = zeros ? null : ctx.createBuffer(4);
  const status = ctx.createBuffer(Uint32Array.of(NO_ERROR, NO_ERROR), undefined, 'quantize.status');
  const all = [codes, scales, ...(zeros ? [zeros] : [])];
  try {
    const d = await planQuantize(ctx, w, { codes, scales, zeros: zeros ?? dummy!, status }, N, K, s, tensor);
    await runCleared(ctx, d, all);
    const st = await ctx.readU32(status, 2);
    if (st[0] !== NO_ERROR) throw new Error(badIndexMessage(tensor, st[0], K));
    if (st[1] !== NO_ERROR) {
      const ng = groupsPerRow(s, K);
      const G = groupSize(s, K);
      const gr = st[1] % ng;
      throw new Error(`tensor '${tensor}': row ${Math.floor(st[1] / ng)}, group ${gr} (k ${gr * G}..${gr * G + G - 1}): the scale overflows ${s.scaleType}`);
    }
  } catch (e) {
    all.forEach((b) => b.destroy());
    throw e;
  } finally {
    status.destroy();
    dummy?.destroy();
  }
  return { scheme: s, N, K, codes, scales, zeros };
}

/** Dequantizes `q` into y: f32 [N, K], or f16 [N, K] (u32 pairs, low half first). */
export async function planDequantize(ctx: GpuContext, q: GpuQuantized, y: GPUBuffer, out: 'f32' | 'f16' = 'f32', zerosIfSymmetric?: GPUBuffer): Promise<Dispatch> {
  const { scheme: s, N, K } = q;
  checkKernelScheme('dequantize', s, N, K, 'codes');
  const zk = zeroKind(s);
  const zeros = q.zeros ?? zerosIfSymmetric;
  checkShape('dequantize', 'zeros', zeros !== undefined, zk === 'none' ? 'symmetric: pass any 4-byte buffer as zerosIfSymmetric' : 'asymmetric scheme without zeros');
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, out === 'f16' ? DEQUANTIZE_F16 : DEQUANTIZE, {}, { WG: wg });
  const items = out === 'f16' ? Math.ceil((N * K) / 2) : N * K;
  const g = grid1d(ctx, Math.ceil(items / wg));
  return {
    kernel,
    args: {
      bindings: { codes: q.codes, scales: q.scales, zeros: zeros!, y },
      params: {
        n: N, k: K, group: groupSize(s, K), groups: groupsPerRow(s, K), words_per_row: wordsPerRow(K, s.bits), bits: s.bits,
        scale_f16: s.scaleType === 'f16' ? 1 : 0, zero_kind: ZERO_KIND_ID[zk], row_pitch: g.gridX * wg, zero: 0,
      },
      expect: { codes: codeBytes(s, N, K), scales: scaleBytes(s, N, K), zeros: zk === 'none' ? 4 : scaleBytes(s, N, K), y: 4 * items },
    },
    workgroups: g.workgroups,
  };
}

/** Dequantizes to a new buffer: f32 [N, K] or f16 [N, K] (2 per u32). */
export async function dequantize(ctx: GpuContext, q: GpuQuantized, out: 'f32' | 'f16' = 'f32'): Promise<GPUBuffer> {
  const y = ctx.createBuffer(out === 'f16' ? 4 * Math.ceil((q.N * q.K) / 2) : 4 * q.N * q.K, undefined, 'dequantized');
  const dummy = q.zeros ? undefined : ctx.createBuffer(4);
  try {
    const d = await planDequantize(ctx, q, y, out, dummy);
    await d.kernel.run(d.args, d.workgroups);
  } catch (e) {
    y.destroy();
    throw e;
  } finally {
    dummy?.destroy();
  }
  return y;
}

/** Uploads a CPU-side quantized tensor (from quantizeRef, importGguf, importGptq, importAwq). */
export function uploadQuantized(ctx: GpuContext, q: QuantizedTensor, tensor = 'weight'): GpuQuantized {
  checkQuantized(q, tensor);
  const t = q.scheme.scaleType;
  return {
    scheme: q.scheme,
    N: q.N,
    K: q.K,
    codes: ctx.createBuffer(q.codes, undefined, `${tensor}.codes`),
    scales: ctx.createBuffer(packScaleWords(q.scales, t, `${tensor}.scales`), undefined, `${tensor}.scales`),
    zeros: q.zeros ? ctx.createBuffer(packScaleWords(q.zeros, t, `${tensor}.zeros`), undefined, `${tensor}.zeros`) : null,
  };
}

export async function downloadQuantized(ctx: GpuContext, q: GpuQuantized): Promise<QuantizedTensor> {
  const { scheme: s, N, K } = q;
  const count = N * groupsPerRow(s, K);
  const words = scaleBytes(s, N, K) / 4;
  const codes = await ctx.readU32(q.codes, N * wordsPerRow(K, s.bits));
  const scales = unpackScaleWords(await ctx.readU32(q.scales, words), count, s.scaleType);
  const zeros = q.zeros ? unpackScaleWords(await ctx.readU32(q.zeros, words), count, s.scaleType) : null;
  return { scheme: s, N, K, codes, scales, zeros };
}

export function destroyQuantized(q: GpuQuantized): void {
  q.codes.destroy();
  q.scales.destroy();
  q.zeros?.destroy();
}

// ---- activations ----

export interface ActQuantBuffers {
  /** [M, ceil(K/4)] u32: int8 (symmetric) or uint8 (asymmetric) codes, byte k%4 of word k/4. */
  codes: GPUBuffer;
  /** [M] f32. */
  scales: GPUBuffer;
  /** [M] f32 integer zero points (0 when symmetric). */
  zeros: GPUBuffer;
  /** 1 u32: first bad index; must hold 0xffffffff before the dispatch. */
  status: GPUBuffer;
  /** Optional [M, K] f32 dequantized x. */
  x_dq?: GPUBuffer;
}

export function actWordsPerRow(K: number): number {
  return Math.ceil(K / 4);
}

export async function planQuantizeAct(ctx: GpuContext, x: GPUBuffer, out: ActQuantBuffers, M: number, K: number, symmetric: boolean): Promise<Dispatch> {
  checkShape('quantize_act', 'shape', Number.isInteger(M) && Number.isInteger(K) && M > 0 && K > 0, `tensor 'x': [${M}, ${K}] must be positive`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, out.x_dq ? QUANTIZE_ACT_DQ : QUANTIZE_ACT, {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(M / wg));
  const { x_dq, ...rest } = out;
  return {
    kernel,
    args: {
      bindings: { x, ...rest, ...(x_dq ? { x_dq } : {}) },
      params: { m: M, k: K, words_per_row: actWordsPerRow(K), symmetric: symmetric ? 1 : 0, row_pitch: g.gridX * wg },
      expect: { x: 4 * M * K, codes: 4 * M * actWordsPerRow(K), scales: 4 * M, zeros: 4 * M, status: 4, ...(x_dq ? { x_dq: 4 * M * K } : {}) },
    },
    workgroups: g.workgroups,
  };
}

export interface GpuActQuantized {
  M: number;
  K: number;
  symmetric: boolean;
  codes: GPUBuffer;
  scales: GPUBuffer;
  zeros: GPUBuffer;
  x_dq: GPUBuffer | null;
}

/** Quantizes activations x [M, K] per token; throws naming the position of a NaN/Inf (buffers destroyed then). */
export async function quantizeAct(ctx: GpuContext, x: GPUBuffer, M: number, K: number, symmetric: boolean, opts: { dq?: boolean; tensor?: string } = {}): Promise<GpuActQuantized> {
  const tensor = opts.tensor ?? 'x';
  const codes = ctx.createBuffer(4 * M * actWordsPerRow(K), undefined, `${tensor}.codes`);
  const scales = ctx.createBuffer(4 * M, undefined, `${tensor}.scales`);
  const zeros = ctx.createBuffer(4 * M, undefined, `${tensor}.zeros`);
  const x_dq = opts.dq ? ctx.createBuffer(4 * M * K, undefined, `${tensor}.x_dq`) : null;
  const status = ctx.createBuffer(Uint32Array.of(NO_ERROR), undefined, 'quantize_act.status');
  const all = [codes, scales, zeros, ...(x_dq ? [x_dq] : [])];
  try {
    const d = await planQuantizeAct(ctx, x, { codes, scales, zeros, status, ...(x_dq ? { x_dq } : {}) }, M, K, symmetric);
    await d.kernel.run(d.args, d.workgroups);
    const st = await ctx.readU32(status, 1);
    if (st[0] !== NO_ERROR) throw new Error(badIndexMessage(tensor, st[0], K));
  } catch (e) {
    all.forEach((b) => b.destroy());
    throw e;
  } finally {
    status.destroy();
  }
  return { M, K, symmetric, codes, scales, zeros, x_dq };
}

/** Unpacks activation codes words [M, ceil(K/4)] to int8 (symmetric) or uint8 [M, K]. */
export function unpackActCodes(words: Uint32Array, M: number, K: number, symmetric: boolean): Int8Array | Uint8Array {
  const wpr = actWordsPerRow(K);
  const out = symmetric ? new Int8Array(M * K) : new Uint8Array(M * K);
  const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) out[m * K + k] = bytes[4 * (m * wpr) + k];
  return out;
}
