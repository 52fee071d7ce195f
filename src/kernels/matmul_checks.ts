// Checks and binding-limit chunking shared by the dequant-fused matmuls (src/kernels/matmul.ts): a weight's buffers
// against its shape and scheme, y / bias / residual against [M, N], and the column (W) and row (x, y) chunks that
// keep every binding under maxStorageBufferBindingSize.
import type { GpuContext } from '../gpu/context.js';
import { checkShape } from './common.js';
import { scaleRowBytes } from './quant.js';
import { k6GroupsPerSuper } from '../quant/gguf_words.js';
import { LUT_VALUES } from '../quant/scheme.js';
import type { QuantWeightBuffers, QuantWeights, ZeroMode } from './matmul.js';

export interface QGeometry {
  M: number;
  N: number;
  K: number;
  G: number;
  ngroups: number;
  wpr: number;
}

/** Validates the weights' shapes and buffers against each other; returns the shape math. */
export function checkQuantWeights(kernel: string, w: QuantWeightBuffers, bitsAllowed: readonly number[], modes: readonly ZeroMode[]): QGeometry & { cpw: number; sb: number; sRow: number; zRow: number; supRow: number } {
  const { N, K } = w;
  for (const [k, v] of Object.entries({ N, K })) checkShape(kernel, `W ${k}`, Number.isInteger(v) && v > 0, `${k}=${v} must be a positive integer`);
  checkShape(kernel, 'W bits', bitsAllowed.includes(w.bits), `${w.bits}-bit weights are not supported (supported: ${bitsAllowed.join(', ')})`);
  checkShape(kernel, 'W scheme', modes.includes(w.mode), `scheme '${w.mode}' is not supported (supported: ${modes.join(', ')})`);
  const cpw = 32 / w.bits;
  const G = w.group === undefined ? K : Math.min(w.group, K);
  checkShape(kernel, 'W group', Number.isInteger(G) && G > 0, `group=${w.group} must be a positive integer`);
  checkShape(kernel, 'W group', G === K || G % cpw === 0, `group=${G} with ${w.bits}-bit codes: a group must be a multiple of ${cpw} (one u32 word) or cover the row (K=${K})`);
  const ngroups = Math.ceil(K / G);
  const wpr = Math.ceil(K / cpw);
  const st = w.scaleType ?? 'f32';
  checkShape(kernel, 'W scaleType', st === 'f32' || st === 'f16' || st === 'k6' || st === 's8', `'${st}' is not f32, f16, k6 or s8`);
  if (st === 's8') checkShape(kernel, 'W scaleType', w.mode === 'symmetric' && (G === 16 || G === 32) && K % 256 === 0, `s8 (GGUF Q6_K / Q3_K / IQ4_XS) scales need scheme 'symmetric', group 16 or 32 and K a multiple of 256 (got '${w.mode}', group ${G}, K=${K})`);
  checkShape(kernel, 'supers', (st === 's8') === !!w.supers, st === 's8' ? 'missing (s8 scales need their f16 d per super-block)' : `given, but scale type ${st} has none`);
  if (w.lut) checkShape(kernel, 'W lut', w.lut in LUT_VALUES && w.bits === 4 && w.mode === 'symmetric' && kernel.startsWith('matmul_w4a16'), `a table of values ('${w.lut}': GGUF MXFP4 / IQ1-IQ4) takes 4-bit symmetric codes on matmul_w4a16 (got ${w.bits}-bit '${w.mode}' on ${kernel})`);
  if (st === 'k6') checkShape(kernel, 'W scaleType', w.mode === 'float-min' && (G === 32 || G === 16) && K % 256 === 0, `k6 (GGUF Q4_K / Q5_K / Q2_K) scales need scheme 'float-min', group 32 or 16 and K a multiple of 256 (got '${w.mode}', group ${G}, K=${K})`);
  const sb = st === 'f16' ? 2 : 4;
  const { scales: sRow, zeros: zRow, supers: supRow } = scaleRowBytes(st, ngroups, G);
  const need = (name: string, buf: GPUBuffer | undefined, shape: string, bytes: number) => {
    checkShape(kernel, name, !!buf, `missing (${shape})`);
    checkShape(kernel, name, buf!.size >= bytes, `buffer '${buf!.label}' of ${buf!.size} bytes is too small for ${shape} (${bytes} bytes)`);
  };
  need('codes', w.codes, `[${N}, ${wpr}] u32 (${w.bits}-bit codes of W [${N}, ${K}])`, 4 * N * wpr);
  need('scales', w.scales, `[${N}, ${ngroups}] ${st} (W [${N}, ${K}], group ${G})`, sRow * N);
  if (w.mode === 'symmetric') checkShape(kernel, 'zeros', !w.zeros, `given, but scheme 'symmetric' has no zeros`);
  else need('zeros', w.zeros, st === 'k6' ? `[${N}, ${ngroups / k6GroupsPerSuper(G)}] f16 pairs (k6 super-blocks)` : `[${N}, ${ngroups}] ${st} (scheme '${w.mode}')`, zRow * N);
  if (st === 's8') need('supers', w.supers, `[${N}, ${K / 256}] u32 (s8 super-blocks' f16 d)`, supRow * N);
  return { M: 0, N, K, G, ngroups, wpr, cpw, sb, sRow, zRow, supRow };
}

/** Checks y, bias and residual against [M, N]; returns the defines for y's type and y's byte size. */
export function checkEpilogue(ctx: GpuContext, kernel: string, M: number, N: number, o: { bias?: GPUBuffer; residual?: GPUBuffer; activation?: string; yType?: string; yF16?: string }, y: GPUBuffer): { defines: Record<string, boolean>; yBytes: number; yElem: number } {
  const yType = o.yType ?? 'f32';
  checkShape(kernel, 'yType', yType === 'f32' || yType === 'f16', `'${yType}' is not f32 or f16`);
  const f16 = yType === 'f16';
  const yF16 = o.yF16 ?? (ctx.caps.shaderF16 ? 'native' : 'emulated');
  if (f16) {
    checkShape(kernel, 'yF16', yF16 === 'native' || yF16 === 'emulated', `'${yF16}' is not native or emulated`);
    checkShape(kernel, 'yF16', !(yF16 === 'native' && !ctx.caps.shaderF16), `native f16 output needs the adapter's shader-f16 feature`);
  }
  const yBytes = f16 ? 4 * Math.ceil((M * N) / 2) : 4 * M * N;
  checkShape(kernel, 'y', y.size >= yBytes, `buffer '${y.label}' of ${y.size} bytes is too small for [${M}, ${N}] ${yType} (${yBytes} bytes)`);
  if (o.bias) checkShape(kernel, 'bias', o.bias.size >= 4 * N, `buffer '${o.bias.label}' of ${o.bias.size} bytes is too small for [${N}] f32`);
  if (o.residual) checkShape(kernel, 'residual', o.residual.size >= yBytes, `buffer '${o.residual.label}' of ${o.residual.size} bytes is too small for [${M}, ${N}] ${yType} (y's type; ${yBytes} bytes)`);
  const act = o.activation ?? 'none';
  checkShape(kernel, 'activation', ['none', 'silu', 'gelu'].includes(act), `'${act}' is not one of none, silu, gelu`);
  return { defines: { Y_F16: f16, Y_F16N: f16 && yF16 === 'native', Y_F16P: f16 && yF16 === 'emulated' }, yBytes, yElem: f16 ? 2 : 4 };
}

/**
 * Column chunks of W so that no binding of codes/scales/zeros exceeds `maxBytes`. Chunk starts are multiples of
 * minStorageBufferOffsetAlignment/4 rows, which keeps every per-row array's byte offset aligned.
 */
export function splitColumns(ctx: GpuContext, kernel: string, N: number, rowBytes: number, maxBytes: number, elemBytes = 4): [number, number][] {
  if (N * rowBytes <= maxBytes) return [[0, N]];
  const step = Math.max(1, ctx.limits.minStorageBufferOffsetAlignment / elemBytes);
  const rows = Math.floor(maxBytes / rowBytes / step) * step;
  checkShape(kernel, 'W', rows > 0, `${step} rows of ${rowBytes} bytes exceed the binding limit of ${maxBytes} bytes; cannot split along N`);
  const out: [number, number][] = [];
  for (let n0 = 0; n0 < N; n0 += rows) out.push([n0, Math.min(rows, N - n0)]);
  return out;
}

function range(buffer: GPUBuffer, rowBytes: number, n0: number, n: number) {
  const offset = n0 * rowBytes;
  return { buffer, offset, size: Math.min(Math.ceil((n * rowBytes) / 4) * 4, buffer.size - offset) };
}

export type Bindable = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/**
 * Checks a weight (or its shards: alike in all but N) and returns its geometry, N being the whole weight's, and the
 * pieces one dispatch each takes: columns [n0, n0 + n) of y with their W bindings (a shard's column chunks, where a
 * shard exceeds the binding limit).
 */
export function weightChunks(ctx: GpuContext, kernel: string, w: QuantWeights, bits: readonly number[], modes: readonly ZeroMode[], maxBytes: number) {
  const list: readonly QuantWeightBuffers[] = Array.isArray(w) ? w : [w as QuantWeightBuffers];
  checkShape(kernel, 'W', list.length > 0, 'an empty list of shards');
  const first = list[0];
  let total = 0;
  let g: ReturnType<typeof checkQuantWeights> | undefined;
  const pieces: { n0: number; n: number; bindings: Record<string, Bindable> }[] = [];
  for (const [i, s] of list.entries()) {
    const where = list.length > 1 ? `${kernel} (W shard ${i})` : kernel;
    if (i > 0) checkShape(where, 'W', s.K === first.K && s.bits === first.bits && s.group === first.group && s.mode === first.mode && (s.scaleType ?? 'f32') === (first.scaleType ?? 'f32') && s.lut === first.lut, `K, bits, group, scheme and scale type must match shard 0 (K=${first.K}, ${first.bits} bits, group ${first.group ?? 'per channel'}, ${first.mode}, ${first.scaleType ?? 'f32'} scales)`);
    const gs = checkQuantWeights(where, s, bits, modes);
    g ??= gs;
    // Chunk starts: multiples of minStorageBufferOffsetAlignment / 4 rows keep every array aligned (k6 rows hold
    // whole u32s: K is a multiple of 256), of / 2 for f16 scales.
    const chunks = splitColumns(ctx, where, s.N, Math.max(4 * gs.wpr, gs.sRow), maxBytes, gs.sb);
    for (const [c0, n] of chunks) {
      const part = (b: GPUBuffer, rowBytes: number) => (chunks.length > 1 ? range(b, rowBytes, c0, n) : b);
      pieces.push({ n0: total + c0, n, bindings: { w_q: part(s.codes, 4 * gs.wpr), scales: part(s.scales, gs.sRow), ...(s.zeros ? { zeros: part(s.zeros, gs.zRow) } : {}), ...(s.supers ? { supers: part(s.supers, gs.supRow) } : {}) } });
    }
    total += s.N;
  }
  checkShape(kernel, 'W kPerm', list.every((s) => !!s.kPerm === !!first.kPerm), 'every shard or none must carry the act-order permutation');
  return { g: { ...g!, N: total }, pieces, bits: first.bits, mode: first.mode, zeros: !!first.zeros, scaleType: first.scaleType ?? 'f32', kPerm: !!first.kPerm, lut: first.lut };
}

/**
 * Row chunks [m0, mc) of M so that no activation-side binding (x, y, residual; W8A8's xq, xs), given by its bytes per
 * row, exceeds `maxBytes`, and no chunk has more than `maxRows` rows (the grid's limit); one chunk where all fit.
 * Each chunk's bindings start at the aligned offset at or before its first row (shiftedRows) and the shaders add the
 * index offset (x0, xq0, xs0, y0), so a chunk can start at any row; the alignment costs up to
 * minStorageBufferOffsetAlignment (plus rounding to words) per binding.
 */
export function splitRows(ctx: GpuContext, kernel: string, M: number, rows: { name: string; rowBytes: number }[], maxBytes: number, maxRows = Infinity): [number, number][] {
  if (M <= maxRows && rows.every((r) => Math.ceil((M * r.rowBytes) / 4) * 4 <= maxBytes)) return [[0, M]];
  const room = maxBytes - ctx.limits.minStorageBufferOffsetAlignment - 3;
  const widest = rows.reduce((a, b) => (b.rowBytes > a.rowBytes ? b : a));
  const per = Math.min(maxRows, Math.floor(room / widest.rowBytes));
  checkShape(kernel, widest.name, per > 0, `one row of ${widest.rowBytes} bytes does not fit the binding limit of ${maxBytes} bytes (less ${maxBytes - room} for offset alignment); cannot split along M`);
  const out: [number, number][] = [];
  for (let m0 = 0; m0 < M; m0 += per) out.push([m0, Math.min(per, M - m0)]);
  return out;
}

/**
 * A view of `buffer` (elements of `elem` bytes) holding elements [first, first + count), bound from the aligned
 * offset at or before `first`; `index0` is `first`'s index in the view (the shader's x0 / xq0 / xs0 / y0). One chunk
 * (`whole`): the whole buffer, index 0.
 */
export function shiftedRows(ctx: GpuContext, buffer: GPUBuffer, elem: number, first: number, count: number, whole: boolean) {
  const bytes = Math.ceil((count * elem) / 4) * 4;
  if (whole) return { view: buffer, index0: 0, bytes };
  const A = ctx.limits.minStorageBufferOffsetAlignment;
  const offset = Math.floor((first * elem) / A) * A;
  const index0 = first - offset / elem;
  const size = Math.ceil(((index0 + count) * elem) / 4) * 4;
  return { view: { buffer, offset, size: Math.min(size, buffer.size - offset) }, index0, bytes: size };
}
