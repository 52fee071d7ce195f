// Dequant-fused matmuls (W4A16, W8A16, f32 activations, W8A8) against src/ref/matmul.ts, every path and variant,
// on awkward shapes; plus the N-split of oversized weights and the bad-input errors.
import type { GpuContext } from '../../src/gpu/context.js';
import { matmulQ, matmulW8A8, matmulWeights, planMatmulQ, planMatmulW8A8, type MatmulW8A8Options, type MatmulActivation, type MatmulPath, type MatmulQOptions, type QuantWeightBuffers, type QuantWeights, type ZeroMode } from '../../src/kernels/matmul.js';
import { packCodes, type Bits } from '../../src/quant/layout.js';
import { f32ToF16Bits, toF16 } from '../../src/ref/f16.js';
import { groupsOf, matmulQRef, matmulRef, matmulW8A8Ref, packI8Rows, quantizeRowsI8Ref, type EpilogueRef, type QuantWeightsRef } from '../../src/ref/matmul.js';
import { randomF32, randomGgufBlocks, randomPermutation, rng } from '../../src/ref/random.js';
import { compareBound, compareExact, compareF16Rounded, U_F16, U_F32 } from '../../src/ref/tolerance.js';
import { dequantize, destroyQuantized, downloadQuantized, uploadQuantized, uploadQuantizedShards } from '../../src/kernels/quant.js';
import { dequantizeGguf, exportGguf, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { exportGptq, importGptq } from '../../src/quant/gptq.js';
import { makeScheme, type QuantizedTensor } from '../../src/quant/scheme.js';
import { dequantizeRef, quantizeRef } from '../../src/ref/quant.js';
import { assert, expectError, type GpuCase } from './types.js';
import type { Dispatch } from '../../src/kernels/common.js';

/** Random codes, positive scales and zeros, packed by layout.ts (no quantization rule involved). */
export function randomQuantWeights(seed: number, N: number, K: number, bits: Bits, group: number | undefined, mode: ZeroMode, scaleF16 = false): QuantWeightsRef & { f16?: { scales: Uint16Array; zeros?: Uint16Array } } {
  const r = rng(seed);
  const max = 2 ** bits - 1;
  const codes = new Uint8Array(N * K).map(() => Math.floor(r() * (max + 1)));
  const ng = groupsOf(K, group ?? K);
  const scales = new Float32Array(N * ng).map(() => (0.2 + r()) / 2 ** (bits - 1));
  let zeros: Float32Array | undefined;
  if (mode === 'zero-point') zeros = new Float32Array(N * ng).map(() => Math.floor(r() * (max + 1)));
  if (mode === 'float-min') zeros = scales.map((s) => -s * (2 ** (bits - 1) + 2 * r() - 1));
  const w = { bits, N, K, group: group ?? K, mode, codes: packCodes(codes, N, K, bits), scales, zeros };
  if (!scaleF16) return w;
  // f16 scales/zeros: the reference uses the values the f16s hold.
  const s16 = toF16(scales);
  const z16 = zeros ? toF16(zeros) : undefined;
  return { ...w, scales: s16.values, zeros: z16?.values, f16: { scales: s16.bits, zeros: z16?.bits } };
}

export function uploadWeights(ctx: GpuContext, w: QuantWeightsRef & { f16?: { scales: Uint16Array; zeros?: Uint16Array } }, group: number | undefined): QuantWeightBuffers {
  // f16 scales/zeros as stored pairs (the reference used their values), else f32.
  const scales = w.f16 ? w.f16.scales : new Float32Array(w.scales);
  const zeros = w.f16 ? w.f16.zeros : w.zeros && new Float32Array(w.zeros);
  return {
    bits: w.bits as 4 | 8,
    N: w.N,
    K: w.K,
    group,
    mode: w.mode,
    ...(w.f16 ? { scaleType: 'f16' as const } : {}),
    codes: ctx.createBuffer(w.codes, undefined, 'w.codes'),
    scales: ctx.createBuffer(scales, undefined, 'w.scales'),
    zeros: zeros ? ctx.createBuffer(zeros, undefined, 'w.zeros') : undefined,
  };
}

type XKind = 'f16-native' | 'f16-emulated' | 'f32';

interface QCase {
  M: number;
  N: number;
  K: number;
  bits?: 4 | 8;
  group?: number; // undefined: per channel
  mode?: ZeroMode;
  x?: XKind;
  path: MatmulPath;
  subgroups?: boolean;
  bias?: boolean;
  activation?: MatmulActivation;
  residual?: boolean;
  maxBindingBytes?: number;
  rowsM?: 1 | 4 | 8;
  scaleF16?: boolean;
  /** splitcols: output columns per workgroup (default: rotated over 1..8 below) and workgroup size (default: tuning);
   *  rows with rowsM 1 or 4: output columns per invocation (default: tuning). */
  cols?: number;
  wg?: number;
  /** f16 y (and residual): native f16 stores or packed pairs; default f32. */
  y?: 'f16-native' | 'f16-emulated';
}

function qname(c: QCase): string {
  const bits = c.bits ?? 4;
  const x = c.x ?? 'f16-emulated';
  const kind = bits === 8 ? (x === 'f32' ? 'w8a32' : 'w8a16') : x === 'f32' ? 'w4a32' : 'w4a16';
  const epi = [c.bias ? '+bias' : '', c.activation && c.activation !== 'none' ? `+${c.activation}` : '', c.residual ? '+residual' : ''].join('');
  const cols = c.path === 'splitcols' ? ` c${c.cols ?? 'T'}${c.wg ? ` wg${c.wg}` : ''}` : '';
  const sg = c.path === 'split' || c.path === 'splitcols' ? `${cols}${c.subgroups ? ' subgroups' : ' wg-tree'}` : c.path === 'rows' ? ` r${c.rowsM ?? 'T'}${c.cols ? ` c${c.cols}` : ''}` : '';
  const split = c.maxBindingBytes ? ` split<=${c.maxBindingBytes}B` : '';
  return `matmul_${kind} ${c.path}${sg} ${x} ${c.mode ?? 'symmetric'} g${c.group ?? 'C'}${c.scaleF16 ? ' f16-scales' : ''} ${c.M}x${c.N}x${c.K}${epi}${split}${c.y ? ` y=${c.y}` : ''}`;
}

/** A residual [n] for the epilogue, f32 or f16 (y's type); the reference gets the values the buffer holds. */
function residualBuffer(ctx: GpuContext, epi: EpilogueRef, n: number, seed: number, f16: boolean): GPUBuffer {
  const v = randomF32(n, seed);
  if (!f16) return ctx.createBuffer(new Float32Array((epi.residual = v)), undefined, 'residual');
  const h = toF16(v);
  epi.residual = h.values;
  return ctx.createBuffer(h.bits, undefined, 'residual'); // createBuffer rounds the size up to whole u32 words
}

/** y [n] poisoned with NaN (f32, or f16 pairs): every element must be written. */
function poisonedY(ctx: GpuContext, n: number, f16: boolean): GPUBuffer {
  const Y = ctx.createBuffer(f16 ? 4 * Math.ceil(n / 2) : 4 * n, undefined, 'y');
  ctx.write(Y, f16 ? new Uint32Array(Math.ceil(n / 2)).fill(0x7e007e00) : new Float32Array(n).fill(NaN));
  return Y;
}

/**
 * With a forced binding limit: every binding the planner made keeps within it (GPU limits are checked only against
 * the adapter's), and the plan splits as expected; returns "D dispatches (Mc row chunks)" for the case's message.
 */
function checkSplitPlan(what: string, ds: Dispatch[], max: number): string {
  const rows = new Set<number>();
  for (const d of ds) {
    rows.add(d.args.params!.M as number);
    for (const [name, b] of Object.entries(d.args.bindings ?? {})) {
      const size = 'buffer' in b ? (b.size ?? b.buffer.size - (b.offset ?? 0)) : b.size;
      assert(size <= max, `${what}: binding '${name}' of a ${d.kernel.name} dispatch is ${size} bytes, over the forced limit of ${max}`);
    }
  }
  const mm = ds.filter((d) => d.kernel.name !== 'quantize_rows_i8');
  return `${mm.length} matmul dispatches, chunk heights ${[...rows].join('/')}`;
}

/** y against the reference: the f32 bound, or for f16 y, the bound then rounding to nearest f16. */
async function compareY(ctx: GpuContext, what: string, Y: GPUBuffer, f16: boolean, ref: { y: ArrayLike<number>; tol: ArrayLike<number> }) {
  const n = ref.y.length;
  if (!f16) return compareBound(what, await ctx.readF32(Y, n), ref.y, ref.tol, 1, 1, 1);
  const words = await ctx.readU32(Y, Math.ceil(n / 2));
  // An odd count leaves the last word's high half outside y: it must keep its poison.
  if (n % 2) assert(words[words.length - 1] >>> 16 === 0x7e00, `${what}: the half past y's last element was overwritten (0x${words[words.length - 1].toString(16)})`);
  return compareF16Rounded(what, new Uint16Array(words.buffer, words.byteOffset, n), ref.y, ref.tol, 1, 1, 1);
}

function qcase(c: QCase): GpuCase {
  const x = c.x ?? 'f16-emulated';
  return {
    name: qname(c),
    needs: (ctx) => ((x === 'f16-native' || c.y === 'f16-native') && !ctx.caps.shaderF16 ? 'no shader-f16' : c.subgroups && !ctx.caps.subgroups ? 'no subgroups' : null),
    async run(ctx) {
      const { M, N, K } = c;
      const bits = c.bits ?? 4;
      const mode = c.mode ?? 'symmetric';
      const seed = M * 7919 + N * 104729 + K * 31 + bits;
      const w = randomQuantWeights(seed, N, K, bits, c.group, mode, c.scaleF16);
      const xs = randomF32(M * K, seed + 1);
      const xf16 = x === 'f32' ? null : toF16(xs);
      const X = ctx.createBuffer(xf16 ? xf16.bits : xs, undefined, 'x');
      const epi: EpilogueRef = { act: c.activation ?? 'none' };
      const bufs: GPUBuffer[] = [X];
      const o: MatmulQOptions = { M, xType: x === 'f32' ? 'f32' : 'f16', path: c.path, activation: c.activation, maxBindingBytes: c.maxBindingBytes, rowsPerInvocation: c.rowsM };
      if (x !== 'f32') o.f16 = x === 'f16-native' ? 'native' : 'emulated';
      if (c.path === 'split' || c.path === 'splitcols') o.subgroups = !!c.subgroups;
      if (c.cols !== undefined && c.path === 'rows') o.colsPerInvocation = c.cols;
      else if (c.cols !== undefined) o.colsPerWG = c.cols;
      if (c.wg !== undefined) o.splitWG = c.wg;
      if (c.y) Object.assign(o, { yType: 'f16', yF16: c.y === 'f16-native' ? 'native' : 'emulated' });
      if (c.bias) {
        epi.bias = randomF32(N, seed + 2);
        bufs.push((o.bias = ctx.createBuffer(new Float32Array(epi.bias), undefined, 'bias')));
      }
      if (c.residual) bufs.push((o.residual = residualBuffer(ctx, epi, M * N, seed + 3, !!c.y)));
      const W = uploadWeights(ctx, w, c.group);
      const Y = poisonedY(ctx, M * N, !!c.y);
      const plan = c.maxBindingBytes ? `; ${checkSplitPlan(qname(c), await planMatmulQ(ctx, X, W, Y, o), c.maxBindingBytes)}` : '';
      await matmulQ(ctx, X, W, Y, o);
      const ref = matmulQRef(xf16 ? xf16.values : xs, M, w, epi, x === 'f16-native' ? U_F16 : U_F32);
      const r = await compareY(ctx, qname(c), Y, !!c.y, ref);
      [...bufs, Y, W.codes, W.scales, W.zeros].forEach((b) => b?.destroy());
      assert(r.ok, r.message);
      return r.message + plan;
    },
  };
}

const cases: QCase[] = [];
const PATHS: MatmulPath[] = ['rows', 'split', 'splitcols', 'tiled'];

// Shapes: every M of the issue on every path that takes it; N and K off the tile sizes; K not a multiple of 8.
for (const M of [1, 2, 3, 7, 8, 9, 64, 257]) {
  const [N, K] = M >= 64 ? [24, 64] : [37, 200];
  for (const path of PATHS) {
    if ((path === 'split' || path === 'splitcols') && M > 8) continue;
    cases.push({ M, N, K, group: 40, path, subgroups: true });
    if (path === 'rows') cases.push({ M, N, K, group: 40, path, rowsM: M % 2 ? 1 : 8 });
  }
}
cases.push({ M: 3, N: 5, K: 203, path: 'rows' }, { M: 3, N: 5, K: 203, path: 'split' }, { M: 3, N: 5, K: 203, path: 'splitcols', cols: 8 }, { M: 19, N: 5, K: 203, path: 'tiled' });
cases.push({ M: 1, N: 1, K: 1, path: 'rows' }, { M: 1, N: 1, K: 1, path: 'split' }, { M: 1, N: 1, K: 1, path: 'splitcols' }, { M: 1, N: 1, K: 1, path: 'tiled' });

// Variants: activation type x scheme x bits x group (K equal to one group among them) on every path.
const XS: XKind[] = ['f16-native', 'f16-emulated', 'f32'];
for (const path of PATHS) {
  const M = path === 'tiled' ? 20 : 3;
  for (const [xi, x] of XS.entries()) {
    for (const [bi, bits] of ([4, 8] as const).entries()) {
      // Two of the four schemes per (activation, bits), rotating: each scheme meets every activation type and
      // both bit widths on every path, at half the pipelines (SwiftShader compiles each one in seconds).
      const schemes: QCase[] = [
        { M, N: 19, K: 128, bits, group: 32, mode: 'symmetric', x, path, subgroups: true },
        { M, N: 19, K: 64, bits, group: 64, mode: 'zero-point', x, path, subgroups: false },
        { M, N: 19, K: 136, bits, group: 128, mode: 'float-min', x, path, subgroups: true },
        { M, N: 19, K: 72, bits, group: undefined, mode: 'zero-point', x, path, subgroups: false },
      ];
      const at = xi * 2 + bi;
      cases.push(schemes[at % 4], schemes[(at + 1) % 4]);
      if (path === 'rows') for (const rowsM of [1, 8] as const) cases.push({ M, N: 19, K: 136, bits, group: 8 * bits, mode: 'float-min', x, path, rowsM });
    }
  }
}
// rows with one row per invocation and 1, 3, 8, 12 or 16 adjacent columns (N = 19: a partial last block of columns),
// every activation type, both widths, every scheme (zeros per column and group; float-min's shared sum of x), ragged K.
for (const [ci, cols] of [1, 3, 8, 12, 16].entries()) {
  for (const [xi, x] of XS.entries()) {
    const at = ci * 3 + xi;
    const mode = (['symmetric', 'zero-point', 'float-min'] as const)[(ci + xi) % 3];
    const bits = at % 2 ? 8 : 4;
    cases.push(xi === 1 ? { M: 2, N: 19, K: 203, bits, mode, x, path: 'rows', rowsM: 1, cols } : { M: 2, N: 19, K: 192, bits, group: 64, mode, x, path: 'rows', rowsM: 1, cols });
  }
}
// rows with blocks of 4 rows by 2, 3, 5, 8 or 12 columns: partial last blocks in M and N, every activation type and
// scheme, both widths, ragged K (x read element-wise) among them, epilogues.
for (const [i, [M, cols]] of ([[7, 5], [20, 2], [11, 8], [6, 3], [9, 12]] as const).entries()) {
  for (const [xi, x] of XS.entries()) {
    const mode = (['symmetric', 'zero-point', 'float-min'] as const)[(i + xi) % 3];
    const bits = (i + xi) % 2 ? 8 : 4;
    cases.push(i === 2 ? { M, N: 13, K: 203, bits, mode, x, path: 'rows', rowsM: 4, cols } : { M, N: 13, K: 128, bits, group: 32, mode, x, path: 'rows', rowsM: 4, cols, bias: xi === 2, residual: xi === 0, activation: xi === 1 ? 'gelu' : undefined });
  }
}
// Subgroups on and off on the split GEMV with every activation type.
for (const x of XS) for (const subgroups of [false, true]) for (const path of ['split', 'splitcols'] as const) cases.push({ M: 8, N: 21, K: 256, group: 32, x, path, subgroups });
// splitcols: several 16-byte chunks per invocation (small workgroups), groups smaller than a chunk with whole
// 16-byte rows (one scale per word), 8 columns per workgroup at M = 8.
for (const subgroups of [false, true]) {
  cases.push({ M: 2, N: 13, K: 512, group: 16, path: 'splitcols', cols: 4, wg: 4, subgroups });
  cases.push({ M: 1, N: 9, K: 256, bits: 8, group: 8, mode: 'zero-point', x: 'f32', path: 'splitcols', cols: 2, wg: 8, subgroups });
  cases.push({ M: 8, N: 17, K: 392, group: 56, mode: 'float-min', path: 'splitcols', cols: 8, wg: 8, subgroups });
}

// Fused epilogues.
for (const path of PATHS) {
  const M = path === 'tiled' ? 17 : 2;
  cases.push({ M, N: 23, K: 96, group: 32, path, bias: true, subgroups: true });
  cases.push({ M, N: 23, K: 96, group: 32, path, activation: 'silu', subgroups: true });
  cases.push({ M, N: 23, K: 96, group: 32, path, bias: true, activation: 'gelu', residual: true, x: 'f32' });
  cases.push({ M, N: 23, K: 96, group: 32, path, residual: true, mode: 'zero-point', x: 'f16-native' });
}

// W split along N over several dispatches (real limits are 1 GiB+: force a small one).
for (const path of PATHS) cases.push({ M: path === 'tiled' ? 18 : 3, N: 200, K: 64, group: 32, path, bias: true, residual: true, maxBindingBytes: 2048, subgroups: true });
// f16 scales and zeros (GGUF-style), an odd group count so halves straddle rows; also through the N split.
for (const path of PATHS) {
  const M = path === 'tiled' ? 17 : 3;
  cases.push({ M, N: 21, K: 96, group: 32, mode: 'float-min', path, scaleF16: true, subgroups: true });
  cases.push({ M, N: 21, K: 96, bits: 8, group: 32, mode: 'zero-point', path, scaleF16: true, x: 'f32' });
  cases.push({ M, N: 300, K: 24, group: 8, mode: 'zero-point', path, scaleF16: true, maxBindingBytes: 2048, subgroups: true });
}

// f16 y (and residual) on every path, native and packed pairs: M * N odd so the last word is half used, every
// epilogue, and through the N split (chunks write the same words from different dispatches).
for (const path of PATHS) {
  const M = path === 'tiled' ? 17 : 3;
  for (const y of ['f16-native', 'f16-emulated'] as const) {
    cases.push({ M, N: 23, K: 96, group: 32, path, y, subgroups: true });
    cases.push({ M, N: 21, K: 64, group: 32, mode: 'zero-point', x: 'f32', path, y, bias: true, activation: 'gelu', residual: true });
  }
  cases.push({ M, N: 201, K: 64, group: 32, path, y: 'f16-emulated', residual: true, maxBindingBytes: 2048, subgroups: true, ...(path === 'rows' ? { rowsM: 1 as const, cols: 3 } : {}) });
}

// x, y and residual split along M as well (chunks of rows bound from aligned offsets, the shader adding the index
// offset): f16 x of odd K and f16 y of odd N, so chunk starts fall mid-word; chunk heights that divide nothing.
for (const path of PATHS) {
  const gemv = path === 'split' || path === 'splitcols';
  const M = gemv ? 7 : 257;
  cases.push({ M, N: 13, K: 33, path, y: 'f16-emulated', residual: true, bias: true, maxBindingBytes: gemv ? 400 : 2048, subgroups: true, ...(path === 'rows' ? { rowsM: 4 as const, cols: 3 } : {}) });
  cases.push({ M: gemv ? 5 : 64, N: 200, K: 64, group: 32, x: 'f32', path, activation: 'silu', residual: true, maxBindingBytes: 4096, subgroups: false });
}

// splitcols cases without an explicit column count rotate through 1..8 (odd ones included).
cases.filter((c) => c.path === 'splitcols' && c.cols === undefined).forEach((c, i) => (c.cols = [4, 8, 3, 1, 2, 5, 7, 6][i % 8]));

async function errorCase(ctx: GpuContext): Promise<string> {
  const w = randomQuantWeights(9, 16, 64, 4, 32, 'symmetric');
  const W = uploadWeights(ctx, w, 32);
  const X = ctx.createBuffer(4 * 9 * 64, undefined, 'x');
  const Y = ctx.createBuffer(4 * 2 * 16, undefined, 'y');
  const small = ctx.createBuffer(8, undefined, 'small');
  const Y9 = ctx.createBuffer(4 * 9 * 16, undefined, 'y9');
  // W [2, 256] fits a 768-byte limit (256 bytes of codes), one f32 row of x (1024 bytes) does not.
  const wide = uploadWeights(ctx, randomQuantWeights(11, 2, 256, 4, 32, 'symmetric'), 32);
  const o: MatmulQOptions = { M: 2, xType: 'f32' };
  const msgs = [
    await expectError('x too small', () => matmulQ(ctx, X, W, Y, { ...o, M: 10 })),
    await expectError('scales', () => matmulQ(ctx, X, { ...W, scales: small }, Y, o)),
    await expectError('codes', () => matmulQ(ctx, X, { ...W, K: 128 }, Y, o)),
    await expectError('bias', () => matmulQ(ctx, X, W, Y, { ...o, bias: small })),
    await expectError('residual', () => matmulQ(ctx, X, W, Y, { ...o, residual: small })),
    await expectError('y', () => matmulQ(ctx, X, W, small, o)),
    await expectError('zeros', () => matmulQ(ctx, X, { ...W, mode: 'zero-point' }, Y, o)),
    await expectError('bits', () => matmulQ(ctx, X, { ...W, bits: 2 as 4 }, Y, o)),
    await expectError('group', () => matmulQ(ctx, X, { ...W, group: 12 }, Y, o)),
    await expectError('split M', () => matmulQ(ctx, X, W, Y9, { ...o, M: 9, path: 'split' })),
    await expectError('splitcols M', () => matmulQ(ctx, X, W, Y9, { ...o, M: 9, path: 'splitcols' })),
    await expectError('colsPerWG', () => matmulQ(ctx, X, W, Y, { ...o, path: 'splitcols', colsPerWG: 9 })),
    await expectError('splitWG', () => matmulQ(ctx, X, W, Y, { ...o, path: 'splitcols', splitWG: 24 })),
    await expectError('colsPerInvocation', () => matmulQ(ctx, X, W, Y, { ...o, path: 'rows', rowsPerInvocation: 1, colsPerInvocation: 17 })),
    await expectError('rowsPerInvocation', () => matmulQ(ctx, X, W, Y, { ...o, path: 'rows', rowsPerInvocation: 2 as 1 })),
    await expectError('yType', () => matmulQ(ctx, X, W, Y, { ...o, yType: 'bf16' as 'f16' })),
    await expectError('f16 y too small', () => matmulQ(ctx, X, W, small, { ...o, yType: 'f16' })),
    await expectError('f16 residual too small', () => matmulQ(ctx, X, W, Y, { ...o, yType: 'f16', residual: small })),
    await expectError('yF16', () => matmulQ(ctx, X, W, Y, { ...o, yType: 'f16', yF16: ctx.caps.shaderF16 ? ('packed' as 'native') : 'native' })),
    await expectError('a row over the binding limit', () => matmulQ(ctx, X, wide, Y, { ...o, maxBindingBytes: 768 })),
  ];
  const want = [/'x'.*\[10, 64\] f32/, /scales.*\[16, 2\] f32/, /codes.*\[16, 16\] u32/, /bias.*\[16\] f32/, /residual.*\[2, 16\] f32/, /y.*\[2, 16\] f32/, /zeros: missing/, /2-bit weights are not supported/, /group=12 .* multiple of 8/, /M <= 8/, /splitcols GEMV path takes M <= 8/, /colsPerWG=9 must be an integer in 1\.\.8/, /splitWG=24 must be a power of two/, /colsPerInvocation=17 must be an integer in 1\.\.16/, /rowsPerInvocation=2 must be 1, 4 or 8/, /yType: 'bf16' is not f32 or f16/, /y: buffer 'small' of 8 bytes is too small for \[2, 16\] f16 \(64 bytes\)/, /residual: .*\[2, 16\] f16 \(y's type; 64 bytes\)/, /yF16: ('packed' is not native or emulated|native f16 output needs the adapter's shader-f16)/, /x: one row of 1024 bytes does not fit the binding limit of 768 bytes .*cannot split along M/];
  msgs.forEach((m, i) => assert(want[i].test(m), `error ${i}: '${m}' does not match ${want[i]}`));
  const y = await ctx.readF32(Y, 32);
  assert(
    y.every((v) => v === 0),
    'a refused matmul wrote to y',
  );
  [W.codes, W.scales, wide.codes, wide.scales, X, Y, Y9, small].forEach((b) => b.destroy());
  return msgs.map((m) => m.split(':').slice(0, 2).join(':')).join(' | ');
}

/**
 * f16 y at its edges, exactly: with x = 0 each output is its bias, so y must hold the f16 rounding of the bias:
 * past 65504 by less than half an ulp -> 65504, from 65520 -> +-inf, ties to even, subnormals kept, NaN kept (as a
 * NaN: WGSL leaves its sign and payload to the implementation; NVIDIA's Vulkan driver writes 0x7fff, not 0x7e00).
 */
async function f16EdgeCase(ctx: GpuContext, path: MatmulPath, y: 'native' | 'emulated'): Promise<string> {
  const b = [65519, -65520, 70000, 1e-7, -3 * 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, NaN, -0.3];
  const [M, N, K] = [path === 'tiled' ? 17 : 2, b.length, 64];
  const w = randomQuantWeights(5, N, K, 4, 32, 'symmetric');
  const W = uploadWeights(ctx, w, 32);
  const X = ctx.createBuffer(4 * M * K, undefined, 'x');
  const bias = ctx.createBuffer(new Float32Array(b), undefined, 'bias');
  const Y = poisonedY(ctx, M * N, true);
  await matmulQ(ctx, X, W, Y, { M, xType: 'f32', path, bias, yType: 'f16', yF16: y, subgroups: false });
  const words = await ctx.readU32(Y);
  const isNaN16 = (h: number) => (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
  const got = Array.from(new Uint16Array(words.buffer, 0, M * N), (h) => (isNaN16(h) ? 0x7e00 : h));
  const want = Array.from({ length: M * N }, (_, i) => f32ToF16Bits(b[i % N]));
  [W.codes, W.scales, X, bias, Y].forEach((x) => x.destroy());
  const r = compareExact(`f16 y edges (${path}, ${y})`, got, want);
  assert(r.ok, r.message);
  assert(want.slice(0, N).join() === [0x7bff, 0xfc00, 0x7c00, 2, 0x8002, 0x3c00, 0x3c02, 0x7e00, 0xb4cd].join(), `reference bits moved: ${want.slice(0, N).map((h) => h.toString(16))}`);
  return r.message;
}

const f16Edges: GpuCase[] = PATHS.flatMap((path) =>
  (['native', 'emulated'] as const).map((y) => ({
    name: `matmul_w4a16 ${path} f16 y=${y} edges: overflow to inf, largest finite, ties to even, subnormals, NaN`,
    needs: (ctx: GpuContext) => (y === 'native' && !ctx.caps.shaderF16 ? 'no shader-f16' : null),
    run: (ctx: GpuContext) => f16EdgeCase(ctx, path, y),
  })),
);

export const CASES: GpuCase[] = [...cases.map(qcase), ...f16Edges, { name: 'matmul_w4a16 error: shape mismatches and unsupported schemes name the tensor and shape', run: errorCase }];

// ---- W8A8 ------------------------------------------------------------------------------------------------------

interface W8Case {
  M: number;
  N: number;
  K: number;
  group?: number;
  x?: 'f16' | 'f32';
  path: MatmulPath;
  packed: boolean;
  subgroups?: boolean;
  bias?: boolean;
  activation?: MatmulActivation;
  residual?: boolean;
  maxBindingBytes?: number;
  rowsM?: 1 | 4 | 8;
  /** rows with rowsM 1 or 4: output columns per invocation (default: tuning). */
  cols?: number;
  scaleF16?: boolean;
  y?: 'f16-native' | 'f16-emulated';
  /** splitcols: output columns and invocations per workgroup (default: tuning). */
  colsPerWG?: number;
  splitWG?: number;
}

function w8name(c: W8Case): string {
  const epi = [c.bias ? '+bias' : '', c.activation ? `+${c.activation}` : '', c.residual ? '+residual' : ''].join('');
  const knobs = c.path === 'splitcols' ? `${c.colsPerWG ? ` c${c.colsPerWG}` : ''}${c.splitWG ? ` wg${c.splitWG}` : ''}` : '';
  const sg = c.path === 'split' || c.path === 'splitcols' ? `${knobs}${c.subgroups ? ' subgroups' : ' wg-tree'}` : c.path === 'rows' ? ` r${c.rowsM ?? 'T'}${c.cols ? ` c${c.cols}` : ''}` : '';
  return `matmul_w8a8 ${c.path}${sg} ${c.packed ? 'dot4I8Packed' : 'int-fallback'} x=${c.x ?? 'f16'} g${c.group ?? 'C'}${c.scaleF16 ? ' f16-scales' : ''} ${c.M}x${c.N}x${c.K}${epi}${c.maxBindingBytes ? ` split<=${c.maxBindingBytes}B` : ''}${c.y ? ` y=${c.y}` : ''}`;
}

/** Activations with the awkward rows: one all zero, one whose x*inv land exactly on .5 ties. */
function w8Activations(M: number, K: number, seed: number): Float32Array {
  const x = randomF32(M * K, seed, -2, 2);
  if (M > 1) x.fill(0, K, 2 * K);
  for (let k = 0; k < K; k++) x[k] = k === 0 ? 127 : (k % 2 ? 1 : -1) * ((k % 120) + 0.5);
  return x;
}

function w8case(c: W8Case): GpuCase {
  return {
    name: w8name(c),
    needs: (ctx) => (c.packed && !ctx.caps.packedDot ? 'no packed_4x8_integer_dot_product' : c.y === 'f16-native' && !ctx.caps.shaderF16 ? 'no shader-f16' : c.subgroups && !ctx.caps.subgroups ? 'no subgroups' : null),
    async run(ctx) {
      const { M, N, K } = c;
      const seed = M * 131 + N * 17 + K;
      const w = randomQuantWeights(seed, N, K, 8, c.group, 'symmetric', c.scaleF16);
      const x32 = w8Activations(M, K, seed + 1);
      const xf16 = c.x === 'f32' ? null : toF16(x32);
      const xv = xf16 ? xf16.values : x32;
      const X = ctx.createBuffer(xf16 ? xf16.bits : x32, undefined, 'x');
      const W = uploadWeights(ctx, w, c.group);
      const wpr = Math.ceil(K / 4);
      const scratch = { xq: ctx.createBuffer(4 * M * wpr, undefined, 'xq'), xs: ctx.createBuffer(4 * M, undefined, 'xs') };
      const epi: EpilogueRef = { act: c.activation ?? 'none' };
      const bufs: GPUBuffer[] = [X, W.codes, W.scales, scratch.xq, scratch.xs];
      const o: MatmulW8A8Options = { M, xType: c.x ?? 'f16', path: c.path, packedDot: c.packed, subgroups: c.subgroups, activation: c.activation, scratch, maxBindingBytes: c.maxBindingBytes, rowsPerInvocation: c.rowsM, colsPerInvocation: c.cols, colsPerWG: c.colsPerWG, splitWG: c.splitWG };
      if (c.bias) {
        epi.bias = randomF32(N, seed + 2);
        bufs.push((o.bias = ctx.createBuffer(new Float32Array(epi.bias), undefined, 'bias')));
      }
      if (c.y) Object.assign(o, { yType: 'f16', yF16: c.y === 'f16-native' ? 'native' : 'emulated' });
      if (c.residual) bufs.push((o.residual = residualBuffer(ctx, epi, M * N, seed + 3, !!c.y)));
      const Y = poisonedY(ctx, M * N, !!c.y);
      bufs.push(Y);
      const plan = c.maxBindingBytes ? `; ${checkSplitPlan(w8name(c), await planMatmulW8A8(ctx, X, W, Y, { ...o, scratch }), c.maxBindingBytes)}` : '';
      await matmulW8A8(ctx, X, W, Y, o);
      const yWords = await ctx.readU32(Y);
      // The in-step activation quantization: integer codes and scales identical to the reference.
      const q = quantizeRowsI8Ref(xv, M, K);
      const rq = compareExact('xq', await ctx.readU32(scratch.xq, M * wpr), packI8Rows(q.q, M, K));
      assert(rq.ok, rq.message);
      const rs = compareExact('xs', await ctx.readF32(scratch.xs, M), q.scale);
      assert(rs.ok, rs.message);
      const ref = matmulW8A8Ref(q.q, q.scale, M, w, epi);
      const r = await compareY(ctx, w8name(c), Y, !!c.y, ref);
      assert(r.ok, r.message);
      let same = '';
      if (c.packed) {
        // The fallback must produce the same integers, hence bit-identical outputs.
        ctx.write(Y, new Uint32Array(yWords.length).fill(c.y ? 0x7e007e00 : 0x7fc00000)); // the poison of poisonedY
        await matmulW8A8(ctx, X, W, Y, { ...o, packedDot: false });
        const fb = compareExact('fallback vs dot4I8Packed', await ctx.readU32(Y), yWords);
        assert(fb.ok, fb.message);
        same = `; ${fb.message}`;
      }
      bufs.forEach((b) => b.destroy());
      return `${rq.message}; ${r.message}${same}${plan}`;
    },
  };
}

const W8_PATHS: MatmulPath[] = ['rows', 'split', 'tiled']; // splitcols: per-channel weights only, its own cases below
const w8: W8Case[] = [];
for (const M of [1, 2, 3, 7, 8, 9, 64, 257]) {
  const [N, K] = M >= 64 ? [24, 64] : [37, 200];
  for (const path of W8_PATHS) {
    if (path === 'split' && M > 8) continue;
    w8.push({ M, N, K, group: 40, path, packed: true, subgroups: true });
    if (path === 'rows') w8.push({ M, N, K, group: 40, path, packed: M % 2 === 0, rowsM: M % 2 ? 1 : 8 });
  }
}
for (const path of W8_PATHS) {
  const M = path === 'tiled' ? 18 : 5;
  for (const packed of [true, false]) {
    for (const x of ['f16', 'f32'] as const) {
      w8.push({ M, N: 19, K: 128, group: 32, x, path, packed, subgroups: !packed });
      w8.push({ M, N: 19, K: 64, group: 64, x, path, packed, subgroups: packed });
    }
    w8.push({ M, N: 19, K: 256, group: 128, path, packed, subgroups: packed });
    w8.push({ M, N: 19, K: 150, group: undefined, path, packed, subgroups: !packed });
    w8.push({ M, N: 19, K: 1, group: undefined, path, packed, subgroups: packed });
    if (path === 'rows') w8.push({ M, N: 19, K: 130, group: undefined, path, packed, rowsM: packed ? 8 : 1 });
    // One row and 1, 3 or 8 columns per invocation (N = 19: a partial last block of columns), grouped and per channel.
    if (path === 'rows') for (const cols of [1, 3, 8, 12]) w8.push({ M: 2, N: 19, K: cols === 3 ? 130 : 128, group: cols === 3 ? undefined : 32, x: packed ? 'f16' : 'f32', path, packed, rowsM: 1, cols });
    // Blocks of 4 rows: partial last blocks in M (7 = 4 + 3, 18 = 4 * 4 + 2) and N.
    if (path === 'rows') for (const [M2, cols] of [[7, 5], [18, 8]]) w8.push({ M: M2, N: 13, K: 96, group: cols === 5 ? 32 : undefined, x: packed ? 'f32' : 'f16', path, packed, rowsM: 4, cols, residual: cols === 5 });
  }
  w8.push({ M, N: 23, K: 96, group: 32, path, packed: true, subgroups: true, bias: true, activation: 'gelu', residual: true });
  w8.push({ M, N: 23, K: 96, group: undefined, path, packed: false, subgroups: false, activation: 'silu' });
  w8.push({ M, N: 200, K: 64, group: 32, path, packed: true, subgroups: true, bias: true, maxBindingBytes: 4096 });
  w8.push({ M, N: 300, K: 96, group: 32, path, packed: true, subgroups: true, scaleF16: true, maxBindingBytes: 16384 });
  for (const y of ['f16-native', 'f16-emulated'] as const) w8.push({ M, N: 23, K: 96, group: 32, path, packed: y === 'f16-native', subgroups: true, bias: true, residual: true, y });
  w8.push({ M, N: 201, K: 64, group: undefined, path, packed: true, y: 'f16-emulated', maxBindingBytes: 4096 });
  // M split too: x, xq, xs, y and residual in chunks of rows; odd K (a partial last xq word), odd N with f16 y.
  w8.push({ M: path === 'split' ? 7 : 65, N: path === 'split' ? 13 : 29, K: 41, group: undefined, x: 'f32', path, packed: true, y: 'f16-emulated', residual: true, maxBindingBytes: path === 'split' ? 800 : 4096 });
}
// splitcols (per-channel weights only): every GEMV M; K = 200 (50 words: scalar chunks, a partial last one) and
// 256 (16-byte chunks); 1 ..= 8 columns a workgroup with a partial last workgroup (N = 37, 19); both reductions;
// the epilogues, f16 y, f16 scales, N split by the binding limit and M split too.
for (const M of [1, 2, 3, 7, 8]) {
  w8.push({ M, N: 37, K: 200, path: 'splitcols', packed: true, subgroups: true });
  w8.push({ M, N: 37, K: 256, path: 'splitcols', packed: M % 2 === 0, subgroups: M % 2 === 1, x: M === 3 ? 'f32' : 'f16' });
}
for (const [colsPerWG, splitWG] of [[1, 16], [3, 32], [8, 8]]) {
  for (const packed of [true, false]) w8.push({ M: 5, N: 19, K: 150, path: 'splitcols', packed, subgroups: !packed, colsPerWG, splitWG });
}
w8.push({ M: 5, N: 1, K: 1, path: 'splitcols', packed: true, subgroups: true });
w8.push({ M: 5, N: 23, K: 96, path: 'splitcols', packed: true, subgroups: true, bias: true, activation: 'gelu', residual: true, scaleF16: true });
w8.push({ M: 5, N: 23, K: 96, path: 'splitcols', packed: false, subgroups: false, activation: 'silu' });
for (const y of ['f16-native', 'f16-emulated'] as const) w8.push({ M: 5, N: 23, K: 96, path: 'splitcols', packed: y === 'f16-native', subgroups: true, bias: true, residual: true, y });
w8.push({ M: 5, N: 201, K: 64, path: 'splitcols', packed: true, subgroups: false, y: 'f16-emulated', maxBindingBytes: 4096 });
w8.push({ M: 7, N: 13, K: 41, x: 'f32', path: 'splitcols', packed: true, y: 'f16-emulated', residual: true, maxBindingBytes: 800 });

async function w8ErrorCase(ctx: GpuContext): Promise<string> {
  const w = randomQuantWeights(3, 8, 32, 8, 32, 'symmetric');
  const W = uploadWeights(ctx, w, 32);
  const X = ctx.createBuffer(4 * 32, undefined, 'x');
  const Y = ctx.createBuffer(4 * 8, undefined, 'y');
  const o: MatmulW8A8Options = { M: 1, xType: 'f32' };
  const W2 = uploadWeights(ctx, randomQuantWeights(4, 8, 64, 8, 32, 'symmetric'), 32); // two groups a row
  const X2 = ctx.createBuffer(4 * 64, undefined, 'x2');
  const [X9, Y9] = [ctx.createBuffer(4 * 9 * 32, undefined, 'x9'), ctx.createBuffer(4 * 9 * 8, undefined, 'y9')];
  const msgs = [
    await expectError('zero point', () => matmulW8A8(ctx, X, { ...W, mode: 'zero-point', zeros: W.scales }, Y, o)),
    await expectError('4-bit', () => matmulW8A8(ctx, X, { ...W, bits: 4 }, Y, o)),
    await expectError('x', () => matmulW8A8(ctx, X, W, Y, { ...o, M: 2 })),
    await expectError('splitcols grouped', () => matmulW8A8(ctx, X2, W2, Y, { ...o, path: 'splitcols' })),
    await expectError('splitcols M', () => matmulW8A8(ctx, X9, W, Y9, { ...o, M: 9, path: 'splitcols' })),
    await expectError('splitcols colsPerWG', () => matmulW8A8(ctx, X, W, Y, { ...o, path: 'splitcols', colsPerWG: 9 })),
    await expectError('rows 3', () => matmulW8A8(ctx, X, W, Y, { ...o, path: 'rows', rowsPerInvocation: 3 as 4 })),
  ];
  const want = [/matmul_w8a8: W scheme: scheme 'zero-point' is not supported/, /matmul_w8a8: W bits: 4-bit weights are not supported/, /matmul_w8a8: x: .*\[2, 32\] f32/, /matmul_w8a8: path: the W8A8 'splitcols' GEMV takes per-channel weights \(one group per row; W has 2 groups of 32\): use 'split'/, /matmul_w8a8: path: the splitcols GEMV path takes M <= 8, got M=9/, /matmul_w8a8: colsPerWG: colsPerWG=9 must be an integer in 1\.\.8/, /matmul_w8a8: rowsPerInvocation: rowsPerInvocation=3 must be 1, 4 or 8/];
  msgs.forEach((m, i) => assert(want[i].test(m), `error ${i}: '${m}' does not match ${want[i]}`));
  [W.codes, W.scales, W2.codes, W2.scales, X, X2, X9, Y, Y9].forEach((b) => b.destroy());
  return msgs.join(' | ');
}

CASES.push(...w8.map(w8case), { name: 'matmul_w8a8 error: unsupported schemes and shape mismatches', run: w8ErrorCase });

// Non-finite activations are never hidden. W8A8: int8 cannot carry an inf or a NaN, so such a row gets scale NaN,
// codes 0, and NaN in every output; the float kernels give non-finite outputs, as IEEE arithmetic does. The other
// rows are unaffected. Every path, f32 and f16 x.
async function nonFiniteCase(ctx: GpuContext): Promise<string> {
  const [M, N, K] = [5, 13, 64];
  const bad = [1, 2, 3];
  const good = [0, 4];
  const x = randomF32(M * K, 95, -2, 2);
  [x[K + 3], x[2 * K + 60], x[3 * K]] = [NaN, Infinity, -Infinity];
  const rowsOf = (v: ArrayLike<number>, rows: number[], n: number) => Float64Array.from(rows.flatMap((m) => Array.from({ length: n }, (_, j) => v[m * n + j])));
  const msgs: string[] = [];
  for (const xType of ['f32', 'f16'] as const) {
    const xh = xType === 'f16' ? toF16(x) : null;
    const xv = xh ? xh.values : x;
    const X = ctx.createBuffer(xh ? xh.bits : x, undefined, 'x');
    const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
    for (const bits of [8, 4] as const) {
      const w = randomQuantWeights(96 + bits, N, K, bits, 32, 'symmetric');
      const W = uploadWeights(ctx, w, 32);
      const kinds = bits === 8 ? (['w8a8', 'w8a16'] as const) : (['w4a16'] as const);
      for (const kind of kinds) {
        for (const path of ['rows', 'split', 'splitcols', 'tiled'] as MatmulPath[]) {
          if (kind === 'w8a8' && path === 'splitcols') continue; // grouped W: W8A8 splitcols is per channel only
          const what = `${kind} ${path} x=${xType}`;
          ctx.write(Y, new Float32Array(M * N).fill(12345));
          let ref: { y: ArrayLike<number>; tol: ArrayLike<number> };
          if (kind === 'w8a8') {
            const wpr = K / 4;
            const scratch = { xq: ctx.createBuffer(4 * M * wpr, undefined, 'xq'), xs: ctx.createBuffer(4 * M, undefined, 'xs') };
            await matmulW8A8(ctx, X, W, Y, { M, xType, path, scratch, subgroups: false });
            const q = quantizeRowsI8Ref(xv, M, K);
            const rs = compareExact(`${what} xs`, await ctx.readF32(scratch.xs, M), q.scale);
            assert(rs.ok && bad.every((m) => Number.isNaN(q.scale[m])), rs.message);
            const rq = compareExact(`${what} xq`, await ctx.readU32(scratch.xq, M * wpr), packI8Rows(q.q, M, K));
            assert(rq.ok, rq.message);
            [scratch.xq, scratch.xs].forEach((b) => b.destroy());
            ref = matmulW8A8Ref(q.q, q.scale, M, w);
          } else {
            await matmulQ(ctx, X, W, Y, { M, xType, path, f16: 'emulated', subgroups: path === 'rows' || path === 'tiled' ? undefined : false });
            ref = matmulQRef(xv, M, w);
          }
          const y = await ctx.readF32(Y, M * N);
          for (const m of bad) {
            const row = Array.from(y.subarray(m * N, (m + 1) * N));
            const ok = kind === 'w8a8' ? row.every(Number.isNaN) : row.every((v) => !Number.isFinite(v));
            assert(ok, `${what}: row ${m} holds ${xv[m * K + [3, 60, 0][m - 1]]} in x, but its outputs are ${row.join(', ')} (expected all ${kind === 'w8a8' ? 'NaN' : 'non-finite'})`);
          }
          const r = compareBound(`${what} finite rows`, rowsOf(y, good, N), rowsOf(ref.y, good, N), rowsOf(ref.tol, good, N), 1, 1, 1);
          assert(r.ok, r.message);
          msgs.push(what);
        }
      }
      [W.codes, W.scales].forEach((b) => b.destroy());
    }
    [X, Y].forEach((b) => b.destroy());
  }
  return `${msgs.length} runs: rows with NaN / +inf / -inf give ${'NaN'} (W8A8) or non-finite outputs, the other rows within the bound`;
}

// More rows than one dispatch's grid holds (one row per workgroup slice: maxComputeWorkgroupsPerDimension + 2): the
// planner splits M by the grid limit too, W4A16 and W8A8 (its activation quantization as well).
async function gridRowsCase(ctx: GpuContext): Promise<string> {
  const M = ctx.limits.maxComputeWorkgroupsPerDimension + 2;
  const [N, K] = [3, 16];
  const x = randomF32(M * K, 97, -2, 2);
  const X = ctx.createBuffer(x, undefined, 'x');
  const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
  const msgs: string[] = [];
  for (const bits of [4, 8] as const) {
    const w = randomQuantWeights(98 + bits, N, K, bits, undefined, 'symmetric');
    const W = uploadWeights(ctx, w, undefined);
    for (const kind of bits === 8 ? ['w8a8', 'w8a16'] : ['w4a16']) {
      const o = { M, xType: 'f32' as const, path: 'rows' as const, rowsPerInvocation: 1 as const };
      ctx.write(Y, new Float32Array(M * N).fill(NaN));
      let ref: { y: ArrayLike<number>; tol: ArrayLike<number> };
      let plan: Dispatch[];
      if (kind === 'w8a8') {
        const scratch = { xq: ctx.createBuffer(4 * M * (K / 4), undefined, 'xq'), xs: ctx.createBuffer(4 * M, undefined, 'xs') };
        plan = await planMatmulW8A8(ctx, X, W, Y, { ...o, scratch });
        await matmulW8A8(ctx, X, W, Y, { ...o, scratch });
        [scratch.xq, scratch.xs].forEach((b) => b.destroy());
        const q = quantizeRowsI8Ref(x, M, K);
        ref = matmulW8A8Ref(q.q, q.scale, M, w);
      } else {
        plan = await planMatmulQ(ctx, X, W, Y, o);
        await matmulQ(ctx, X, W, Y, o);
        ref = matmulQRef(x, M, w);
      }
      const heights = plan.filter((d) => d.kernel.name.startsWith('matmul')).map((d) => d.args.params!.M);
      assert(heights.length === 2 && heights[0] === ctx.limits.maxComputeWorkgroupsPerDimension, `${kind}: chunk heights ${heights.join(', ')}`);
      const r = compareBound(`${kind} rows r1 M=${M}`, await ctx.readF32(Y, M * N), ref.y, ref.tol, 1, 1, 1);
      assert(r.ok, r.message);
      msgs.push(`${r.message} (chunks of ${heights.join(' + ')} rows)`);
    }
    [W.codes, W.scales].forEach((b) => b.destroy());
  }
  [X, Y].forEach((b) => b.destroy());
  return msgs.join('; ');
}

/** f16 x [M, K] in (-2, 2), its buffer, an f32 y buffer and the f64 reference x · wd^T with the f32 bound 2·K·u·Σ|x·w|. */
function f16Problem(ctx: GpuContext, M: number, N: number, K: number, seed: number, wd: Float32Array | Float64Array) {
  const x = toF16(randomF32(M * K, seed, -2, 2));
  const ref = matmulRef(x.values, wd, { M, N, K, transB: true });
  return { x, X: ctx.createBuffer(x.bits, undefined, 'x'), Y: ctx.createBuffer(4 * M * N, undefined, 'y'), ref, tol: ref.absSum.map((a) => 2 * K * U_F32 * a) };
}

// Weights in shards along N (uploadQuantizedShards, for weights over a buffer limit: forced small here) give the
// same bits as the whole weight on every path, W8A8 included; also under a binding limit (1 KiB) that the whole
// weight would not fit, with x split along M as well. Then the reference.
async function shardedCase(ctx: GpuContext): Promise<string> {
  const [N, K] = [29, 96];
  const w = randomF32(N * K, 93, -1, 1);
  const msgs: string[] = [];
  const schemes = [
    ['W4 g32 float-min f16 scales', makeScheme({ bits: 4, group: 32, symmetric: false, rule: 'q4_1', scaleType: 'f16' })],
    ['W8 per channel', makeScheme({ bits: 8, group: 0 })],
  ] as const;
  for (const [sname, scheme] of schemes) {
    const qt = quantizeRef(w, N, K, scheme);
    const whole = uploadQuantized(ctx, qt, 'w');
    const rowBytes = Math.max(4 * Math.ceil(K / (32 / scheme.bits)), 4 * Math.ceil(K / (scheme.group || K)));
    const shards = uploadQuantizedShards(ctx, qt, 'w', 8 * rowBytes + 2); // 8 rows a shard: 8 + 8 + 8 + 5
    assert(shards.length === 4 && shards.map((q) => q.N).join() === '8,8,8,5', `${sname}: shards of ${shards.map((q) => q.N).join(', ')} rows, expected 8, 8, 8, 5`);
    assert(shards[1].codes.label === 'w[8:16].codes', `shard label '${shards[1].codes.label}'`);
    const wd = dequantizeRef(qt);
    for (const M of [3, 20]) {
      const { X, Y, ref, tol } = f16Problem(ctx, M, N, K, 94 + M, wd);
      const kinds = scheme.bits === 8 ? ['w8a16', 'w8a8'] : ['w4a16'];
      for (const kind of kinds) {
        const paths: MatmulPath[] = M <= 8 ? (kind === 'w8a8' && scheme.group !== 0 ? ['rows', 'split'] : ['rows', 'split', 'splitcols']) : ['rows', 'tiled'];
        for (const path of paths) {
          for (const maxBindingBytes of [undefined, 1024]) {
            const run = async (wb: QuantWeights, maxBindingBytes?: number) => {
              ctx.write(Y, new Float32Array(M * N).fill(NaN));
              const o = { M, xType: 'f16' as const, path, maxBindingBytes, subgroups: path === 'rows' || path === 'tiled' ? undefined : false };
              if (kind === 'w8a8') await matmulW8A8(ctx, X, wb, Y, o);
              else await matmulQ(ctx, X, wb, Y, { ...o, f16: 'emulated' });
              return ctx.readU32(Y, M * N);
            };
            const what = `${sname} ${kind} ${path} M=${M}${maxBindingBytes ? ` binding<=${maxBindingBytes}B` : ''}`;
            const a = await run(matmulWeights(whole));
            const b = await run(matmulWeights(shards), maxBindingBytes);
            const same = compareExact(`${what}: 4 shards vs whole`, b, a);
            assert(same.ok, same.message);
            if (kind !== 'w8a8') {
              const r = compareBound(what, new Float32Array(b.buffer, b.byteOffset, M * N), ref.c, tol, 1, 1, 1);
              assert(r.ok, r.message);
            }
            msgs.push(what);
          }
        }
      }
      X.destroy();
      Y.destroy();
    }
    destroyQuantized(whole);
    shards.forEach(destroyQuantized);
  }
  const m = await expectError('mismatched shards', async () => {
    const a = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32 })), 'a');
    const b = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 4, group: 0 })), 'b');
    try {
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * 2 * N, undefined, 'y');
      await matmulQ(ctx, X, matmulWeights([a, b]), Y, { M: 1, xType: 'f16' }).finally(() => [X, Y].forEach((t) => t.destroy()));
    } finally {
      [a, b].forEach(destroyQuantized);
    }
  });
  assert(/W shard 1\): W: K, bits, group, scheme and scale type must match shard 0 \(K=96, 4 bits, group 32/.test(m), m);
  return `${msgs.length} runs bit-identical to the whole weight and within the bound; ${m}`;
}

// Imported checkpoints straight into the fused kernels: GGUF Q4_0 / Q4_1 / Q8_0 blocks and a GPTQ int4 tensor,
// repacked by the importers into layout.ts words (f16 scales and mins kept as f16), uploaded, and handed to the
// matmuls through matmulWeights() with no copy. Reference: the file's own dequantization (ggml's formulas on the raw
// blocks; GPTQ's (q - z) * s), then an f64 matmul, bound 2·K·u·Σ|x·w| (f32 compute: the adapter's f16 path would
// need shader-f16).
async function importedCase(ctx: GpuContext): Promise<string> {
  const [N, K] = [24, 96]; // GPTQ packs 8 codes per int32 along N and K
  const w = randomF32(N * K, 91, -1, 1);
  const msgs: string[] = [];
  const sources: [string, QuantizedTensor, Float32Array | Float64Array][] = [];
  for (const t of ['Q4_0', 'Q4_1', 'Q8_0'] as GgufBlockType[]) {
    const bytes = exportGguf(t, quantizeRef(w, N, K, makeScheme({ bits: t === 'Q8_0' ? 8 : 4, group: 32, rule: t.toLowerCase() as 'q4_0' })));
    sources.push([`GGUF ${t}`, importGguf(t, bytes, N, K), dequantizeGguf(t, bytes, N, K)]);
  }
  const gptq = importGptq(exportGptq(quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32, symmetric: false, scaleType: 'f16' }))), { N, K, group: 32 });
  sources.push(['GPTQ int4 g32', gptq, dequantizeRef(gptq)]);
  // GPTQ act-order (desc_act): a random column order, exported with its g_idx and imported back (kPerm); matmulQ
  // gathers x into the stored order. The reference is the original-order weight.
  const perm = randomPermutation(K, 97);
  const act = importGptq(exportGptq({ ...gptq, kPerm: perm }), { N, K, group: 32 });
  assert(!!act.kPerm, 'the act-order import kept no permutation');
  sources.push(['GPTQ int4 g32 act-order', act, dequantizeRef(act)]);
  // Import-only types (K-quants: K a multiple of 256), random blocks. Q4_K runs as 4-bit g32 with f32 scales and
  // float mins, Q5_K as 8-bit g32 likewise, Q6_K as 8-bit g16 with f32 scales, Q5_0 as 8-bit g32 symmetric and Q5_1
  // as 8-bit g32 float-min, both with f16 scales (the symmetric ones also through W8A8).
  for (const [i, t] of (['Q4_K', 'Q5_K', 'Q6_K', 'Q5_0', 'Q5_1'] as const).entries()) {
    const bytes = randomGgufBlocks(t, N, 512, 93 + i);
    sources.push([`GGUF ${t}`, importGguf(t, bytes, N, 512), dequantizeGguf(t, bytes, N, 512)]);
  }
  for (const [name, imp, wd] of sources) {
    const K = imp.K;
    const q = uploadQuantized(ctx, imp, name);
    const W = matmulWeights(q, name);
    for (const M of [1, 20]) {
      const { x, X, Y, ref, tol } = f16Problem(ctx, M, N, K, 92 + M, wd);
      // Every path (the 8-bit float-min of Q5_1 / Q5_K is a combination no quantizer makes).
      for (const path of (M <= 8 ? ['rows', 'split', 'splitcols'] : ['rows', 'tiled']) as MatmulPath[]) {
        ctx.write(Y, new Float32Array(M * N).fill(NaN));
        await matmulQ(ctx, X, W, Y, { M, xType: 'f16', f16: 'emulated', path });
        const r = compareBound(`${name} W${imp.scheme.bits}A16 M=${M} ${path}`, await ctx.readF32(Y, M * N), ref.c, tol, 1, 1, 1);
        assert(r.ok, r.message);
        msgs.push(r.message);
      }
      if (imp.scheme.bits === 8 && imp.scheme.symmetric) {
        // W8A8: x quantized per token on the GPU, exact integer dot products with the file's int8 codes.
        const qx = quantizeRowsI8Ref(x.values, M, K);
        const ref8 = matmulW8A8Ref(qx.q, qx.scale, M, { bits: 8, N, K, group: imp.scheme.group, mode: 'symmetric', codes: imp.codes, scales: imp.scales });
        ctx.write(Y, new Float32Array(M * N).fill(NaN));
        await matmulW8A8(ctx, X, W, Y, { M, xType: 'f16' });
        const r8 = compareBound(`${name} W8A8 M=${M}`, await ctx.readF32(Y, M * N), ref8.y, ref8.tol, 1, 1, 1);
        assert(r8.ok, r8.message);
        msgs.push(r8.message);
      }
      X.destroy();
      Y.destroy();
    }
    if (imp.kPerm) {
      // Act-order on the GPU: dequantize comes back in the original order, the download keeps the permutation,
      // and a planner caller who has not gathered x is refused by name.
      const Yd = await dequantize(ctx, q);
      const e = compareExact(`${name} dequantize`, await ctx.readU32(Yd, N * K), new Uint32Array(wd.buffer, wd.byteOffset, N * K));
      assert(e.ok, e.message);
      Yd.destroy();
      const back = await downloadQuantized(ctx, q);
      assert(compareExact(`${name} kPerm download`, back.kPerm!, imp.kPerm).ok, `${name}: downloadQuantized changed kPerm`);
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const m = await expectError('act-order plan', () => planMatmulQ(ctx, X, W, Y, { M: 1, xType: 'f16' }));
      assert(/W is stored in GPTQ act-order \(kPerm\): x must be gathered into its column order first/.test(m), m);
      msgs.push(e.message, m);
      [X, Y].forEach((b) => b.destroy());
    }
    destroyQuantized(q);
  }
  const two = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 2, group: 32 })), 'w2');
  const m2 = await expectError('2-bit', async () => matmulWeights(two, 'w2'));
  assert(m2.includes('w2') && m2.includes('4- or 8-bit'), `the 2-bit refusal should name the tensor and the widths: ${m2}`);
  msgs.push(m2);
  destroyQuantized(two);
  return msgs.join(' | ');
}

CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 rows: more rows than one dispatch grid holds are split along M', run: gridRowsCase });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8: a NaN or inf in x makes its row non-finite (W8A8: NaN), never finite garbage', run: nonFiniteCase });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 with the weight in shards along N (uploadQuantizedShards): bit-identical to the whole weight, every path', run: shardedCase });

// GGUF K-quants with their scales kept compact on the GPU, 0.625 bits a weight against 2 for f32 scales (and mins):
// Q4_K / Q5_K as 'k6' (the file's 6-bit scales and mins, f16 d and dmin per super-block), Q6_K as 's8' (its int8
// scales, f16 d per super-block). The same bits as the f32 storage on every path (W8A8 too for Q6_K), whole, in
// shards (uploadQuantizedShards) and split along N under a forced binding limit; dequantize exact; and the round trip
// through downloadQuantized.
async function k6Case(ctx: GpuContext): Promise<string> {
  const [N, K] = [136, 512];
  const msgs: string[] = [];
  for (const [i, t] of (['Q4_K', 'Q5_K', 'Q6_K'] as const).entries()) {
    const bytes = randomGgufBlocks(t, N, K, 71 + i);
    const imp = importGguf(t, bytes, N, K);
    const kind = t === 'Q6_K' ? 's8' : 'k6';
    const compact = uploadQuantized(ctx, imp, t);
    const wide = uploadQuantized(ctx, imp, t, { compact: false });
    assert(compact.storage === kind && wide.storage === undefined, `${t}: storage ${compact.storage} / ${wide.storage}`);
    const ng = K / imp.scheme.group;
    const sizes = kind === 'k6' ? [compact.scales.size, compact.zeros!.size] : [compact.scales.size, compact.supers!.size];
    const want = kind === 'k6' ? [2 * N * ng, (N * ng) / 2] : [N * ng, (N * ng) / 4];
    assert(sizes.join() === want.join() && wide.scales.size === 4 * N * ng, `${t}: buffer sizes ${sizes.join()} (want ${want.join()}), ${wide.scales.size}`);
    const back = await downloadQuantized(ctx, compact);
    assert(compareExact(`${t} ${kind} download scales`, back.scales, imp.scales).ok && (!imp.zeros || compareExact(`${t} ${kind} download zeros`, back.zeros!, imp.zeros).ok), `${t}: downloadQuantized changed the scales`);
    const words = (q: QuantizedTensor) => (kind === 'k6' ? q.k6! : q.s8!);
    assert(compareExact(`${t} ${kind} words`, words(back).scales, words(imp).scales).ok && compareExact(`${t} ${kind} supers`, words(back).supers, words(imp).supers).ok, `${t}: downloadQuantized changed the ${kind} words`);
    const Yd = await dequantize(ctx, compact);
    msgs.push(compareExact(`${t} ${kind} dequantize`, await ctx.readU32(Yd, N * K), new Uint32Array(dequantizeGguf(t, bytes, N, K).buffer)).message);
    Yd.destroy();
    const rowBytes = 4 * (K / (32 / imp.scheme.bits));
    const shards = uploadQuantizedShards(ctx, imp, t, 64 * rowBytes); // 64 rows a shard: 64 + 64 + 8
    assert(shards.length === 3 && shards.every((q) => q.storage === kind), `${t}: ${shards.length} shards, storage ${shards.map((q) => q.storage).join()}`);
    for (const M of [2, 20]) {
      const { X, Y, ref, tol } = f16Problem(ctx, M, N, K, 75 + M, dequantizeGguf(t, bytes, N, K));
      // f16-native math too where the adapter has shader-f16 (a GPU; nibble selftest runs it there).
      const modes = ctx.caps.shaderF16 ? (['emulated', 'native'] as const) : (['emulated'] as const);
      const paths: MatmulPath[] = M <= 8 ? ['rows', 'split', 'splitcols'] : ['rows', 'tiled'];
      for (const [f16, path] of modes.flatMap((f) => paths.map((p) => [f, p] as const))) {
        const run = async (wb: QuantWeights, maxBindingBytes?: number) => {
          ctx.write(Y, new Float32Array(M * N).fill(NaN));
          await matmulQ(ctx, X, wb, Y, { M, xType: 'f16', f16, path, maxBindingBytes });
          return ctx.readU32(Y, M * N);
        };
        const a = await run(matmulWeights(wide));
        const what = `${t} ${kind} ${path} f16-${f16} M=${M}`;
        const limit = 64 * rowBytes; // 64 rows a dispatch (the offset alignment's step), 3 dispatches
        for (const [how, b] of [['whole', await run(matmulWeights(compact))], ['3 shards', await run(matmulWeights(shards))], [`binding<=${limit}B`, await run(matmulWeights(compact), limit)]] as const) {
          const same = compareExact(`${what} ${how} vs f32 scales`, b, a);
          assert(same.ok, same.message);
        }
        const planned = await planMatmulQ(ctx, X, matmulWeights(compact), Y, { M, xType: 'f16', f16, path, maxBindingBytes: limit });
        // Native f16: products in f16 (the bound of matmulQRef with the f16 unit roundoff).
        const bound = f16 === 'native' ? ref.absSum.map((v) => 2 * (K + 1) * U_F16 * v) : tol;
        const r = compareBound(what, new Float32Array(a.buffer, a.byteOffset, M * N), ref.c, bound, 1, 1, 1);
        assert(r.ok, r.message);
        assert(planned.length >= 3, `${what}: ${planned.length} dispatches under the ${limit}-byte limit`);
        msgs.push(`${what}: ${checkSplitPlan(what, planned, limit)}`);
        if (kind === 's8' && f16 === 'emulated' && path !== 'splitcols') {
          // W8A8 on Q6_K's int8 codes with the compact scales: the same bits as with f32 scales.
          const run8 = async (wb: QuantWeights, maxBindingBytes?: number) => {
            ctx.write(Y, new Float32Array(M * N).fill(NaN));
            await matmulW8A8(ctx, X, wb, Y, { M, xType: 'f16', path, maxBindingBytes });
            return ctx.readU32(Y, M * N);
          };
          const a8 = await run8(matmulWeights(wide));
          for (const [how, b] of [['whole', await run8(matmulWeights(compact))], ['3 shards', await run8(matmulWeights(shards))], [`binding<=${limit}B`, await run8(matmulWeights(compact), limit)]] as const) {
            const same = compareExact(`${t} s8 W8A8 ${path} M=${M} ${how} vs f32 scales`, b, a8);
            assert(same.ok, same.message);
          }
          // With bias and residual as well: 8 storage bindings (xq, xs, w_q, scales, bias, residual, y, supers), the
          // WebGPU default maxStorageBuffersPerShaderStage.
          const bias = ctx.createBuffer(randomF32(N, 78), undefined, 'bias');
          const res = ctx.createBuffer(randomF32(M * N, 79), undefined, 'residual');
          const withEpi = async (wb: QuantWeights) => {
            ctx.write(Y, new Float32Array(M * N).fill(NaN));
            await matmulW8A8(ctx, X, wb, Y, { M, xType: 'f16', path, bias, residual: res, activation: 'silu' });
            return ctx.readU32(Y, M * N);
          };
          const e8 = compareExact(`${t} s8 W8A8 ${path} M=${M} bias+residual+silu vs f32 scales`, await withEpi(matmulWeights(compact)), await withEpi(matmulWeights(wide)));
          assert(e8.ok, e8.message);
          [bias, res].forEach((b) => b.destroy());
          msgs.push(`${t} s8 W8A8 ${path} M=${M}: bit-identical to f32 scales, with bias, residual and SiLU too`);
        }
      }
      X.destroy();
      Y.destroy();
    }
    if (t === 'Q6_K') {
      // An s8 weight without its super-blocks is refused by name.
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const m = await expectError('s8 supers', () => matmulQ(ctx, X, { ...matmulWeights(compact, t), supers: undefined }, Y, { M: 1, xType: 'f16' }));
      assert(/supers: missing \(s8 scales need their f16 d per super-block\)/.test(m), m);
      msgs.push(m);
      [X, Y].forEach((b) => b.destroy());
    }
    if (t === 'Q4_K') {
      // Bad k6 weights are refused by name: a scheme that is not float-min, a supers buffer too small.
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const wb = matmulWeights(compact, t);
      const m1 = await expectError('k6 symmetric', () => matmulQ(ctx, X, { ...wb, mode: 'symmetric', zeros: undefined }, Y, { M: 1, xType: 'f16' }));
      assert(/k6 \(GGUF Q4_K \/ Q5_K\) scales need scheme 'float-min', group 32 and K a multiple of 256 \(got 'symmetric', group 32, K=512\)/.test(m1), m1);
      const small = ctx.createBuffer(16, undefined, 'small.supers');
      const m2 = await expectError('k6 supers', () => matmulQ(ctx, X, { ...wb, zeros: small }, Y, { M: 1, xType: 'f16' }));
      assert(/zeros: buffer 'small.supers' of 16 bytes is too small for \[136, 2\] f16 pairs \(k6 super-blocks\) \(1088 bytes\)/.test(m2), m2);
      msgs.push(m1, m2);
      [X, Y, small].forEach((b) => b.destroy());
    }
    [compact, wide, ...shards].forEach(destroyQuantized);
  }
  return msgs.join('; ');
}
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 and dequantize on GGUF Q4_K / Q5_K / Q6_K with compact k6 / s8 scales: bit-identical to f32 scales, whole, sharded and split', run: k6Case });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 on imported GGUF Q4_0, Q4_1, Q8_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K and GPTQ int4 (also act-order) weights (matmulWeights, no copy)', run: importedCase });
