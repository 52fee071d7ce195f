// W8A8 (int8 activations quantized per row, dot4I8Packed or the integer fallback) against src/ref/matmul.ts on every
// path, with the epilogues, f16 scales and y, the N and M splits; and its bad-input errors.
import type { GpuContext } from '../../src/gpu/context.js';
import { matmulW8A8, planMatmulW8A8, type MatmulW8A8Options, type MatmulActivation, type MatmulPath } from '../../src/kernels/matmul.js';
import { toF16 } from '../../src/ref/f16.js';
import { matmulW8A8Ref, packI8Rows, quantizeRowsI8Ref, type EpilogueRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareExact } from '../../src/ref/tolerance.js';
import { assert, expectError, type GpuCase } from './types.js';
import { randomQuantWeights, uploadWeights, residualBuffer, poisonedY, checkSplitPlan, compareY } from './matmul_helpers.js';

export const CASES: GpuCase[] = [];

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
    // Blocks of 4 rows: partial last blocks in M (7 = 4 + 3, 18 = 4 * 4 + 2) and N; 16 and 13 columns (four groups of
    // four columns, 13 of them stored).
    if (path === 'rows') for (const [M2, cols] of [[7, 5], [18, 8], [9, 16], [6, 13]]) w8.push({ M: M2, N: 13, K: 96, group: cols === 5 ? 32 : undefined, x: packed ? 'f32' : 'f16', path, packed, rowsM: 4, cols, residual: cols === 5 });
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
