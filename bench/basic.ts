// Elementwise, row-sum and column-permutation rows (shaders/basic): memory-bound kernels, read against the bandwidth
// ceilings.
import type { GpuContext } from '../src/gpu/context.js';
import { planBinary, planPermuteColumns, planReduceSum, planScale } from '../src/kernels/basic.js';
import { toF16Array } from '../src/quant/f16.js';
import { addRef, mulRef, permuteColumnsRef, reduceSumRef, scaleRef } from '../src/ref/basic.js';
import { randomF32, randomPermutation } from '../src/ref/random.js';
import { compareBound, compareExact } from '../src/ref/tolerance.js';
import { runOnce, type BenchRow } from './harness.js';
import type { ShapeOptions } from './shapes.js';

function elementwiseRow(op: 'add' | 'mul' | 'scale', n: number): BenchRow {
  const inputs = op === 'scale' ? 1 : 2;
  return {
    name: `nibble ${op}`,
    group: `elementwise n=${n}`,
    side: 'nibble',
    shape: `n=${n}`,
    flops: n,
    bytes: 4 * n * (inputs + 1),
    async setup(ctx: GpuContext) {
      const a = randomF32(n, 31);
      const b = randomF32(n, 32);
      const A = ctx.createBuffer(a, undefined, 'a');
      const B = ctx.createBuffer(b, undefined, 'b');
      const Y = ctx.createBuffer(4 * n, undefined, 'y');
      const alpha = 0.75;
      const d = op === 'scale' ? await planScale(ctx, A, Y, n, alpha) : await planBinary(ctx, op, A, B, Y, n);
      return {
        dispatches: [d],
        async check() {
          await runOnce(ctx, [d]);
          const ref = op === 'add' ? addRef(a, b) : op === 'mul' ? mulRef(a, b) : scaleRef(a, alpha);
          const r = compareBound(op, await ctx.readF32(Y, n), ref, ref.map(Math.abs), 1, 2 ** -24, 1);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          [A, B, Y].forEach((x) => x.destroy());
        },
      };
    },
  };
}

function reduceRow(rows: number, cols: number): BenchRow {
  return {
    name: 'nibble reduce_sum',
    group: `reduce_sum ${rows}x${cols}`,
    side: 'nibble',
    shape: `${rows}x${cols}`,
    flops: rows * cols,
    bytes: 4 * (rows * cols + rows),
    async setup(ctx: GpuContext) {
      const x = randomF32(rows * cols, 33);
      const X = ctx.createBuffer(x, undefined, 'x');
      const Y = ctx.createBuffer(4 * rows, undefined, 'y');
      const d = await planReduceSum(ctx, X, Y, rows, cols);
      return {
        dispatches: [d],
        async check() {
          await runOnce(ctx, [d]);
          const ref = reduceSumRef(x, rows, cols);
          const r = compareBound('reduce_sum', await ctx.readF32(Y, rows), ref.y, ref.absSum, cols);
          return { ok: r.ok, message: r.message };
        },
        dispose() {
          X.destroy();
          Y.destroy();
        },
      };
    },
  };
}

/** permute_cols on f16 activations [rows, cols] (the gather GPTQ act-order matmuls run first): bytes read + written. */
function permuteRow(rows: number, cols: number): BenchRow {
  return {
    name: 'nibble permute_cols f16',
    group: `permute_cols ${rows}x${cols}`,
    side: 'nibble',
    shape: `${rows}x${cols}`,
    flops: 0,
    bytes: 2 * 2 * rows * cols + 4 * cols,
    async setup(ctx: GpuContext) {
      const x = toF16Array(randomF32(rows * cols, 34));
      const perm = randomPermutation(cols, 35);
      const words = Math.ceil((rows * cols) / 2);
      const padded = new Uint16Array(2 * words);
      padded.set(x);
      const X = ctx.createBuffer(padded, undefined, 'x');
      const P = ctx.createBuffer(perm, undefined, 'perm');
      const Y = ctx.createBuffer(4 * words, undefined, 'y');
      const d = await planPermuteColumns(ctx, X, P, Y, rows, cols, 'f16');
      return {
        dispatches: [d],
        async check() {
          await runOnce(ctx, [d]);
          const got = await ctx.readU32(Y, words);
          const r2 = compareExact('permute_cols', new Uint16Array(got.buffer, got.byteOffset, rows * cols), permuteColumnsRef(x, rows, cols, perm));
          return { ok: r2.ok, message: r2.message };
        },
        dispose() {
          [X, P, Y].forEach((b) => b.destroy());
        },
      };
    },
  };
}

export function basicRows(o: ShapeOptions): BenchRow[] {
  const n = o.quick ? 1 << 18 : o.fallback ? 1 << 22 : 1 << 24;
  const [rows, cols] = o.quick ? [256, 1024] : o.fallback ? [1024, 4096] : [4096, 4096];
  return [elementwiseRow('add', n), elementwiseRow('mul', n), elementwiseRow('scale', n), reduceRow(rows, cols), permuteRow(o.quick ? 16 : 64, 4096)];
}
