// Elementwise and row-sum rows (shaders/basic): memory-bound kernels, read against the bandwidth ceilings.
import type { GpuContext } from '../src/gpu/context.js';
import { planBinary, planReduceSum, planScale } from '../src/kernels/basic.js';
import { addRef, mulRef, reduceSumRef, scaleRef } from '../src/ref/basic.js';
import { randomF32 } from '../src/ref/random.js';
import { compareBound } from '../src/ref/tolerance.js';
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

export function basicRows(o: ShapeOptions): BenchRow[] {
  const n = o.quick ? 1 << 18 : o.fallback ? 1 << 22 : 1 << 24;
  const [rows, cols] = o.quick ? [256, 1024] : o.fallback ? [1024, 4096] : [4096, 4096];
  return [elementwiseRow('add', n), elementwiseRow('mul', n), elementwiseRow('scale', n), reduceRow(rows, cols)];
}
