// Dequant-fused matmuls with float activations (W4A16, W8A16, f32 x) against src/ref/matmul.ts, every path and
// variant, on awkward shapes; the N-split of oversized weights and the bad-input errors. W8A8:
// matmul_w8a8.cases.ts; imported, sharded and non-finite inputs: matmul_weights.cases.ts.
import type { GpuContext } from '../../src/gpu/context.js';
import { matmulQ, planMatmulQ, subgroupsOf4, type MatmulActivation, type MatmulPath, type MatmulQOptions, type ZeroMode } from '../../src/kernels/matmul.js';
import { f32ToF16Bits, toF16 } from '../../src/ref/f16.js';
import { matmulQRef, type EpilogueRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact, U_F16, U_F32 } from '../../src/ref/tolerance.js';
import { assert, expectError, type GpuCase } from './types.js';
import { randomQuantWeights, uploadWeights, residualBuffer, poisonedY, checkSplitPlan, compareY } from './matmul_helpers.js';

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
  /** rows with f32 x: x through subgroupBroadcast (SUB_X) forced on or off; default the table's. */
  subX?: boolean;
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
  const subX = c.subX === undefined ? '' : c.subX ? ' subx' : ' nosubx';
  return `matmul_${kind} ${c.path}${sg}${subX} ${x} ${c.mode ?? 'symmetric'} g${c.group ?? 'C'}${c.scaleF16 ? ' f16-scales' : ''} ${c.M}x${c.N}x${c.K}${epi}${split}${c.y ? ` y=${c.y}` : ''}`;
}


function qcase(c: QCase): GpuCase {
  const x = c.x ?? 'f16-emulated';
  return {
    name: qname(c),
    needs: (ctx) =>
      (x === 'f16-native' || c.y === 'f16-native') && !ctx.caps.shaderF16 ? 'no shader-f16' : c.subgroups && !ctx.caps.subgroups ? 'no subgroups' : c.subX && !subgroupsOf4(ctx) ? 'no subgroups of 4 or more lanes' : null,
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
      if (c.subX !== undefined) o.subX = c.subX;
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
// SUB_X (f32 x through subgroupBroadcast) on and off: partial blocks of 1, 4 and 8 rows, columns past N in the
// workgroup (N = 5, 37), K not a multiple of a word (203: the last word's lanes past K load zeros), every scheme, W4 / W8.
for (const subX of [false, true]) {
  for (const [M, rowsM] of [[1, 1], [3, 4], [9, 8], [64, 8]] as const) {
    for (const [bits, mode] of [[4, 'symmetric'], [4, 'float-min'], [8, 'zero-point']] as const) cases.push({ M, N: M === 64 ? 37 : 5, K: 203, group: 56, bits, mode, x: 'f32', path: 'rows', rowsM, subX });
  }
}
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
// rows with blocks of 4 rows by 2, 3, 5, 8, 12, 13 or 16 columns (in written-out groups of four: 13 computes 16 and
// stores 13): partial last blocks in M and N, every activation type and scheme, both widths, ragged K (x read
// element-wise) among them, epilogues.
for (const [i, [M, cols]] of ([[7, 5], [20, 2], [11, 8], [6, 3], [9, 12], [5, 13], [10, 16]] as const).entries()) {
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
    await expectError('subX off the rows path', () => matmulQ(ctx, X, W, Y, { ...o, path: 'split', subX: true })),
  ];
  const want = [/'x'.*\[10, 64\] f32/, /scales.*\[16, 2\] f32/, /codes.*\[16, 16\] u32/, /bias.*\[16\] f32/, /residual.*\[2, 16\] f32/, /y.*\[2, 16\] f32/, /zeros: missing/, /2-bit weights are not supported/, /group=12 .* multiple of 8/, /M <= 8/, /splitcols GEMV path takes M <= 8/, /colsPerWG=9 must be an integer in 1\.\.8/, /splitWG=24 must be a power of two/, /colsPerInvocation=17 must be an integer in 1\.\.16/, /rowsPerInvocation=2 must be 1, 4 or 8/, /yType: 'bf16' is not f32 or f16/, /y: buffer 'small' of 8 bytes is too small for \[2, 16\] f16 \(64 bytes\)/, /residual: .*\[2, 16\] f16 \(y's type; 64 bytes\)/, /yF16: ('packed' is not native or emulated|native f16 output needs the adapter's shader-f16)/, /x: one row of 1024 bytes does not fit the binding limit of 768 bytes .*cannot split along M/, /subX: SUB_X takes the 'rows' path with f32 x.*\(not the split path\)/];
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

/**
 * yBlock (deepseek2's per-head projections): y is columns [col0, col0 + N) of a wider [M, ldy]; they equal the plain
 * product's, every other column keeps its poison; with a bias the planner refuses it, naming yBlock.
 */
async function yBlockCase(ctx: GpuContext, path: MatmulPath, bits: 4 | 8): Promise<string> {
  const [M, N, K, ldy, col0] = [path === 'tiled' ? 19 : 3, 19, 128, 45, 13];
  const w = randomQuantWeights(11 + bits, N, K, bits, 32, 'zero-point');
  const W = uploadWeights(ctx, w, 32);
  const xs = randomF32(M * K, 12);
  const X = ctx.createBuffer(xs, undefined, 'x');
  const Y = poisonedY(ctx, M * ldy, false);
  await matmulQ(ctx, X, W, Y, { M, xType: 'f32', path, subgroups: false, yBlock: { ldy, col0 } });
  const got = await ctx.readF32(Y, M * ldy);
  const ref = matmulQRef(xs, M, w, { act: 'none' }, U_F32);
  const block = { y: [] as number[], tol: [] as number[] };
  const inBlock: number[] = [];
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) { block.y.push(ref.y[m * N + n]); block.tol.push(ref.tol[m * N + n]); inBlock.push(got[m * ldy + col0 + n]); }
  const outside = Array.from(got).filter((_, i) => i % ldy < col0 || i % ldy >= col0 + N);
  assert(outside.length === M * (ldy - N) && outside.every((v) => Number.isNaN(v)), `yBlock (${path}): a column outside [${col0}, ${col0 + N}) was written`);
  const r = compareBound(`yBlock ${path} w${bits}`, Float32Array.from(inBlock), block.y, block.tol, 1, 1, 1);
  const bias = ctx.createBuffer(new Float32Array(N), undefined, 'bias');
  const err = await expectError(`yBlock ${path} with a bias`, () => planMatmulQ(ctx, X, W, Y, { M, xType: 'f32', path, bias, yBlock: { ldy, col0 } }));
  assert(/yBlock/.test(err) && /without bias or residual/.test(err), `the refusal does not name yBlock: ${err}`);
  [W.codes, W.scales, W.zeros, X, Y, bias].forEach((b) => b?.destroy());
  assert(r.ok, r.message);
  return r.message;
}

const yBlocks: GpuCase[] = PATHS.map((path, i) => ({ name: `matmul_w${i % 2 ? 8 : 4}a16 ${path} yBlock: columns 13..31 of rows of 45, the rest untouched`, run: (ctx: GpuContext) => yBlockCase(ctx, path, i % 2 ? 8 : 4) }));

export const CASES: GpuCase[] = [...cases.map(qcase), ...f16Edges, ...yBlocks, { name: 'matmul_w4a16 error: shape mismatches and unsupported schemes name the tensor and shape', run: errorCase }];
