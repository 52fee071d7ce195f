// The tiled f32 matmul (matmul_f32.wgsl's TILED: GPUs' pick) at each shape the tuning table can give it: register
// tiles of 4 x 4 and 8 x 8 an invocation, square and oblong workgroups, slices of A and B 4 to 16 deep; every layout of
// A and B, shapes that are not multiples of the workgroup's tile (partial tiles along M, N and K), K = 1, M = 1, and
// batches with padded strides and broadcast operands. Against src/ref's f64 product (the K-term bound) and bit for bit
// against the naive shape (the same fmas in k order, whatever the tile). A shape over the adapter's workgroup memory is
// refused by name before any GPU work.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch } from '../../src/kernels/common.js';
import { planMatmulF32, type MatmulF32Shape } from '../../src/kernels/matmul.js';
import { setTuningOverride, tuningOverride } from '../../src/kernels/tuning.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { withTiledShape, type TiledShape } from './matmul_helpers.js';
import { assert, check, expectError, type GpuCase } from './types.js';

const tileTag = (t: TiledShape) => `t${t.tile} ${t.wgX}x${t.wgY} bk${t.bk}`;

function tiledCase(t: TiledShape, s: MatmulF32Shape): GpuCase {
  const batch = s.batch ?? 1;
  const layout = `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
  const strides = s.batch ? ` strides ${s.strideA ?? s.M * s.K},${s.strideB ?? s.K * s.N},${s.strideC ?? s.M * s.N}` : '';
  return {
    name: `matmul_f32 tiled ${tileTag(t)} ${layout} ${batch > 1 ? `${batch}x` : ''}${s.M}x${s.N}x${s.K}${strides}`,
    async run(ctx: GpuContext) {
      const { M, N, K } = s;
      const sA = s.strideA ?? M * K;
      const sB = s.strideB ?? K * N;
      const sC = s.strideC ?? M * N;
      const a = randomF32(sA * (batch - 1) + M * K, 71 + M);
      const b = randomF32(sB * (batch - 1) + K * N, 72 + N);
      const cLen = sC * (batch - 1) + M * N;
      const A = ctx.createBuffer(a, undefined, 'a');
      const B = ctx.createBuffer(b, undefined, 'b');
      // C starts as a pattern, so padding the kernel must not write is seen if it does.
      const fill = Float32Array.from({ length: cLen }, (_, i) => -1 - i);
      const C = ctx.createBuffer(fill, undefined, 'c');
      const C1 = ctx.createBuffer(fill, undefined, 'c naive');
      try {
        const d = await withTiledShape(t, () => planMatmulF32(ctx, A, B, C, { ...s, variant: 'tiled' }));
        const per = [t.wgX * t.tile, t.wgY * t.tile];
        assert(d.workgroups[0] === Math.ceil(N / per[0]) && d.workgroups[1] === Math.ceil(M / per[1]), `grid ${d.workgroups.join('x')} for tiles of ${per[1]} x ${per[0]}`);
        await runDispatch(d);
        await runDispatch(await planMatmulF32(ctx, A, B, C1, { ...s, variant: 'naive' }));
        const got = await ctx.readF32(C, cLen);
        const naive = await ctx.readF32(C1, cLen);
        const msgs: string[] = [check(compareExact('tiled vs naive (padding included)', got, naive))];
        for (let i = 0; i < batch; i++) {
          const ref = matmulRef(a.subarray(i * sA, i * sA + M * K), b.subarray(i * sB, i * sB + K * N), s);
          msgs.push(check(compareBound(`batch ${i}`, got.subarray(i * sC, i * sC + M * N), ref.c, ref.absSum, K)));
        }
        return msgs.join('; ');
      } finally {
        [A, B, C, C1].forEach((x) => x.destroy());
      }
    },
  };
}

// The GPU table's shape (4 x 4 an invocation, 16 x 16, 16 deep), 8 x 8 an invocation at two depths, and oblong
// workgroups of both tiles (the strided rows and columns of an invocation differ in count).
const SHAPES: TiledShape[] = [
  { tile: 4, wgX: 16, wgY: 16, bk: 16 },
  { tile: 8, wgX: 16, wgY: 16, bk: 8 },
  { tile: 8, wgX: 8, wgY: 8, bk: 16 },
  { tile: 8, wgX: 16, wgY: 4, bk: 4 },
  { tile: 4, wgX: 4, wgY: 16, bk: 8 },
];

const LAYOUTS = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];

const cases: GpuCase[] = [];
SHAPES.forEach((t, i) => {
  const BM = t.wgY * t.tile;
  const BN = t.wgX * t.tile;
  for (const l of LAYOUTS) {
    // Two tiles and a part along M and N, K a slice and a part (nothing a multiple of the tile).
    cases.push(tiledCase(t, { M: 2 * BM + 3, N: BN + 5, K: 2 * t.bk + 3, ...l }));
  }
  const l = LAYOUTS[i % 4];
  // Exactly one tile; K = 1; M = 1 and N = 1 (one row or column of one partial tile).
  cases.push(tiledCase(t, { M: BM, N: BN, K: t.bk, ...l }));
  cases.push(tiledCase(t, { M: 9, N: 70, K: 1, ...l }));
  cases.push(tiledCase(t, { M: 1, N: 33, K: 20, ...l }));
  cases.push(tiledCase(t, { M: 40, N: 1, K: 17, ...l }));
  // Batches: padded strides, and A or B broadcast (stride 0).
  cases.push(tiledCase(t, { M: 21, N: 19, K: 11, ...l, batch: 3, strideA: 240, strideB: 215, strideC: 410 }));
  cases.push(tiledCase(t, { M: 13, N: 36, K: 9, ...l, batch: 2, strideB: 0 }));
  cases.push(tiledCase(t, { M: 35, N: 12, K: 6, ...l, batch: 2, strideA: 0 }));
});

export const CASES: GpuCase[] = [
  ...cases,
  {
    name: 'matmul_f32 tiled refuses a shape over the adapter\'s workgroup memory, naming the limit; the tuning override refuses a tile of 6',
    async run(ctx) {
      const A = ctx.createBuffer(64, undefined, 'a');
      try {
        const lim = ctx.limits.maxComputeWorkgroupStorageSize;
        // 8 x 8 an invocation, 16 x 16 invocations, 64 deep: 4 * 64 * 8 * 32 = 64 KiB of slices.
        const msg = await expectError('too deep', () => withTiledShape({ tile: 8, wgX: 16, wgY: 16, bk: 64 }, () => planMatmulF32(ctx, A, A, A, { M: 2, N: 2, K: 2, variant: 'tiled' })));
        assert(msg.includes(`maxComputeWorkgroupStorageSize (${lim})`) && msg.includes('65536 bytes'), `unexpected message: ${msg}`);
        const before = tuningOverride();
        const msg2 = await expectError('tile 6', async () => setTuningOverride({ matmulF32: { tile: 6 as 8 } }));
        assert(/matmulF32\.tile = 6 is not a value the kernels take/.test(msg2), `unexpected message: ${msg2}`);
        assert(tuningOverride() === before, 'a refused override replaced the one in effect');
        return `${msg}; ${msg2}`;
      } finally {
        A.destroy();
      }
    },
  },
];
