// Quantization kernels: shaders/quant/quantize.wgsl (weights, every scale rule), shaders/quant/dequantize.wgsl
// (any scheme -> f32 or f16) and shaders/quant/quantize_act.wgsl (dynamic per-token int8 activations).
// They follow src/quant/layout.ts and agree with src/ref/quant.ts bit for bit (codes and dequantized f32).
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type Bindable, type KernelDef } from '../gpu/kernel.js';
import { k6GroupsPerSuper, k6Values, s8Values } from '../quant/gguf.js';
import { s8GroupsPerSuper } from '../quant/gguf_words.js';
import { wordsPerRow } from '../quant/layout.js';
import { lutOf, type LutTable, checkQuantizable, checkQuantized, checkShapeFor, GROUP_SIZES, groupSize, groupsPerRow, packScaleWords, RULE_ID, unpackScaleWords, zeroKind, type QuantizedTensor, type QuantScheme } from '../quant/scheme.js';
import { checkShape, grid1d, runDispatch, type Dispatch } from './common.js';
import { planPermuteColumns } from './basic.js';
import { tuningFor } from './tuning.js';

export const QUANTIZE: KernelDef = { name: 'quantize', shader: 'quant/quantize' };
/**
 * The defines that pick a table of shaders/common/lut4.wgsl (the GGUF codebook and lattice types' 4-bit codes):
 * LUT, and LUT_MXFP4 / LUT_IQ2 / LUT_IQ3XXS / LUT_IQ3S / LUT_IQ1 (neither: IQ4_NL's and IQ4_XS's).
 */
export function lutDefines(lut: LutTable | undefined): Record<string, boolean> {
  return { LUT: !!lut, LUT_MXFP4: lut === 'mxfp4', LUT_IQ2: lut === 'iq2', LUT_IQ3XXS: lut === 'iq3xxs', LUT_IQ3S: lut === 'iq3s', LUT_IQ1: lut === 'iq1' };
}

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
  /** [N, groups]: f32, or f16 pairs in u32 words; under storage 'k6' the packed 6-bit scales and mins. */
  scales: GPUBuffer;
  /** Like scales; null when symmetric; under storage 'k6' the f16 d, dmin pairs, one u32 per 8 groups. */
  zeros: GPUBuffer | null;
  /**
   * 'k6': GGUF Q4_K / Q5_K scales kept compact (QuantizedTensor.k6: 0.625 bits a weight, not 2 of f32 pairs);
   * 's8': GGUF Q6_K's (QuantizedTensor.s8: int8 scales in `scales`, f16 d per super-block in `supers`; 0.625 bits, not 2).
   */
  storage?: 'k6' | 's8';
  /** Storage 's8' only: one u32 per super-block of 256 elements (16 groups, or IQ4_XS's 8 of 32), f16 d in the low half. */
  supers?: GPUBuffer;
  /** GPTQ act-order: QuantizedTensor.kPerm [K] u32, and its inverse (for dequantize's way back to the original order). */
  kPerm?: GPUBuffer;
  kInv?: GPUBuffer;
}

/**
 * Bytes of the scales (or zeros) array of [N, K] under `s`; with `compact`, of a compact storage's arrays ('zeros'
 * stands for k6's super-blocks, which it binds there; 'supers' for s8's).
 */
export function scaleBytes(s: QuantScheme, N: number, K: number, compact?: { kind: 'k6' | 's8'; array: 'scales' | 'zeros' | 'supers' }): number {
  const ng = groupsPerRow(s, K);
  if (compact) return N * scaleRowBytes(compact.kind, ng, s.group)[compact.array];
  // f16 pairs run on across rows: the array is whole u32 words, not each row.
  return s.scaleType === 'f16' ? 4 * Math.ceil((N * ng) / 2) : 4 * N * ng;
}

/**
 * Bytes a row of W with `ngroups` groups (of `group` elements) takes in each scale array its storage binds: `scales`;
 * `zeros` (k6: its super-blocks' f16 d | dmin << 16, one u32 per 256 elements: 8 groups of 32, or 16 of 16 for Q2_K);
 * `supers` (s8: f16 d, one u32 per 256 elements: 16 groups of 16, or 8 of 32 for IQ4_XS). The one place these sizes live: scaleBytes allocates by them,
 * checkQuantWeights checks bindings and splits W by them.
 */
export function scaleRowBytes(storage: 'f32' | 'f16' | 'k6' | 's8', ngroups: number, group = 32): { scales: number; zeros: number; supers: number } {
  if (storage === 'k6') return { scales: 2 * ngroups, zeros: (4 * ngroups) / k6GroupsPerSuper(group), supers: 0 };
  if (storage === 's8') return { scales: ngroups, zeros: 0, supers: (4 * ngroups) / s8GroupsPerSuper(group) };
  const b = storage === 'f16' ? 2 : 4;
  return { scales: b * ngroups, zeros: b * ngroups, supers: 0 };
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
export async function planQuantize(ctx: GpuContext, w: Bindable, out: QuantizeBuffers, N: number, K: number, s: QuantScheme, tensor = 'w'): Promise<Dispatch> {
  checkKernelScheme('quantize', s, N, K, tensor);
  checkQuantizable(s, `quantize: tensor '${tensor}'`);
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

/** Dequantizes `q` into y: f32 [N, K], or f16 [N, K] (u32 pairs, low half first). `run`: elements per invocation (f32; default from tuning). */
export async function planDequantize(ctx: GpuContext, q: GpuQuantized, y: Bindable, out: 'f32' | 'f16' = 'f32', zerosIfSymmetric?: GPUBuffer, run?: number): Promise<Dispatch> {
  const { scheme: s, N, K } = q;
  checkKernelScheme('dequantize', s, N, K, 'codes');
  const zk = zeroKind(s);
  const zeros = q.zeros ?? zerosIfSymmetric;
  checkShape('dequantize', 'zeros', zeros !== undefined, zk === 'none' ? 'symmetric: pass any 4-byte buffer as zerosIfSymmetric' : 'asymmetric scheme without zeros');
  const tune = tuningFor(ctx);
  const wg = tune.elementwiseWG;
  // Runs along the row (SwiftShader): one whole group per invocation where the words allow it (2/4/8-bit groups).
  const want = run ?? (tune.dequantRun > 1 && s.group && s.bits !== 3 ? s.group : tune.dequantRun);
  const ch = out === 'f16' ? 1 : Math.max(1, Math.min(want, K));
  const k6 = q.storage === 'k6';
  const s8 = q.storage === 's8';
  const scheme = { BITS: s.bits, GROUP: s.group, SCALE_F16: s.scaleType === 'f16' ? 1 : 0, SCALE_K6: k6 ? 1 : 0, K6_SUPER_SHIFT: k6 ? Math.log2(k6GroupsPerSuper(s.group)) : 3, SCALE_S8: s8 ? 1 : 0, S8_SUPER_SHIFT: s8 ? Math.log2(s8GroupsPerSuper(s.group)) : 4, ZERO_KIND: ZERO_KIND_ID[zk] };
  const kernel = await getKernel(ctx, out === 'f16' ? DEQUANTIZE_F16 : DEQUANTIZE, lutDefines(lutOf(s)), out === 'f16' ? { WG: wg, ...scheme } : { WG: wg, CH: ch, ...scheme });
  const chunks = Math.ceil(K / ch);
  const items = out === 'f16' ? Math.ceil((N * K) / 2) : N * chunks;
  const g = grid1d(ctx, Math.ceil(items / wg));
  return {
    kernel,
    args: {
      // s8: the super-blocks' d are bound where the zeros go (a symmetric scheme has none).
      bindings: { codes: q.codes, scales: q.scales, zeros: s8 ? q.supers! : zeros!, y },
      params: {
        n: N, k: K, groups: groupsPerRow(s, K), words_per_row: wordsPerRow(K, s.bits), row_pitch: g.gridX * wg, zero: 0, chunks,
      },
      expect: {
        codes: codeBytes(s, N, K),
        scales: scaleBytes(s, N, K, q.storage ? { kind: q.storage, array: 'scales' } : undefined),
        zeros: s8 ? scaleBytes(s, N, K, { kind: 's8', array: 'supers' }) : zk === 'none' ? 4 : scaleBytes(s, N, K, k6 ? { kind: 'k6', array: 'zeros' } : undefined),
        y: out === 'f16' ? 4 * items : 4 * N * K,
      },
    },
    workgroups: g.workgroups,
  };
}

export const DEQUANTIZE_Q4_0_BLOCKS: KernelDef = { name: 'dequantize_q4_0_blocks', shader: 'quant/dequantize_q4_0_blocks' };

/**
 * Dequantizes GGUF Q4_0 blocks as stored in the file (no repacking) into y f32 [blocks * 32]. nibble repacks at
 * load instead (one layout for every format and kernel); this kernel is kept to measure that choice (bench/quant.ts).
 */
export async function planDequantizeQ4_0Blocks(ctx: GpuContext, src: GPUBuffer, y: GPUBuffer, blocks: number): Promise<Dispatch> {
  checkShape('dequantize_q4_0_blocks', 'blocks', Number.isInteger(blocks) && blocks > 0, `${blocks} must be a positive integer`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, DEQUANTIZE_Q4_0_BLOCKS, {}, { WG: wg });
  const g = grid1d(ctx, Math.ceil(blocks / wg));
  return {
    kernel,
    args: { bindings: { src, y }, params: { blocks, row_pitch: g.gridX * wg }, expect: { src: Math.ceil((18 * blocks) / 4) * 4, y: 128 * blocks } },
    workgroups: g.workgroups,
  };
}

/** Dequantizes to a new buffer: f32 [N, K] or f16 [N, K] (2 per u32). */
export async function dequantize(ctx: GpuContext, q: GpuQuantized, out: 'f32' | 'f16' = 'f32', run?: number): Promise<GPUBuffer> {
  const bytes = out === 'f16' ? 4 * Math.ceil((q.N * q.K) / 2) : 4 * q.N * q.K;
  const y = ctx.createBuffer(bytes, undefined, 'dequantized');
  const dummy = q.zeros ? undefined : ctx.createBuffer(4);
  // GPTQ act-order: dequantized in the stored column order, then gathered back to the original one.
  const stored = q.kInv ? ctx.pool.acquire(bytes, undefined, 'dequantized (stored order)') : undefined;
  try {
    const d = await planDequantize(ctx, q, stored ?? y, out, dummy, run);
    await d.kernel.run(d.args, d.workgroups);
    if (stored) await runDispatch(await planPermuteColumns(ctx, stored, q.kInv!, y, q.N, q.K, out));
  } catch (e) {
    y.destroy();
    throw e;
  } finally {
    dummy?.destroy();
    if (stored) ctx.pool.release(stored);
  }
  return y;
}

/**
 * Uploads a CPU-side quantized tensor (from quantizeRef, importGguf, importGptq, importAwq). A GGUF Q4_K / Q5_K
 * import keeps its scales compact on the GPU (storage 'k6'), a Q6_K import too (storage 's8'), unless `compact` is
 * false (f32 scales, and mins).
 */
export function uploadQuantized(ctx: GpuContext, q: QuantizedTensor, tensor = 'weight', opts: { compact?: boolean } = {}): GpuQuantized {
  checkQuantized(q, tensor);
  const t = q.scheme.scaleType;
  const k6 = opts.compact !== false ? q.k6 : undefined;
  const s8 = opts.compact !== false ? q.s8 : undefined;
  const codes = ctx.createBuffer(q.codes, undefined, `${tensor}.codes`);
  const bufs = [codes];
  try {
    const scales = ctx.createBuffer((k6 ?? s8)?.scales ?? packScaleWords(q.scales, t, `${tensor}.scales`), undefined, `${tensor}.scales`);
    bufs.push(scales);
    const zeros = k6 ? ctx.createBuffer(k6.supers, undefined, `${tensor}.supers`) : q.zeros ? ctx.createBuffer(packScaleWords(q.zeros, t, `${tensor}.zeros`), undefined, `${tensor}.zeros`) : null;
    if (zeros) bufs.push(zeros);
    let perm: { kPerm: GPUBuffer; kInv: GPUBuffer } | null = null;
    if (q.kPerm) {
      const inv = new Uint32Array(q.K);
      q.kPerm.forEach((k, j) => (inv[k] = j));
      const kPerm = ctx.createBuffer(q.kPerm, undefined, `${tensor}.kPerm`);
      bufs.push(kPerm);
      perm = { kPerm, kInv: ctx.createBuffer(inv, undefined, `${tensor}.kInv`) };
      bufs.push(perm.kInv);
    }
    if (s8) return { scheme: q.scheme, N: q.N, K: q.K, codes, scales, zeros: null, storage: 's8', supers: ctx.createBuffer(s8.supers, undefined, `${tensor}.supers`), ...perm };
    return { scheme: q.scheme, N: q.N, K: q.K, codes, scales, zeros, ...(k6 ? { storage: 'k6' as const } : {}), ...perm };
  } catch (e) {
    bufs.forEach((b) => b.destroy());
    throw e;
  }
}

/** Rows [n0, n0 + n) of a quantized tensor (codes, scales and zeros of those rows), on the CPU. */
export function sliceQuantizedRows(q: QuantizedTensor, n0: number, n: number): QuantizedTensor {
  const wpr = wordsPerRow(q.K, q.scheme.bits);
  const ng = groupsPerRow(q.scheme, q.K);
  if (!(Number.isInteger(n0) && Number.isInteger(n) && n0 >= 0 && n > 0 && n0 + n <= q.N)) throw new Error(`rows [${n0}, ${n0 + n}) are not within the tensor's ${q.N} rows`);
  return {
    scheme: q.scheme,
    N: n,
    K: q.K,
    codes: q.codes.subarray(n0 * wpr, (n0 + n) * wpr),
    scales: q.scales.subarray(n0 * ng, (n0 + n) * ng),
    zeros: q.zeros ? q.zeros.subarray(n0 * ng, (n0 + n) * ng) : null,
    ...(q.k6 ? { k6: { scales: q.k6.scales.subarray((n0 * ng) / 2, ((n0 + n) * ng) / 2), supers: q.k6.supers.subarray((n0 * ng) / k6GroupsPerSuper(q.scheme.group), ((n0 + n) * ng) / k6GroupsPerSuper(q.scheme.group)) } } : {}),
    ...(q.s8 ? { s8: { scales: q.s8.scales.subarray((n0 * ng) / 4, ((n0 + n) * ng) / 4), supers: q.s8.supers.subarray((n0 * ng) / s8GroupsPerSuper(q.scheme.group), ((n0 + n) * ng) / s8GroupsPerSuper(q.scheme.group)) } } : {}),
    ...(q.kPerm ? { kPerm: q.kPerm } : {}),
  };
}

/**
 * uploadQuantized for weights that may not fit one buffer: shards of whole rows (along N), each of whose buffers
 * stays within the adapter's maxBufferSize and maxStorageBufferBindingSize (or `maxBytes`, for tests). One shard
 * where the tensor fits. The fused matmuls take the shards as one weight (matmulWeights, then an array).
 */
export function uploadQuantizedShards(ctx: GpuContext, q: QuantizedTensor, tensor = 'weight', maxBytes?: number): GpuQuantized[] {
  checkQuantized(q, tensor);
  const limit = Math.min(maxBytes ?? Infinity, ctx.limits.maxBufferSize, ctx.limits.maxStorageBufferBindingSize);
  const sr = scaleRowBytes(q.k6 ? 'k6' : q.s8 ? 's8' : q.scheme.scaleType, groupsPerRow(q.scheme, q.K), q.scheme.group); // uploadQuantized keeps k6 / s8 compact
  const rowBytes = Math.max(4 * wordsPerRow(q.K, q.scheme.bits), sr.scales, sr.zeros, sr.supers);
  const rows = Math.floor((limit - 2) / rowBytes); // f16 scales of a shard round up to whole words: up to 2 bytes more
  if (rows < 1) throw new Error(`tensor '${tensor}': one row of [${q.N}, ${q.K}] takes ${rowBytes} bytes, over the buffer limit of ${limit} bytes`);
  if (rows >= q.N) return [uploadQuantized(ctx, q, tensor)];
  const shards: GpuQuantized[] = [];
  try {
    for (let n0 = 0; n0 < q.N; n0 += rows) {
      const n = Math.min(rows, q.N - n0);
      shards.push(uploadQuantized(ctx, sliceQuantizedRows(q, n0, n), `${tensor}[${n0}:${n0 + n}]`));
    }
  } catch (e) {
    shards.forEach(destroyQuantized);
    throw e;
  }
  return shards;
}

export async function downloadQuantized(ctx: GpuContext, q: GpuQuantized): Promise<QuantizedTensor> {
  const { scheme: s, N, K } = q;
  if (q.kPerm) {
    const { kPerm: _p, kInv: _i, ...rest } = q;
    return { ...(await downloadQuantized(ctx, rest)), kPerm: await ctx.readU32(q.kPerm, K) };
  }
  const count = N * groupsPerRow(s, K);
  const words = scaleBytes(s, N, K) / 4;
  const codes = await ctx.readU32(q.codes, N * wordsPerRow(K, s.bits));
  if (q.storage === 's8') {
    const s8 = { scales: await ctx.readU32(q.scales, count / 4), supers: await ctx.readU32(q.supers!, count / s8GroupsPerSuper(s.group)) };
    return { scheme: s, N, K, codes, scales: s8Values(s8, s.group), zeros: null, s8 };
  }
  if (q.storage === 'k6') {
    const k6 = { scales: await ctx.readU32(q.scales, count / 2), supers: await ctx.readU32(q.zeros!, count / k6GroupsPerSuper(s.group)) };
    return { scheme: s, N, K, codes, ...k6Values(k6, k6GroupsPerSuper(s.group)), k6 };
  }
  const scales = unpackScaleWords(await ctx.readU32(q.scales, words), count, s.scaleType);
  const zeros = q.zeros ? unpackScaleWords(await ctx.readU32(q.zeros, words), count, s.scaleType) : null;
  return { scheme: s, N, K, codes, scales, zeros };
}

/** Bytes a quantized weight takes on the GPU (codes, scales, zeros or super-blocks; not the act-order permutation). */
export function quantizedBytes(q: GpuQuantized): number {
  return q.codes.size + q.scales.size + (q.zeros?.size ?? 0) + (q.supers?.size ?? 0);
}

export function destroyQuantized(q: GpuQuantized): void {
  q.codes.destroy();
  q.scales.destroy();
  q.zeros?.destroy();
  q.supers?.destroy();
  q.kPerm?.destroy();
  q.kInv?.destroy();
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
