// Matmuls: the dequant-fused W4A16 / W8A16 / W8A8 kernels; the f32 one lives in matmul_f32.ts (re-exported here), the
// weight checks and binding-limit chunking in matmul_checks.ts.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { checkShape, grid1d, runDispatches, subgroupsOf4, type Dispatch } from './common.js';
import { planPermuteColumns } from './basic.js';
import { tuningFor, type Tuning } from './tuning.js';
import { describeScheme, lutOf, zeroKind, type LutTable } from '../quant/scheme.js';
import { lutDefines, type GpuQuantized } from './quant.js';
import { checkEpilogue, shiftedRows, splitRows, weightChunks, type Bindable } from './matmul_checks.js';

export { checkQuantWeights, splitColumns, splitRows } from './matmul_checks.js';

export { subgroupsOf4 } from './common.js';
export { canGroupMatmulF32, F32_ROWS_COLS, F32_VARIANTS, f32Variant, MATMUL_B_TYPES, MATMUL_F32, MATMUL_F32_ROWS, matmulF32, planMatmulF32, planMatmulF32Group, pickSubA, type F32Variant, type MatmulBType, type MatmulF32Product, type MatmulF32Shape, type MatmulGroupKind, type SteMaskEpilogue } from './matmul_f32.js';

// ---- Dequant-fused matmuls (shaders/matmul/matmul_w4a16.wgsl, matmul_w8a16.wgsl, matmul_w8a8.wgsl) -------------
// y[M, N] (f32 or f16) = x[M, K] · dequant(W)[N, K]^T, + bias, SiLU/GELU, + residual. W in the layout of src/quant/layout.ts.

export const MATMUL_W4A16: KernelDef = { name: 'matmul_w4a16', shader: 'matmul/matmul_w4a16' };
export const MATMUL_W8A16: KernelDef = { name: 'matmul_w8a16', shader: 'matmul/matmul_w8a16', defines: { W8: true } };

/** Rows of x one invocation (PATH_ROWS) or one GEMV workgroup (PATH_SPLIT) handles: the shaders' MAXM. */
export const GEMV_MAX_M = 8;
/** Most output columns one 'splitcols' GEMV workgroup computes: the shader's MAXC. */
export const GEMV_MAX_COLS = 8;
/** Most adjacent output columns one PATH_ROWS invocation (blocks of 1 or 4 rows) computes (the shader's RC). */
export const ROWS_MAX_COLS = 16;

export type ZeroMode = 'symmetric' | 'zero-point' | 'float-min';
/** 'splitcols': the K-split GEMV with several output columns per workgroup (the GPUs' GEMV, tuning.ts; W8A8: per-channel weights only). */
export type MatmulPath = 'rows' | 'split' | 'splitcols' | 'tiled';
export type MatmulActivation = 'none' | 'silu' | 'gelu';

/** Quantized weights on the GPU: codes [N, wordsPerRow] u32, scales (and zeros) [N, ceil(K/group)] f32. */
export interface QuantWeightBuffers {
  bits: 4 | 8;
  N: number;
  K: number;
  /** Group size along K; omitted (or >= K) means per channel. */
  group?: number;
  mode: ZeroMode;
  codes: GPUBuffer;
  scales: GPUBuffer;
  zeros?: GPUBuffer;
  /**
   * Element type of scales and zeros: f32 (default) or f16, two per u32, low half first (layout.ts); or 'k6', GGUF
   * Q4_K / Q5_K / Q2_K kept compact (GpuQuantized storage 'k6'; float-min, group 32 (Q2_K 16), K a multiple of 256); or 's8', GGUF
   * Q6_K's int8 scales with their f16 d in `supers` (storage 's8'; symmetric, group 16, K a multiple of 256).
   */
  scaleType?: 'f32' | 'f16' | 'k6' | 's8';
  /** scaleType 's8' only: one u32 per super-block of 256 elements (16 groups, or 8 of 32), f16 d in the low half. */
  supers?: GPUBuffer;
  /**
   * GGUF MXFP4 / IQ4_NL / IQ4_XS and the IQ1-IQ3 lattice types (4-bit, symmetric): each code indexes a table
   * (src/quant/scheme.ts LUT_VALUES), value T[u] * s; W4A16 only.
   */
  lut?: LutTable;
  /**
   * GPTQ act-order: the weight's columns are stored sorted by group, column j being the original column kPerm[j]
   * (u32 [K]). x must be in the same order: matmulQ gathers it (x'[m, j] = x[m, kPerm[j]]) before the matmul; a
   * planner caller does so itself (planPermuteColumns) and says `xPermuted`.
   */
  kPerm?: GPUBuffer;
}

/**
 * A quantized weight for the fused matmuls: one set of buffers, or shards of whole rows along N, in order (from
 * uploadQuantizedShards, for weights over a buffer limit), which the matmuls treat as the one weight [sum N, K].
 */
export type QuantWeights = QuantWeightBuffers | readonly QuantWeightBuffers[];

const ZERO_MODES: Record<ReturnType<typeof zeroKind>, ZeroMode> = { none: 'symmetric', int: 'zero-point', float: 'float-min' };

/**
 * The matmul kernels' view of a quantized weight already on the GPU: from quantizeWeights, or uploadQuantized of a
 * tensor imported from GGUF (Q4_0 / Q4_1 / Q8_0), GPTQ or AWQ. No copy: the codes, scales and zeros are the same
 * buffers. 4- and 8-bit weights only (the fused kernels' widths); `tensor` names the weight in errors.
 */
export function matmulWeights(q: GpuQuantized, tensor?: string): QuantWeightBuffers;
export function matmulWeights(q: readonly GpuQuantized[], tensor?: string): QuantWeightBuffers[];
export function matmulWeights(q: GpuQuantized | readonly GpuQuantized[], tensor = 'weight'): QuantWeights {
  if (Array.isArray(q)) return q.map((p) => matmulWeights(p, tensor));
  const s = (q as GpuQuantized).scheme;
  checkShape('matmul', tensor, s.bits === 4 || s.bits === 8, `${describeScheme(s)}: the fused matmuls take 4- or 8-bit codes (dequantize other widths)`);
  return {
    bits: s.bits as 4 | 8,
    N: (q as GpuQuantized).N,
    K: (q as GpuQuantized).K,
    group: s.group || undefined,
    mode: ZERO_MODES[zeroKind(s)],
    codes: (q as GpuQuantized).codes,
    scales: (q as GpuQuantized).scales,
    ...((q as GpuQuantized).zeros ? { zeros: (q as GpuQuantized).zeros! } : {}),
    ...((q as GpuQuantized).supers ? { supers: (q as GpuQuantized).supers! } : {}),
    ...((q as GpuQuantized).kPerm ? { kPerm: (q as GpuQuantized).kPerm! } : {}),
    scaleType: (q as GpuQuantized).storage ?? s.scaleType,
    ...(lutOf(s) ? { lut: lutOf(s) } : {}),
  };
}

export interface MatmulQOptions {
  M: number;
  /** x is already in the weight's act-order column order (kPerm): planMatmulQ refuses such a weight otherwise. */
  xPermuted?: boolean;
  /** Element type of x: f16 (the inference default) or f32 (training). */
  xType: 'f16' | 'f32';
  bias?: GPUBuffer;
  activation?: MatmulActivation;
  residual?: GPUBuffer;
  /** Forcing knobs for tests and benches; defaults come from the adapter and tuning.ts. */
  path?: MatmulPath;
  /** f16 activations: 'native' (shader-f16 math) or 'emulated' (unpack2x16float, f32 math). */
  f16?: 'native' | 'emulated';
  subgroups?: boolean;
  /** 'rows' with f32 x: x's shared values through subgroupBroadcast (SUB_X; needs subgroups of >= 4 lanes and a
   *  workgroup of >= 4 invocations); default the table's `subX`. */
  subX?: boolean;
  /** Workgroup size of the split GEMVs, 'split' and 'splitcols' (a power of two; default from tuning.ts), for tuning sweeps. */
  splitWG?: number;
  /** 'splitcols': output columns per workgroup, 1 ..= 8 (default from tuning.ts), for tuning sweeps. */
  colsPerWG?: number;
  /** PATH_ROWS: rows of x per invocation: 1 or 4 (with colsPerInvocation adjacent output columns) or 8 (one
   *  column); default from tuning.ts (4 becomes 1 where M < 3). */
  rowsPerInvocation?: 1 | 4 | 8;
  /** PATH_ROWS with 1 or 4 rows per invocation: adjacent output columns per invocation, 1 ..= 16 (default from tuning.ts). */
  colsPerInvocation?: number;
  /**
   * No binding exceeds this many bytes (default: maxStorageBufferBindingSize): W is split along N and x, y and
   * residual (W8A8: also its int8 activations and scales) along M, into dispatches of one submission.
   */
  maxBindingBytes?: number;
  /**
   * Element type of y, and of residual (same layout): f32 (default) or f16, rounded to nearest, ties to even, in the
   * kernel (+-inf from 65520), row-major [M, N], two per u32 word, low half first. Accumulation is f32 either way.
   */
  yType?: 'f32' | 'f16';
  /** f16 y: 'native' (f16 stores, needs shader-f16) or 'emulated' (each half written by an atomic compare-exchange
   *  into its u32 word); default native where the adapter has shader-f16. */
  yF16?: 'native' | 'emulated';
  /**
   * y as the column block [col0, col0 + N) of a wider f32 matrix [M, ldy] (its other columns untouched: deepseek2's
   * per-head projections write each head's columns of one y); default the whole of y [M, N]. No bias or residual.
   */
  yBlock?: { ldy: number; col0: number };
}

function epilogueDefines(o: { bias?: GPUBuffer; residual?: GPUBuffer; activation?: MatmulActivation }) {
  return { BIAS: !!o.bias, RESIDUAL: !!o.residual, SILU: o.activation === 'silu', GELU: o.activation === 'gelu' };
}

/**
 * PATH_ROWS' shape, shared by both planners: rows of x per invocation (forced, or the tuning table's, which becomes
 * the largest of 8 / 4 / 1 the rows fill: 4 where M <= 4, 1 where M < 3, where 4 measured no faster on SwiftShader),
 * the adjacent columns of a block, the shader defines, the output columns one workgroup covers and the rows per slice
 * of the grid's depth (blocks of rows). W4A16 / W8A16 (`block8`) take 8 rows as a block of 8 rows x RC columns;
 * W8A8 has blocks of 1 or 4 rows (the table's 8 is 4 there) and takes 8 rows, when asked for, as one column of 8
 * rows. Other paths get the defines off (and one slice).
 */
function rowsShape(kernel: string, path: MatmulPath, M: number, o: { rowsPerInvocation?: number; colsPerInvocation?: number }, t: Tuning['matmulQ'], block8: boolean) {
  const off = { defines: { ROW_BLOCK: false, ROWS4: false, ROWS8: false, ROWS_COLS: 1, G1: false, G2: false, G3: false }, cols: 1, perZ: 0 };
  if (path !== 'rows') return off;
  const fit = t.rowsM === 1 || M < 3 ? 1 : t.rowsM === 8 && M > 4 ? 8 : 4;
  const rows = o.rowsPerInvocation ?? (block8 ? fit : Math.min(fit, 4));
  checkShape(kernel, 'rowsPerInvocation', rows === 1 || rows === 4 || rows === 8, `rowsPerInvocation=${rows} must be 1, 4 or 8`);
  if (rows === 8 && !block8) return { ...off, cols: t.rowsWG, perZ: 8 };
  const rc = o.colsPerInvocation ?? t.rowsCols;
  checkShape(kernel, 'colsPerInvocation', Number.isInteger(rc) && rc >= 1 && rc <= ROWS_MAX_COLS, `colsPerInvocation=${rc} must be an integer in 1..${ROWS_MAX_COLS}`);
  return { defines: { ROW_BLOCK: true, ROWS4: rows >= 4, ROWS8: rows === 8, ROWS_COLS: rc, G1: rc > 4, G2: rc > 8, G3: rc > 12 }, cols: t.rowsWG * rc, perZ: rows };
}

/** Whether the W4A16 / W8A16 'rows' path takes x through subgroupBroadcast (SUB_X): forced by `o.subX`, else the table's. */
function subXFor(ctx: GpuContext, kernel: string, path: MatmulPath, o: { subX?: boolean; xType: 'f16' | 'f32'; colsPerInvocation?: number }, N: number, t: Tuning['matmulQ']): boolean {
  const can = path === 'rows' && o.xType === 'f32' && subgroupsOf4(ctx) && t.rowsWG >= 4;
  const why = path !== 'rows' ? `the ${path} path` : o.xType !== 'f32' ? 'f16 x' : t.rowsWG < 4 ? `rowsWG=${t.rowsWG}` : `subgroups of ${ctx.caps.subgroups ? ctx.caps.subgroupMinSize : 'no'} lanes`;
  checkShape(kernel, 'subX', !o.subX || can, `SUB_X takes the 'rows' path with f32 x, a workgroup and subgroups of at least 4 lanes (not ${why})`);
  // Not where fewer than 4 invocations have columns: the others would repeat the last one's work to feed them x.
  return o.subX ?? (t.subX && can && Math.ceil(N / (o.colsPerInvocation ?? t.rowsCols)) >= 4);
}

/** The most rows one dispatch of `path` covers: its grid dimension over rows is at most maxComputeWorkgroupsPerDimension. */
function gridRows(ctx: GpuContext, path: MatmulPath, perZ: number, t: Tuning['matmulQ']): number {
  const max = ctx.limits.maxComputeWorkgroupsPerDimension;
  return path === 'tiled' ? max * t.tileY * 4 : perZ ? max * perZ : Infinity;
}

/**
 * The grid of one dispatch over n columns and mc rows: output tiles for 'tiled', else blocks of `per` columns (folded
 * onto 2-D by grid1d) times the row blocks of `perZ` rows (0: one slice).
 */
function chunkGrid(ctx: GpuContext, path: MatmulPath, n: number, mc: number, per: number, perZ: number, t: Tuning['matmulQ']): { workgroups: [number, number, number]; gridX: number } {
  if (path === 'tiled') return { workgroups: [Math.ceil(n / (t.tileX * 4)), Math.ceil(mc / (t.tileY * 4)), 1], gridX: 1 };
  const gr = grid1d(ctx, Math.ceil(n / per));
  return { workgroups: [gr.workgroups[0], gr.workgroups[1], perZ ? Math.ceil(mc / perZ) : 1], gridX: gr.gridX };
}

/** The split GEMVs' workgroup size and (splitcols) columns per workgroup, from `o` or the tuning table, checked. */
function gemvKnobs(ctx: GpuContext, kernel: string, path: MatmulPath, o: { splitWG?: number; colsPerWG?: number }, t: Tuning['matmulQ']): { splitWG: number; cols: number } {
  const splitWG = o.splitWG ?? t.splitWG;
  const cols = o.colsPerWG ?? t.colsPerWG;
  if (path === 'split' || path === 'splitcols') {
    const maxWG = ctx.limits.maxComputeInvocationsPerWorkgroup;
    checkShape(kernel, 'splitWG', Number.isInteger(splitWG) && splitWG >= 1 && (splitWG & (splitWG - 1)) === 0 && splitWG <= maxWG, `splitWG=${splitWG} must be a power of two <= ${maxWG}`);
  }
  if (path === 'splitcols') checkShape(kernel, 'colsPerWG', Number.isInteger(cols) && cols >= 1 && cols <= GEMV_MAX_COLS && cols <= splitWG, `colsPerWG=${cols} must be an integer in 1..${GEMV_MAX_COLS} and at most splitWG=${splitWG}`);
  return { splitWG, cols };
}

/** Override constants of a 'splitcols' pipeline (both kernels); ROWS is added per chunk of rows. */
function colsConstants(ctx: GpuContext, splitWG: number, cols: number, subgroups: boolean): Record<string, number> {
  return { WG: splitWG, COLS: cols, SGMIN: subgroups ? Math.max(1, ctx.caps.subgroupMinSize) : 1 };
}

/** Which path the tuning table picks for M rows (GEMV for M <= GEMV_MAX_M, else GEMM). */
export function pickPath(ctx: GpuContext, M: number): MatmulPath {
  const t = tuningFor(ctx).matmulQ;
  return M <= GEMV_MAX_M ? t.gemv : t.gemm;
}

/** Plans W4A16 / W8A16 (and f32-activation) matmul dispatches: one per chunk of rows and column chunk of W. */
export async function planMatmulQ(ctx: GpuContext, x: GPUBuffer, w: QuantWeights, y: GPUBuffer, o: MatmulQOptions): Promise<Dispatch[]> {
  const kernelName = (Array.isArray(w) ? w[0]?.bits : (w as QuantWeightBuffers).bits) === 8 ? 'matmul_w8a16' : 'matmul_w4a16';
  const { M } = o;
  checkShape(kernelName, 'x M', Number.isInteger(M) && M > 0, `M=${M} must be a positive integer`);
  const maxBytes = Math.min(o.maxBindingBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize);
  const W = weightChunks(ctx, kernelName, w, [4, 8], ['symmetric', 'zero-point', 'float-min'], maxBytes);
  checkShape(kernelName, 'x order', !W.kPerm || !!o.xPermuted, `W is stored in GPTQ act-order (kPerm): x must be gathered into its column order first (matmulQ does; or planPermuteColumns, then xPermuted: true)`);
  const g = W.g;
  const { N, K, ngroups, wpr } = g;
  checkShape(kernelName, 'x type', o.xType === 'f16' || o.xType === 'f32', `xType '${o.xType}' is not f16 or f32`);
  const xBytes = o.xType === 'f16' ? 4 * Math.ceil((M * K) / 2) : 4 * M * K;
  checkShape(kernelName, 'x', x.size >= xBytes, `buffer '${x.label}' of ${x.size} bytes is too small for [${M}, ${K}] ${o.xType} (${xBytes} bytes; W is [${N}, ${K}])`);
  const yb = o.yBlock;
  if (yb) checkShape(kernelName, 'yBlock', Number.isInteger(yb.col0) && yb.col0 >= 0 && yb.col0 + N <= yb.ldy && !o.bias && !o.residual && (o.yType ?? 'f32') === 'f32', `columns [${yb.col0}, ${yb.col0 + N}) of rows of ${yb.ldy} f32, without bias or residual`);
  const ldy = yb?.ldy ?? N;
  const out = checkEpilogue(ctx, kernelName, M, ldy, o, y);
  const t = tuningFor(ctx).matmulQ;
  const path = o.path ?? pickPath(ctx, M);
  const rows = rowsShape(kernelName, path, M, o, t, true);
  const gemv = path === 'split' || path === 'splitcols';
  checkShape(kernelName, 'path', !gemv || M <= GEMV_MAX_M, `the ${path} GEMV path takes M <= ${GEMV_MAX_M}, got M=${M}`);
  const { splitWG, cols } = gemvKnobs(ctx, kernelName, path, o, t);
  let f16 = o.f16 ?? (ctx.caps.shaderF16 ? 'native' : 'emulated');
  if (o.xType === 'f32') f16 = 'emulated';
  checkShape(kernelName, 'f16', !(o.xType === 'f16' && f16 === 'native' && !ctx.caps.shaderF16), `native f16 needs the adapter's shader-f16 feature`);
  const subgroups = gemv && (o.subgroups ?? (ctx.caps.subgroups && t.subgroups));
  checkShape(kernelName, 'subgroups', !(subgroups && !ctx.caps.subgroups), `the adapter has no subgroups`);
  const subX = subXFor(ctx, kernelName, path, o, Math.min(...W.pieces.map((p) => p.n)), t);
  const defines = {
    ...epilogueDefines(o),
    ...out.defines,
    SUB_X: subX,
    ACT_F16: o.xType === 'f16' && f16 === 'native',
    ACT_F16P: o.xType === 'f16' && f16 === 'emulated',
    ZEROS: W.mode !== 'symmetric',
    FMIN: W.mode === 'float-min',
    PATH_ROWS: path === 'rows',
    PATH_SPLIT: path === 'split',
    PATH_TILED: path === 'tiled',
    SUBGROUPS: subgroups,
    SCALES_F16: g.sb === 2,
    SCALES_K6: W.scaleType === 'k6',
    K6_G16: W.scaleType === 'k6' && g.G === 16,
    SCALES_S8: W.scaleType === 's8',
    S8_G32: W.scaleType === 's8' && g.G === 32,
    ...lutDefines(W.lut),
    ...rows.defines,
    X_VEC: path !== 'tiled' && K % g.cpw === 0 && !subX,
    PATH_COLS: path === 'splitcols',
    W_V4: path === 'splitcols' && wpr % 4 === 0,
    GCHUNK: path === 'splitcols' && (ngroups === 1 || g.G % (4 * g.cpw) === 0),
  };
  let constants: Record<string, number>;
  if (path === 'tiled') constants = { WG_X: t.tileX, WG_Y: t.tileY, BK: t.bk };
  else if (path === 'rows') constants = { WG: t.rowsWG };
  else if (path === 'split') constants = { WG: splitWG };
  else constants = colsConstants(ctx, splitWG, cols, subgroups);
  const xElem = o.xType === 'f16' ? 2 : 4;
  const mChunks = splitRows(ctx, kernelName, M, [{ name: 'x', rowBytes: xElem * K }, { name: o.residual ? 'y and residual' : 'y', rowBytes: out.yElem * ldy }], maxBytes, gridRows(ctx, path, rows.perZ, t));
  const ds: Dispatch[] = [];
  for (const [m0, mc] of mChunks) {
    const whole = mChunks.length === 1;
    // splitcols sizes its workgroup arrays by ROWS, the chunk's height (getKernel caches per constant set).
    const kernel = await getKernel(ctx, W.bits === 8 ? MATMUL_W8A16 : MATMUL_W4A16, defines, path === 'splitcols' ? { ...constants, ROWS: mc } : constants);
    const xv = shiftedRows(ctx, x, xElem, m0 * K, mc * K, whole);
    const yv = shiftedRows(ctx, y, out.yElem, m0 * ldy, mc * ldy, whole);
    for (const { n0, n, bindings: wb } of W.pieces) {
      const bindings: Record<string, Bindable> = { x: xv.view, ...wb, y: yv.view };
      if (o.bias) bindings.bias = o.bias;
      if (o.residual) bindings.residual = shiftedRows(ctx, o.residual, out.yElem, m0 * N, mc * N, whole).view;
      const { workgroups, gridX } = chunkGrid(ctx, path, n, mc, path === 'rows' ? rows.cols : path === 'splitcols' ? cols : 1, rows.perZ, t);
      ds.push({
        kernel,
        args: {
          bindings,
          params: { M: mc, N: n, K, wpr, ngroups, group: g.G, n0: n0 + (yb?.col0 ?? 0), ldy, grid_x: gridX, x0: xv.index0, y0: yv.index0 },
          expect: { x: xv.bytes, w_q: 4 * wpr * n, scales: g.sRow * n, ...(W.zeros ? { zeros: g.zRow * n } : {}), ...(g.supRow ? { supers: g.supRow * n } : {}), y: yv.bytes, ...(o.residual ? { residual: yv.bytes } : {}) },
        },
        workgroups,
      });
    }
  }
  return ds;
}

/** Runs a W4A16 / W8A16 matmul (all its dispatches in one submission). */
export async function matmulQ(ctx: GpuContext, x: GPUBuffer, w: QuantWeights, y: GPUBuffer, o: MatmulQOptions): Promise<void> {
  const first = Array.isArray(w) ? w[0] : (w as QuantWeightBuffers);
  if (!first?.kPerm || o.xPermuted) return runDispatches(ctx, await planMatmulQ(ctx, x, w, y, o));
  // GPTQ act-order: x gathered into the weight's column order first, in the same submission.
  const elem = o.xType === 'f16' ? 'f16' : 'f32';
  const words = elem === 'f16' ? Math.ceil((o.M * first.K) / 2) : o.M * first.K;
  const xp = ctx.pool.acquire(4 * words, undefined, 'x (act-order)'); // reused across calls, as W8A8's scratch
  try {
    await runDispatches(ctx, [await planPermuteColumns(ctx, x, first.kPerm, xp, o.M, first.K, elem), ...(await planMatmulQ(ctx, xp, w, y, { ...o, xPermuted: true }))]);
  } finally {
    ctx.pool.release(xp);
  }
}

export const QUANTIZE_ROWS_I8: KernelDef = { name: 'quantize_rows_i8', shader: 'matmul/quantize_rows_i8' };
export const MATMUL_W8A8: KernelDef = { name: 'matmul_w8a8', shader: 'matmul/matmul_w8a8' };

export interface MatmulW8A8Options extends Omit<MatmulQOptions, 'f16'> {
  /** Force the plain-integer fallback instead of dot4I8Packed (tests; both give the same integers). */
  packedDot?: boolean;
  /** Where the pre-pass puts the int8 activations ([M, ceil(K/4)] u32) and per-token scales ([M] f32). */
  scratch?: { xq: GPUBuffer; xs: GPUBuffer };
}

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

/**
 * Plans W8A8: the per-token int8 quantization of x (quantize_rows_i8) followed by the integer matmul, one per
 * column chunk of W, to be encoded in one pass (runDispatches). `scratch` must hold [M, ceil(K/4)] u32 + [M] f32.
 */
export async function planMatmulW8A8(ctx: GpuContext, x: GPUBuffer, w: QuantWeights, y: GPUBuffer, o: MatmulW8A8Options & { scratch: { xq: GPUBuffer; xs: GPUBuffer } }): Promise<Dispatch[]> {
  const name = 'matmul_w8a8';
  const { M } = o;
  checkShape(name, 'x M', Number.isInteger(M) && M > 0, `M=${M} must be a positive integer`);
  const maxBytes = Math.min(o.maxBindingBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize);
  const W = weightChunks(ctx, name, w, [8], ['symmetric'], maxBytes);
  const g = W.g;
  const { N, K, ngroups, wpr } = g;
  checkShape(name, 'x type', o.xType === 'f16' || o.xType === 'f32', `xType '${o.xType}' is not f16 or f32`);
  const xBytes = o.xType === 'f16' ? 4 * Math.ceil((M * K) / 2) : 4 * M * K;
  checkShape(name, 'x', x.size >= xBytes, `buffer '${x.label}' of ${x.size} bytes is too small for [${M}, ${K}] ${o.xType} (${xBytes} bytes; W is [${N}, ${K}])`);
  const out = checkEpilogue(ctx, name, M, N, o, y);
  checkShape(name, 'xq', o.scratch.xq.size >= 4 * M * wpr, `scratch buffer '${o.scratch.xq.label}' of ${o.scratch.xq.size} bytes is too small for [${M}, ${wpr}] u32`);
  checkShape(name, 'xs', o.scratch.xs.size >= 4 * M, `scratch buffer '${o.scratch.xs.label}' of ${o.scratch.xs.size} bytes is too small for [${M}] f32`);
  const t = tuningFor(ctx).matmulQ;
  checkShape(name, 'path', o.path !== 'splitcols' || ngroups === 1, `the W8A8 'splitcols' GEMV takes per-channel weights (one group per row; W has ${ngroups} groups of ${g.G}): use 'split'`);
  const picked = pickPath(ctx, M);
  // The tuning table's 'splitcols' runs grouped W8A8 as 'split' (a group's integers must be complete before its scale).
  const path = o.path ?? (picked === 'splitcols' && ngroups > 1 ? 'split' : picked);
  const rows = rowsShape(name, path, M, o, t, false);
  const gemv = path === 'split' || path === 'splitcols';
  checkShape(name, 'path', !gemv || M <= GEMV_MAX_M, `the ${path} GEMV path takes M <= ${GEMV_MAX_M}, got M=${M}`);
  const { splitWG, cols } = gemvKnobs(ctx, name, path, o, t);
  const packed = o.packedDot ?? ctx.caps.packedDot;
  checkShape(name, 'packedDot', !(packed && !ctx.caps.packedDot), `the adapter lacks packed_4x8_integer_dot_product`);
  const subgroups = gemv && (o.subgroups ?? (ctx.caps.subgroups && t.subgroups));
  checkShape(name, 'subgroups', !(subgroups && !ctx.caps.subgroups), `the adapter has no subgroups`);
  // The tiled path rescales at tile boundaries: its BK must divide the group (or the row must be one group).
  const bk = ngroups === 1 ? t.bk : gcd(g.G, t.bk);
  let constants: Record<string, number>;
  if (path === 'tiled') constants = { WG_X: t.tileX, WG_Y: t.tileY, BK: bk };
  else if (path === 'rows') constants = { WG: t.rowsWG };
  else if (path === 'split') constants = { WG: splitWG };
  else constants = colsConstants(ctx, splitWG, cols, subgroups);
  const defines = { ...epilogueDefines(o), ...out.defines, PACKED: packed, PATH_ROWS: path === 'rows', PATH_SPLIT: path === 'split', PATH_COLS: path === 'splitcols', W_V4: path === 'splitcols' && wpr % 4 === 0, PATH_TILED: path === 'tiled', SUBGROUPS: subgroups, ...rows.defines, SCALES_F16: g.sb === 2, SCALES_S8: W.scaleType === 's8', S8_G32: W.scaleType === 's8' && g.G === 32 };
  const qk = await getKernel(ctx, QUANTIZE_ROWS_I8, { X_F16: o.xType === 'f16' }, { WG: t.quantWG });
  const xElem = o.xType === 'f16' ? 2 : 4;
  const rowBindings = [
    { name: 'x', rowBytes: xElem * K },
    { name: 'xq', rowBytes: 4 * wpr },
    { name: 'xs', rowBytes: 4 },
    { name: o.residual ? 'y and residual' : 'y', rowBytes: out.yElem * N },
  ];
  const mChunks = splitRows(ctx, name, M, rowBindings, maxBytes, gridRows(ctx, path, rows.perZ, t));
  const ds: Dispatch[] = [];
  // Per chunk of rows: quantize its activations, then the integer matmul over every column chunk of W.
  for (const [m0, mc] of mChunks) {
    const whole = mChunks.length === 1;
    const xv = shiftedRows(ctx, x, xElem, m0 * K, mc * K, whole);
    const xqv = shiftedRows(ctx, o.scratch.xq, 4, m0 * wpr, mc * wpr, whole);
    const xsv = shiftedRows(ctx, o.scratch.xs, 4, m0, mc, whole);
    const yv = shiftedRows(ctx, y, out.yElem, m0 * N, mc * N, whole);
    const qg = grid1d(ctx, mc);
    // splitcols sizes its workgroup arrays by ROWS, the chunk's height (getKernel caches per constant set).
    const mk = await getKernel(ctx, MATMUL_W8A8, defines, path === 'splitcols' ? { ...constants, ROWS: mc } : constants);
    ds.push({
      kernel: qk,
      args: { bindings: { x: xv.view, xq: xqv.view, xs: xsv.view }, params: { M: mc, K, kw: wpr, grid_x: qg.gridX, x0: xv.index0, xq0: xqv.index0, xs0: xsv.index0 }, expect: { x: xv.bytes, xq: xqv.bytes, xs: xsv.bytes } },
      workgroups: qg.workgroups,
    });
    for (const { n0, n, bindings: wb } of W.pieces) {
      const bindings: Record<string, Bindable> = { xq: xqv.view, xs: xsv.view, ...wb, y: yv.view };
      if (o.bias) bindings.bias = o.bias;
      if (o.residual) bindings.residual = shiftedRows(ctx, o.residual, out.yElem, m0 * N, mc * N, whole).view;
      const { workgroups, gridX } = chunkGrid(ctx, path, n, mc, path === 'rows' ? rows.cols : path === 'splitcols' ? cols : 1, rows.perZ, t);
      ds.push({
        kernel: mk,
        args: {
          bindings,
          params: { M: mc, N: n, K, wpr, ngroups, group: g.G, n0, ldy: N, grid_x: gridX, xq0: xqv.index0, xs0: xsv.index0, y0: yv.index0 },
          expect: { xq: xqv.bytes, xs: xsv.bytes, w_q: 4 * wpr * n, scales: g.sRow * n, ...(g.supRow ? { supers: g.supRow * n } : {}), y: yv.bytes, ...(o.residual ? { residual: yv.bytes } : {}) },
        },
        workgroups,
      });
    }
  }
  return ds;
}

/** Runs W8A8: activation quantization and the integer matmul in one submission (scratch from the pool unless given). */
export async function matmulW8A8(ctx: GpuContext, x: GPUBuffer, w: QuantWeights, y: GPUBuffer, o: MatmulW8A8Options): Promise<void> {
  const wpr = Math.ceil((Array.isArray(w) ? (w[0]?.K ?? 0) : (w as QuantWeightBuffers).K) / 4);
  const own = !o.scratch;
  const scratch = o.scratch ?? { xq: ctx.pool.acquire(4 * o.M * wpr, undefined, 'w8a8.xq'), xs: ctx.pool.acquire(4 * o.M, undefined, 'w8a8.xs') };
  try {
    await runDispatches(ctx, await planMatmulW8A8(ctx, x, w, y, { ...o, scratch }));
  } finally {
    if (own) {
      ctx.pool.release(scratch.xq);
      ctx.pool.release(scratch.xs);
    }
  }
}
