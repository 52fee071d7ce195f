// Matmul rows: nibble's f32 matmul (naive and tiled) at the comparison shapes, y = x W^T with W [N, K]
// (the layout of every quantized weight and of ORT's MatMulNBits). The W4A16 / W8A8 rows join the same groups.
import type { GpuContext } from '../src/gpu/context.js';
import { planMatmulF32 } from '../src/kernels/matmul.js';
import { matmulRef } from '../src/ref/matmul.js';
import { randomF32 } from '../src/ref/random.js';
import { compareBound } from '../src/ref/tolerance.js';
import { runOnce, type BenchRow } from './harness.js';
import { matmulGroup, matmulShapes, shapeLabel, type MatmulShape, type ShapeOptions } from './shapes.js';

export function matmulF32Row(s: MatmulShape, tiled: boolean): BenchRow {
  const { M, N, K } = s;
  return {
    name: `nibble matmul_f32 ${tiled ? 'tiled' : 'naive'}`,
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
      const d = await planMatmulF32(ctx, X, W, Y, { M, N, K, transB: true, tiled });
      return {
        dispatches: [d],
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

export function matmulRows(o: ShapeOptions): BenchRow[] {
  return matmulShapes(o).flatMap((s) => [matmulF32Row(s, false), matmulF32Row(s, true)]);
}
