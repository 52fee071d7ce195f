// Matmul rows: nibble's f32 matmul (naive, 4x4 blocks where M >= 3, tiled, and the variant the adapter's tuning table
// picks, as training runs it) at the comparison shapes, y = x W^T with W [N, K]
// (the layout of every quantized weight and of ORT's MatMulNBits). The W4A16 / W8A8 rows join the same groups.
import type { GpuContext } from '../src/gpu/context.js';
import { f32Variant, pickPath, planMatmulF32, planMatmulQ } from '../src/kernels/matmul.js';
import { f16BitsToF32, toF16Array } from '../src/quant/f16.js';
import { packCodes } from '../src/quant/layout.js';
import { matmulQRef, matmulRef, type QuantWeightsRef } from '../src/ref/matmul.js';
import { randomF32, rng } from '../src/ref/random.js';
import { compareBound, U_F16, U_F32 } from '../src/ref/tolerance.js';
import { runOnce, type BenchRow } from './harness.js';
import { sample } from './matmul_timing.js';
import { matmulGroup, matmulShapes, shapeLabel, type MatmulShape, type ShapeOptions } from './shapes.js';

/** 'picked': no variant forced, the tuning table's choice for this adapter and M (named in the row's notes). */
export function matmulF32Row(s: MatmulShape, variant: 'naive' | 'block4' | 'tiled' | 'picked'): BenchRow {
  const { M, N, K } = s;
  return {
    name: `nibble matmul_f32 ${variant}`,
    group: matmulGroup(s),
    side: 'nibble',
    shape: shapeLabel(s),
    wallToo: true,
    flops: 2 * M * N * K,
    bytes: 4 * (M * K + N * K + M * N),
    async setup(ctx: GpuContext) {
      const x = randomF32(M * K, 21);
      const w = randomF32(N * K, 22);
      const X = ctx.createBuffer(x, undefined, 'x');
      const W = ctx.createBuffer(w, undefined, 'w');
      const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
      const forced = variant === 'picked' ? {} : { tiled: variant === 'tiled', block: variant === 'block4' };
      const d = await planMatmulF32(ctx, X, W, Y, { M, N, K, transB: true, ...forced });
      return {
        dispatches: [d],
        ...(variant === 'picked' ? { notes: [`${f32Variant(ctx, { M })} (the tuning table's pick)`] } : {}),
        async check() {
          await runOnce(ctx, [d]);
          const ref = matmulRef(x, w, { M, N, K, transB: true });
          const r = compareBound('y', await ctx.readF32(Y, M * N), ref.c, ref.absSum, K);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          [X, W, Y].forEach((b) => b.destroy());
        },
      };
    },
  };
}

/** The group size of the W4A16 rows: ORT MatMulNBits' block (32), so the two read the same bytes per weight. */
export const W4A16_GROUP = 32;

/**
 * W4A16: 4-bit symmetric weights, group 32, f32 scales (MatMulNBits q4 b32's storage), f16 activations (native
 * shader-f16 math where the adapter has it, else unpack2x16float + f32), the path the tuning table picks (GEMV for
 * M <= 8, else GEMM). Named gemv / gemm so rows line up across adapters; the path is in the notes.
 */
/** Products up to this many multiply-adds are checked whole against src/ref; larger ones on CHECK_ROWS sampled rows. */
export const CHECK_WHOLE_MACS = 2 ** 28;
const CHECK_ROWS = 16;

/** The rows of an M x K x N product that a bench checks: all of them (null), or CHECK_ROWS spread over M (sample's: first and last included). */
export function checkedRows(M: number, K: number, N: number): number[] | null {
  return M * K * N <= CHECK_WHOLE_MACS || M <= CHECK_ROWS ? null : sample(M, CHECK_ROWS);
}

/** The rows `rows` (null: all) of a row-major [M, N] result. */
export function pickRows(y: Float32Array, N: number, rows: number[] | null): Float32Array {
  if (!rows) return y;
  const out = new Float32Array(rows.length * N);
  rows.forEach((m, i) => out.set(y.subarray(m * N, (m + 1) * N), i * N));
  return out;
}

export function matmulW4A16Row(s: MatmulShape): BenchRow {
  const { M, N, K } = s;
  const ng = Math.ceil(K / W4A16_GROUP);
  return {
    name: `nibble matmul_w4a16 ${M <= 8 ? 'gemv' : 'gemm'} g${W4A16_GROUP}`,
    group: matmulGroup(s),
    side: 'nibble',
    shape: shapeLabel(s),
    wallToo: true,
    flops: 2 * M * N * K,
    bytes: 2 * M * K + N * K / 2 + 4 * N * ng + 4 * M * N,
    async setup(ctx: GpuContext) {
      const r = rng(23);
      const u = Uint8Array.from({ length: N * K }, () => Math.floor(16 * r()));
      const scales = Float32Array.from({ length: N * ng }, () => Math.fround(0.005 + 0.02 * r()));
      const codes = packCodes(u, N, K, 4);
      const xh = toF16Array(randomF32(M * K, 24));
      const wref: QuantWeightsRef = { bits: 4, N, K, group: W4A16_GROUP, mode: 'symmetric', codes, scales };
      const X = ctx.createBuffer(xh, undefined, 'x');
      const C = ctx.createBuffer(codes, undefined, 'w.codes');
      const S = ctx.createBuffer(scales, undefined, 'w.scales');
      const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
      const native = ctx.caps.shaderF16;
      const ds = await planMatmulQ(ctx, X, { bits: 4, N, K, group: W4A16_GROUP, mode: 'symmetric', codes: C, scales: S }, Y, { M, xType: 'f16' });
      return {
        dispatches: ds,
        notes: [`path ${pickPath(ctx, M)}`, `f16 ${native ? 'native (shader-f16)' : 'emulated (unpack2x16float, f32 math)'}`],
        async check() {
          await runOnce(ctx, ds);
          // Row m of y depends on row m of x alone: a large product is checked on sampled rows.
          const rows = checkedRows(M, K, N);
          const x = Array.from(xh, f16BitsToF32);
          const xs = rows ? rows.flatMap((m) => x.slice(m * K, (m + 1) * K)) : x;
          const ref = matmulQRef(xs, rows ? rows.length : M, wref, {}, native ? U_F16 : U_F32);
          const c = compareBound(rows ? `y (rows ${rows.length} of ${M})` : 'y', pickRows(await ctx.readF32(Y, M * N), N, rows), ref.y, ref.tol, 1, 1, 1);
          return { ok: c.ok, message: c.message };
        },
        dispose() {
          [X, C, S, Y].forEach((b) => b.destroy());
        },
      };
    },
  };
}

export function matmulRows(o: ShapeOptions): BenchRow[] {
  // The 4x4-block f32 shape only at the prefill shapes (M >= 3, where the table picked it before 'rows'); 'picked' is
  // what training runs on this adapter (SwiftShader: 'rows'; GPUs: 'tiled', then the same kernel as the tiled row).
  return matmulShapes(o).flatMap((s) => [matmulF32Row(s, 'naive'), ...(s.M >= 3 ? [matmulF32Row(s, 'block4')] : []), matmulF32Row(s, 'tiled'), matmulF32Row(s, 'picked'), matmulW4A16Row(s)]);
}
