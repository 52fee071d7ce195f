// Kernels of the language-model inference engine (issue 17): RoPE at positions read from a buffer, KV-cache
// writes, attention over the cache (flash-decoding: split + merge), argmax over rows, RMSNorm rows and SwiGLU.
// Shaders in shaders/lm/ (RMSNorm reuses shaders/ops/norm.wgsl). Every plan returns a Dispatch whose uniform holds
// only shapes fixed at plan time: positions come from a storage buffer, so the engine records a step's dispatches
// once and replays them each token in one submit. All tensors f32 unless said.
import type { GpuContext } from '../gpu/context.js';
import { getKernel, type KernelDef } from '../gpu/kernel.js';
import { normDef } from '../ops/kernels.js';
import { SHORT_CONV_MAX_TAPS } from '../ops/short_conv.js';
import { checkShape, grid1d, type Dispatch } from './common.js';
import { tuningFor } from './tuning.js';

export type RopeLayout = 'norm' | 'neox';

export const ROPE_AT: Record<RopeLayout, KernelDef> = {
  norm: { name: 'lm_rope_at_norm', shader: 'lm/rope_at' },
  neox: { name: 'lm_rope_at_neox', shader: 'lm/rope_at', defines: { NEOX: true } },
};
export const KV_STORE: KernelDef = { name: 'lm_kv_store', shader: 'lm/kv_store' };
export const ATTENTION_SPLIT: KernelDef = { name: 'lm_attention_split', shader: 'lm/attention_split' };
export const ATTENTION_MERGE: KernelDef = { name: 'lm_attention_merge', shader: 'lm/attention_merge' };
/** The merge with gpt-oss's attention sinks (a logit per head in every row's softmax denominator). */
export const ATTENTION_MERGE_SINKS: KernelDef = { name: 'lm_attention_merge_sinks', shader: 'lm/attention_merge', defines: { SINKS: true } };
export const ARGMAX_ROWS: KernelDef = { name: 'lm_argmax_rows', shader: 'lm/argmax_rows' };
export const TOP_K_ROWS: KernelDef = { name: 'lm_top_k_rows', shader: 'lm/top_k_rows' };
/** SwiGLU's forward: the graph op's kernel (src/ops/fused.ts), so inference and training compute the same values. */
export const SWIGLU: KernelDef = { name: 'swiglu', shader: 'ops/swiglu', defines: { BACKWARD: false } };
/** gelu(gate) * up (gemma3's FFN): the same shader with GELU. */
export const GEGLU: KernelDef = { name: 'geglu', shader: 'ops/swiglu', defines: { BACKWARD: false, GELU: true } };
export const REGLU: KernelDef = { name: 'reglu', shader: 'ops/swiglu', defines: { BACKWARD: false, RELU: true } };
/** gpt-oss's clamped SwiGLU (ggml's swiglu_oai: alpha 1.702, limit 7). */
export const SWIGLU_OAI: KernelDef = { name: 'swiglu_oai', shader: 'ops/swiglu', defines: { BACKWARD: false, OAI: true } };
/** sigmoid(gate) * up (qwen35's gated attention output). */
export const SIGMOID_GATE: KernelDef = { name: 'sigmoid_gate', shader: 'ops/swiglu', defines: { BACKWARD: false, SIGMOID: true } };

/**
 * Largest head_dim the attention kernels take: their per-invocation accumulators live in private arrays. 576: MLA's
 * one KV head of kv_lora 512 + rope 64 (deepseek2: DeepSeek-V2-Lite, GLM-4.7-Flash); the usual heads are 64-256.
 */
export const MAX_HEAD_DIM = 576;

const posInt = (v: number) => Number.isInteger(v) && v > 0;

function checkPositive(kernel: string, s: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(s)) checkShape(kernel, k, posInt(v), `${v} must be a positive integer`);
}

/** One invocation per item, workgroup `wg`, laid on grid1d; rowPitch = invocations per grid row. */
export function items(ctx: GpuContext, n: number, wg: number): { workgroups: [number, number]; rowPitch: number } {
  const g = grid1d(ctx, Math.ceil(n / wg));
  return { workgroups: g.workgroups, rowPitch: g.gridX * wg };
}

/**
 * The (cos, sin) table of planRopeAt: f32 [ctxMax, ropeDims/2, 2], angle(p, i) = p * posScale * base^(-2i/ropeDims) /
 * freqFactors[i] (Llama-3 rope scaling: `rope_freqs.weight`, phi3's LongRoPE factors; linear scaling: posScale =
 * 1 / rope.scaling.factor), cos and sin times mscale (rope.scaling.attn_factor), computed in f64 and rounded to f32 once.
 * (llama.cpp's CPU build forms the same angle in f32, theta *= base^(-2/ropeDims) pair by pair, so its angles
 * drift from these by a few f32 ulp of p per pair.) `rowScale`: a factor of position p's cos and sin on top of mscale
 * (mistral3's query temperature: a table for q only).
 */
export function ropeTable(ctxMax: number, ropeDims: number, base: number, freqFactors?: Float32Array, posScale = 1, mscale = 1, rowScale?: (p: number) => number): Float32Array {
  checkShape('ropeTable', 'ctxMax', posInt(ctxMax), `${ctxMax} must be a positive integer`);
  checkShape('ropeTable', 'ropeDims', posInt(ropeDims) && ropeDims % 2 === 0, `${ropeDims} must be a positive even integer`);
  checkShape('ropeTable', 'base', Number.isFinite(base) && base > 0, `${base} must be a positive number`);
  checkShape('ropeTable', 'posScale', Number.isFinite(posScale) && posScale > 0, `${posScale} must be a positive number`);
  checkShape('ropeTable', 'mscale', Number.isFinite(mscale) && mscale > 0, `${mscale} must be a positive number`);
  const half = ropeDims / 2;
  if (freqFactors) {
    checkShape('ropeTable', 'freqFactors', freqFactors.length === half, `has ${freqFactors.length} entries, ropeDims/2 = ${half} expected`);
    freqFactors.forEach((f, i) => checkShape('ropeTable', `freqFactors[${i}]`, Number.isFinite(f) && f > 0, `${f} must be a positive number`));
  }
  const inv = Float64Array.from({ length: half }, (_, i) => base ** (-(2 * i) / ropeDims) / (freqFactors ? freqFactors[i] : 1));
  const out = new Float32Array(ctxMax * half * 2);
  for (let p = 0; p < ctxMax; p++) {
    const m = rowScale ? mscale * rowScale(p) : mscale;
    for (let i = 0; i < half; i++) {
      const a = p * posScale * inv[i];
      out[2 * (p * half + i)] = Math.cos(a) * m;
      out[2 * (p * half + i) + 1] = Math.sin(a) * m;
    }
  }
  return out;
}

export interface RopeAtShape {
  T: number;
  heads: number;
  headDim: number;
  /** Leading dimensions rotated (even, <= headDim); the rest pass through. */
  ropeDims: number;
  layout: RopeLayout;
  ctxMax: number;
}

/**
 * In place on x [T, heads, headDim]: RoPE at the positions pos i32 [T], from table [ctxMax, ropeDims/2, 2] (ropeTable).
 * NORM rotates pairs (2i, 2i+1), NEOX pairs (i, i + ropeDims/2); a position outside [0, ctxMax) leaves its row unchanged.
 */
export async function planRopeAt(ctx: GpuContext, x: GPUBuffer, pos: GPUBuffer, table: GPUBuffer, s: RopeAtShape): Promise<Dispatch> {
  const { T, heads, headDim, ropeDims, ctxMax } = s;
  checkPositive('rope_at', { T, heads, headDim, ropeDims, ctxMax });
  checkShape('rope_at', 'ropeDims', ropeDims % 2 === 0 && ropeDims <= headDim, `${ropeDims} must be even and <= headDim ${headDim}`);
  checkShape('rope_at', 'layout', s.layout === 'norm' || s.layout === 'neox', `'${s.layout}' is not 'norm' or 'neox'`);
  const half = ropeDims / 2;
  const pairs = T * heads * half;
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, ROPE_AT[s.layout], {}, { WG: wg });
  const g = items(ctx, pairs, wg);
  return {
    kernel,
    args: {
      bindings: { x, pos, table },
      params: { pairs, heads, head_dim: headDim, half, ctx_max: ctxMax, row_pitch: g.rowPitch },
      expect: { x: 4 * T * heads * headDim, pos: 4 * T, table: 4 * ctxMax * ropeDims },
    },
    workgroups: g.workgroups,
  };
}

/** Row t of src [T, rowElems] into row pos[t] of cache [ctxMax, rowElems] (pos i32 [T]); positions outside [0, ctxMax) are skipped. */
export async function planKvStore(ctx: GpuContext, src: GPUBuffer, cache: GPUBuffer, pos: GPUBuffer, s: { T: number; rowElems: number; ctxMax: number; kvType?: KvType; ring?: number }): Promise<Dispatch> {
  const { T, rowElems, ctxMax } = s;
  checkPositive('kv_store', { T, rowElems, ctxMax });
  checkRing('kv_store', s.ring, ctxMax);
  const f16 = s.kvType === 'f16';
  checkShape('kv_store', 'rowElems', !f16 || rowElems % 2 === 0, `an f16 cache takes an even row length, got ${rowElems}`);
  const n = f16 ? (T * rowElems) / 2 : T * rowElems;
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, KV_STORE, { KV_F16: f16 }, { WG: wg });
  const g = items(ctx, n, wg);
  return {
    kernel,
    args: { bindings: { src, cache, pos }, params: { n, row_elems: rowElems, ctx_max: ctxMax, row_pitch: g.rowPitch, ring: s.ring ?? 0 }, expect: { src: 4 * T * rowElems, cache: kvCacheBytes(s.ring || ctxMax, rowElems, s.kvType), pos: 4 * T } },
    workgroups: g.workgroups,
  };
}

/** Element type of the KV cache: f32, or f16 held in pairs per u32 word (pack2x16float; no shader-f16 needed). */
export type KvType = 'f32' | 'f16';

/** Bytes of one layer's K (or V) cache of ctxMax rows of rowElems values. */
export const kvCacheBytes = (rows: number, rowElems: number, kvType: KvType = 'f32') => (kvType === 'f16' ? 2 : 4) * rows * rowElems;

/** A ring of R cache rows (row = position % R) is a positive integer below ctxMax; 0 or absent: one row a position. */
function checkRing(kernel: string, ring: number | undefined, ctxMax: number): void {
  const r = ring ?? 0;
  checkShape(kernel, 'ring', r === 0 || (Number.isInteger(r) && r > 0 && r < ctxMax), `${r} must be 0 (none) or an integer in [1, ctxMax ${ctxMax})`);
}

export interface AttentionShape {
  T: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ctxMax: number;
  /** Keys per split; nSplit = ceil(ctxMax / splitKeys) partials per (t, head). */
  splitKeys: number;
  /** Score scale, usually 1 / sqrt(headDim). */
  scale: number;
  /** The cache's element type (default f32). */
  kvType?: KvType;
  /** Sliding window: query at p sees keys p - window + 1..p (gemma2, gemma3); 0 or absent: keys 0..p. */
  window?: number;
  /** Score soft-capping (gemma2): s -> softcap tanh(s / softcap) after the scale; 0 or absent: none. */
  softcap?: number;
  /** Chunked attention (llama4): query at p sees keys p - p % chunk..p, its chunk's; 0 or absent: none. */
  chunk?: number;
  /** ALiBi's max_bias (BLOOM, MPT, ...): key j's score gains alibiSlope(h) (j - p); 0 or absent: none. */
  alibi?: number;
  /**
   * The cache is a ring of this many rows (key j at row j % ring: a sliding-window layer's cache, which must hold
   * the window plus a prefill chunk's other keys, ring >= window + T - 1); 0 or absent: ctxMax rows, key j at row j.
   */
  ring?: number;
}

/** Splits per (t, head) of planAttentionSplit. */
export const attentionSplits = (s: Pick<AttentionShape, 'ctxMax' | 'splitKeys'>) => Math.ceil(s.ctxMax / s.splitKeys);

/** f32 elements of the partials buffer: [T, heads, nSplit, headDim + 2]. */
export const attentionPartElems = (s: AttentionShape) => s.T * s.heads * attentionSplits(s) * (s.headDim + 2);

function checkAttention(kernel: string, s: AttentionShape): void {
  const { T, heads, kvHeads, headDim, ctxMax, splitKeys } = s;
  checkPositive(kernel, { T, heads, kvHeads, headDim, ctxMax, splitKeys });
  checkShape(kernel, 'kvHeads', heads % kvHeads === 0, `heads ${heads} is not a multiple of kvHeads ${kvHeads}`);
  checkShape(kernel, 'headDim', headDim <= MAX_HEAD_DIM && headDim % 4 === 0, `${headDim} must be a multiple of 4 and at most ${MAX_HEAD_DIM}`);
  checkShape(kernel, 'scale', Number.isFinite(s.scale), `${s.scale} is not finite`);
  const w = s.window ?? 0;
  checkShape(kernel, 'window', Number.isInteger(w) && w >= 0 && w < 2 ** 32, `${w} must be an integer >= 0 (0: no window)`);
  const chunk = s.chunk ?? 0;
  checkShape(kernel, 'chunk', Number.isInteger(chunk) && chunk >= 0 && chunk < 2 ** 32 && !(chunk > 0 && (s.window ?? 0) > 0), `${chunk} must be an integer >= 0 (0: no chunks), and not with a window`);
  const cap = s.softcap ?? 0;
  checkShape(kernel, 'softcap', Number.isFinite(cap) && cap >= 0, `${cap} must be a finite number >= 0 (0: none)`);
  const alibi = s.alibi ?? 0;
  checkShape(kernel, 'alibi', Number.isFinite(alibi) && alibi >= 0, `${alibi} must be a finite number >= 0 (0: no ALiBi)`);
  checkRing(kernel, s.ring, s.ctxMax);
  if (s.ring) checkShape(kernel, 'ring', w > 0 && s.ring >= w + s.T - 1, `a ring of ${s.ring} rows needs a window (${w}) and must hold window + T - 1 = ${w + s.T - 1} keys`);
}

// One attention invocation carries two private arrays of headDim floats and a long loop: on SwiftShader (a CPU,
// which spreads workgroups over its threads and runs 4 invocations a SIMD lane group) small workgroups let a decode
// step's few (head, split) items use every core; GPUs get 64.
const attentionWG = (ctx: GpuContext) => (ctx.info.isFallback ? 4 : 64);

/**
 * First pass of attention over the cache: q [T, heads, headDim], kCache / vCache [ctxMax, kvHeads, headDim],
 * pos i32 [T] (query t attends to keys 0..pos[t], or its last `window`) -> part [T, heads, nSplit, headDim + 2] = (m, l, o) per split.
 */
export async function planAttentionSplit(ctx: GpuContext, q: GPUBuffer, kCache: GPUBuffer, vCache: GPUBuffer, pos: GPUBuffer, part: GPUBuffer, s: AttentionShape): Promise<Dispatch> {
  checkAttention('attention_split', s);
  const { T, heads, kvHeads, headDim, ctxMax, splitKeys } = s;
  const nSplit = attentionSplits(s);
  const n = T * heads * nSplit;
  const wg = attentionWG(ctx);
  const kernel = await getKernel(ctx, ATTENTION_SPLIT, { HEAD_DIM: headDim, KV_F16: s.kvType === 'f16' }, { WG: wg });
  const g = items(ctx, n, wg);
  const cacheBytes = kvCacheBytes(s.ring || ctxMax, kvHeads * headDim, s.kvType);
  return {
    kernel,
    args: {
      bindings: { q, k_cache: kCache, v_cache: vCache, pos, part },
      params: { items: n, heads, kv_heads: kvHeads, group: heads / kvHeads, ctx_max: ctxMax, split_keys: splitKeys, n_split: nSplit, row_pitch: g.rowPitch, scale: s.scale, window: s.window ?? 0, softcap: s.softcap ?? 0, ring: s.ring ?? 0, chunk: s.chunk ?? 0, alibi: s.alibi ?? 0 },
      expect: { q: 4 * T * heads * headDim, k_cache: cacheBytes, v_cache: cacheBytes, pos: 4 * T, part: 4 * attentionPartElems(s) },
    },
    workgroups: g.workgroups,
  };
}

/**
 * Second pass: the partials of planAttentionSplit -> out [T, heads, headDim] (zeros for a row with no keys); `sinks`
 * (gpt-oss): f32 [heads], each head's sink logit in every row's softmax denominator.
 */
export async function planAttentionMerge(ctx: GpuContext, part: GPUBuffer, out: GPUBuffer, s: AttentionShape, sinks?: GPUBuffer): Promise<Dispatch> {
  checkAttention('attention_merge', s);
  const n = s.T * s.heads * s.headDim;
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, sinks ? ATTENTION_MERGE_SINKS : ATTENTION_MERGE, {}, { WG: wg });
  const g = items(ctx, n, wg);
  return {
    kernel,
    args: { bindings: { part, out, ...(sinks ? { sinks } : {}) }, params: { n, head_dim: s.headDim, n_split: attentionSplits(s), row_pitch: g.rowPitch, heads: s.heads }, expect: { part: 4 * attentionPartElems(s), out: 4 * n, ...(sinks ? { sinks: 4 * s.heads } : {}) } },
    workgroups: g.workgroups,
  };
}

/** out u32 [rows] = index of the largest element of each row of x [rows, cols]: ties to the lowest index, NaN never wins, `cols` for a row of NaN only. */
export async function planArgmaxRows(ctx: GpuContext, x: GPUBuffer, out: GPUBuffer, s: { rows: number; cols: number }): Promise<Dispatch> {
  const { rows, cols } = s;
  checkPositive('argmax_rows', { rows, cols });
  checkShape('argmax_rows', 'cols', cols < 2 ** 31, `${cols} is too large`);
  const wg = tuningFor(ctx).reduceWG;
  const kernel = await getKernel(ctx, ARGMAX_ROWS, {}, { WG: wg });
  const g = grid1d(ctx, rows);
  return {
    kernel,
    args: { bindings: { x, out }, params: { rows, cols, row_pitch: g.gridX }, expect: { x: 4 * rows * cols, out: 4 * rows } },
    workgroups: g.workgroups,
  };
}

/** The most values planTopK picks (its invocations keep that many each in private memory). */
export const TOP_K_MAX = 256;

/** The u32 words planTopK writes: [bad index, its bits, ids[m], logit bits[m], gathered bits[nPen]]. */
export const topKWords = (m: number, nPen: number) => 2 + 2 * m + nPen;

/** The workgroups planTopK splits a row of `cols` across (`chunk` elements each, default the tuning's; 1: one pass). */
export const topKGroups = (ctx: GpuContext, cols: number, chunk = tuningFor(ctx).topKChunk) => Math.ceil(cols / chunk);

/** The u32 words of planTopK's scratch for a split row: per workgroup [bad, keys[m], ids[m]]. */
export const topKPartWords = (groups: number, m: number) => groups * (1 + 2 * m);

/**
 * The m largest values of one row x[row * cols ..] (sorted, ties to the lower index), the values at up to nPen ids
 * listed in `pen` ([count, ids...], u32), and the first NaN / +Inf (shaders/lm/top_k_rows.wgsl): GPU-side top-k for
 * sampling. `out` holds topKWords(m, nPen) u32. A row of more than one tuning chunk (topKGroups > 1) is split across
 * workgroups whose lists a second dispatch merges; `part` (topKPartWords u32) is then their scratch.
 */
export async function planTopK(ctx: GpuContext, x: GPUBuffer, pen: GPUBuffer, out: GPUBuffer, s: { cols: number; row?: number; m: number; nPen: number; /** Elements per workgroup (default: the tuning's topKChunk). */ chunk?: number }, part?: GPUBuffer): Promise<Dispatch[]> {
  const { cols, m, nPen } = s;
  const row = s.row ?? 0;
  checkPositive('top_k_rows', { cols, m });
  checkShape('top_k_rows', 'cols', cols < 2 ** 31, `${cols} is too large`);
  checkShape('top_k_rows', 'm', Number.isInteger(m) && m <= TOP_K_MAX, `${m} must be an integer in 1..${TOP_K_MAX}`);
  checkShape('top_k_rows', 'nPen', Number.isInteger(nPen) && nPen >= 0, `${nPen} must be an integer >= 0`);
  // The private arrays' size: the next power of two from 32 (one pipeline per size).
  const MAXM = Math.max(32, 2 ** Math.ceil(Math.log2(m)));
  const constants = { WG: tuningFor(ctx).reduceWG };
  const base = row * cols;
  const bindings = { x, pen, out };
  const expect = { x: 4 * (base + cols), pen: 4 * (1 + nPen), out: 4 * topKWords(m, nPen) };
  checkShape('top_k_rows', 'chunk', s.chunk === undefined || (Number.isInteger(s.chunk) && s.chunk >= 1), `${s.chunk} must be an integer >= 1`);
  const groups = topKGroups(ctx, cols, s.chunk);
  if (groups === 1) {
    const kernel = await getKernel(ctx, TOP_K_ROWS, { MAXM }, constants);
    return [{ kernel, args: { bindings, params: { cols, base, m, n_pen: nPen, chunk: cols }, expect }, workgroups: [1, 1, 1] }];
  }
  checkShape('top_k_rows', 'part', !!part, `a row of ${cols} is split across ${groups} workgroups: pass a scratch of topKPartWords(${groups}, ${m}) words`);
  const chunk = Math.ceil(cols / groups);
  const partBytes = 4 * topKPartWords(groups, m);
  const partial = await getKernel(ctx, TOP_K_ROWS, { MAXM, PARTIAL: true }, constants);
  const merge = await getKernel(ctx, TOP_K_ROWS, { MAXM, MERGE: true }, constants);
  const g = grid1d(ctx, groups);
  checkShape('top_k_rows', 'groups', g.workgroups[1] === 1, `${groups} workgroups must fit one grid row`);
  return [
    { kernel: partial, args: { bindings: { x, part: part! }, params: { cols, base, m, n_pen: nPen, chunk }, expect: { x: expect.x, part: partBytes } }, workgroups: [groups, 1, 1] },
    { kernel: merge, args: { bindings: { ...bindings, part: part! }, params: { cols, base, m, n_pen: nPen, chunk: groups }, expect: { ...expect, part: partBytes } }, workgroups: [1, 1, 1] },
  ];
}

// RMSNorm's shader also writes per-row (mean, rstd) for the training backward; inference never reads them, so
// every plan on a context shares one scratch per row count (written, never read: sharing it is harmless).
const statsScratch = new WeakMap<GpuContext, Map<number, GPUBuffer>>();

function scratchStats(ctx: GpuContext, rows: number): GPUBuffer {
  let m = statsScratch.get(ctx);
  if (!m) statsScratch.set(ctx, (m = new Map()));
  let b = m.get(rows);
  if (!b) m.set(rows, (b = ctx.createBuffer(8 * rows, GPUBufferUsage.STORAGE, `lm.rms_norm.stats[${rows}]`)));
  return b;
}

/**
 * y = x / sqrt(mean(x^2) + eps) * gamma over each row of x [rows, cols], gamma [cols], the mean of squares in f32 as
 * llama.cpp's RMS_NORM then MUL; with `s.beta` [cols] LayerNorm, y = (x - mean) / sqrt(var + eps) * gamma + beta
 * (llama.cpp's NORM, MUL, ADD: stablelm). Plans shaders/ops/norm.wgsl's forward (one invocation or one workgroup per
 * row, by the adapter's tuning); its (mean, rstd) stats go to `s.stats` (f32 [rows, 2]) or a scratch shared per context.
 */
export async function planNormRows(ctx: GpuContext, x: GPUBuffer, gamma: GPUBuffer, y: GPUBuffer, s: { rows: number; cols: number; eps: number; stats?: GPUBuffer; beta?: GPUBuffer }): Promise<Dispatch> {
  const { rows, cols, eps } = s;
  checkPositive('norm_rows', { rows, cols });
  checkShape('norm_rows', 'eps', Number.isFinite(eps) && eps >= 0, `${eps} must be a finite number >= 0`);
  const t = tuningFor(ctx);
  const wgRow = t.rowReduce === 'workgroup';
  const wg = wgRow ? t.reduceWG : t.elementwiseWG;
  const kernel = await getKernel(ctx, normDef(!s.beta, 'FORWARD'), wgRow ? { WG_ROW: true } : {}, { WG: wg });
  const g = grid1d(ctx, wgRow ? rows : Math.ceil(rows / wg));
  return {
    kernel,
    args: {
      bindings: { x, gamma, y, stats: s.stats ?? scratchStats(ctx, rows), ...(s.beta ? { beta: s.beta } : {}) },
      params: { rows, cols, row_pitch: wgRow ? g.gridX : g.gridX * wg, eps },
      expect: { x: 4 * rows * cols, gamma: 4 * cols, y: 4 * rows * cols, stats: 8 * rows, ...(s.beta ? { beta: 4 * cols } : {}) },
    },
    workgroups: g.workgroups,
  };
}

/**
 * y = silu(gate) * up over n elements, silu(g) = g * (1 / (1 + exp(-g))) (exp overflowing to inf gives 0: no NaN at any |g|);
 * act 'gelu': y = gelu(gate) * up, gelu in the tanh form (GeGLU, gemma3); act 'relu': y = max(gate, 0) * up (ReGLU;
 * with gate = up, arcee's squared ReLU); act 'sigmoid': y = sigmoid(gate) * up (qwen35's gated attention output).
 */
export async function planSwiglu(ctx: GpuContext, gate: GPUBuffer, up: GPUBuffer, y: GPUBuffer, n: number, act: 'silu' | 'gelu' | 'relu' | 'swiglu_oai' | 'sigmoid' = 'silu'): Promise<Dispatch> {
  checkPositive('swiglu', { n });
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, act === 'gelu' ? GEGLU : act === 'relu' ? REGLU : act === 'swiglu_oai' ? SWIGLU_OAI : act === 'sigmoid' ? SIGMOID_GATE : SWIGLU, {}, { WG: wg });
  const g = items(ctx, n, wg);
  return { kernel, args: { bindings: { gate, up, y }, params: { n, row_pitch: g.rowPitch }, expect: { gate: 4 * n, up: 4 * n, y: 4 * n } }, workgroups: g.workgroups };
}

/** LFM2's short convolution with the layer's conv state (shaders/ops/short_conv.wgsl STATE): the graph op's kernel. */
export const SHORT_CONV_STATE: KernelDef = { name: 'lm_short_conv', shader: 'ops/short_conv', defines: { BACKWARD: false, WEIGHT_GRAD: false, STATE: true } };

/**
 * y [T, dim] = C * conv(B * X) of a step's bcx [T, 3 dim], w [dim, taps]: the rows before the step's first come from
 * `state` [taps - 1, dim] (zeros when the step starts at position 0, pos[0] = 0), which the step leaves holding its last
 * taps - 1 rows' B * X.
 */
export async function planShortConv(ctx: GpuContext, bcx: GPUBuffer, w: GPUBuffer, state: GPUBuffer, pos: GPUBuffer, y: GPUBuffer, s: { T: number; dim: number; taps: number }): Promise<Dispatch> {
  checkPositive('short_conv', s);
  checkShape('short_conv', 'taps', s.taps >= 2 && s.taps <= SHORT_CONV_MAX_TAPS, `${s.taps} must be in 2..${SHORT_CONV_MAX_TAPS}`);
  const wg = tuningFor(ctx).elementwiseWG;
  const kernel = await getKernel(ctx, SHORT_CONV_STATE, {}, { WG: wg });
  const g = items(ctx, s.dim, wg);
  return {
    kernel,
    args: { bindings: { bcx, w, y, state, pos }, params: { rows: s.T, seq: s.T, dim: s.dim, taps: s.taps, row_pitch: g.rowPitch }, expect: { bcx: 4 * s.T * 3 * s.dim, w: 4 * s.dim * s.taps, y: 4 * s.T * s.dim, state: 4 * (s.taps - 1) * s.dim, pos: 4 * s.T } },
    workgroups: g.workgroups,
  };
}
