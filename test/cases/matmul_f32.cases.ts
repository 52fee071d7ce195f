// The register-blocked f32 matmul ('rows', shaders/matmul/matmul_f32_rows.wgsl), forced on every adapter: every
// layout of A and B, blocks of 4, 8 and 16 rows, shapes that are not multiples of the rows x cols block (and ones that are, which take the vec4
// loads), K = 1, M = 1, N = 1, batches with padded strides and broadcast operands, every column count; against
// src/ref's f64 product (the K-term bound) and bit for bit against the naive shape (the same fma sequence); each
// shape also with A through subgroupBroadcast (SUB_A, ' sa': lanes past N still load A for the others) and without.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch } from '../../src/kernels/common.js';
import { F32_ROWS_COLS, planMatmulF32, subgroupsOf4, type MatmulF32Shape } from '../../src/kernels/matmul.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';

interface RowsCase extends MatmulF32Shape {
  cols: number;
  rows: number;
}


function name(s: RowsCase): string {
  const batch = s.batch ?? 1;
  const tag = `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`;
  const strides = s.batch ? ` strides ${s.strideA ?? s.M * s.K},${s.strideB ?? s.K * s.N},${s.strideC ?? s.M * s.N}` : '';
  return `matmul_f32 rows r${s.rows} c${s.cols}${s.subA ? ' sa' : ''} ${tag} ${batch > 1 ? `${batch}x` : ''}${s.M}x${s.N}x${s.K}${strides}`;
}

function rowsCase(s: RowsCase): GpuCase {
  return {
    name: name(s),
    needs: (ctx) => (s.subA && !subgroupsOf4(ctx) ? 'no subgroups of 4 or more lanes' : null),
    async run(ctx: GpuContext) {
      const { M, N, K } = s;
      const batch = s.batch ?? 1;
      const sA = s.strideA ?? M * K;
      const sB = s.strideB ?? K * N;
      const sC = s.strideC ?? M * N;
      const a = randomF32(sA * (batch - 1) + M * K, 31 + M);
      const b = randomF32(sB * (batch - 1) + K * N, 32 + N);
      const A = ctx.createBuffer(a, undefined, 'a');
      const B = ctx.createBuffer(b, undefined, 'b');
      const cLen = sC * (batch - 1) + M * N;
      const C = ctx.createBuffer(4 * cLen, undefined, 'c');
      const C1 = ctx.createBuffer(4 * cLen, undefined, 'c naive');
      try {
        await runDispatch(await planMatmulF32(ctx, A, B, C, { ...s, variant: 'rows' }));
        await runDispatch(await planMatmulF32(ctx, A, B, C1, { ...s, variant: 'naive' }));
        const got = await ctx.readF32(C, cLen);
        const naive = await ctx.readF32(C1, cLen);
        const msgs: string[] = [];
        for (let i = 0; i < batch; i++) {
          const ref = matmulRef(a.subarray(i * sA, i * sA + M * K), b.subarray(i * sB, i * sB + K * N), s);
          const at = (x: Float32Array) => x.subarray(i * sC, i * sC + M * N);
          msgs.push(check(compareBound(`batch ${i}`, at(got), ref.c, ref.absSum, K)));
          // Same fma per output in k order as the naive shape: the same bits.
          msgs.push(check(compareExact(`batch ${i} rows vs naive`, at(got), at(naive))));
        }
        return msgs.join('; ');
      } finally {
        [A, B, C, C1].forEach((x) => x.destroy());
      }
    },
  };
}

const LAYOUTS = [
  { transA: false, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: false },
  { transA: true, transB: true },
];

const shapes: Omit<RowsCase, 'rows'>[] = [];
LAYOUTS.forEach((l, i) => {
  const cols = F32_ROWS_COLS[i];
  // Nothing a multiple of 4 (scalar loads, partial blocks); everything a multiple of 4 and of the block (vec4 loads
  // on both operands); mixed (one operand's contiguous dimension a multiple of 4, K % 4 = 3 tail).
  shapes.push({ M: 7, N: 13, K: 19, cols, ...l });
  shapes.push({ M: 8, N: 32, K: 12, cols, ...l });
  shapes.push({ M: 12, N: 20, K: 11, cols, ...l });
  shapes.push({ M: 5, N: 24, K: 9, cols: F32_ROWS_COLS[(i + 2) % 4], ...l });
  // Degenerate dimensions.
  shapes.push({ M: 1, N: 9, K: 8, cols, ...l });
  shapes.push({ M: 6, N: 1, K: 16, cols, ...l });
  shapes.push({ M: 9, N: 10, K: 1, cols, ...l });
  // Batches: padded strides (multiples of 4 or not), and each operand broadcast.
  shapes.push({ M: 5, N: 8, K: 12, cols, ...l, batch: 3, strideA: 64, strideB: 100, strideC: 44 });
  shapes.push({ M: 4, N: 6, K: 7, cols, ...l, batch: 2, strideA: 31, strideB: 45, strideC: 25 });
  shapes.push({ M: 6, N: 12, K: 8, cols, ...l, batch: 3, strideB: 0 });
  shapes.push({ M: 3, N: 5, K: 4, cols, ...l, batch: 2, strideA: 0 });
});
// Blocks of 4, 8 and 16 rows (where M is smaller, the block's last rows lie past M) in turn, and all three on the
// shapes with partial blocks along every dimension.
const cases: RowsCase[] = shapes
  .flatMap((s, i) => (s.M === 7 || s.M === 12 ? [4, 8, 16] : [[4, 8, 16][i % 3]]).map((rows) => ({ ...s, rows })))
  .flatMap((s) => [false, true].map((subA) => ({ ...s, subA })));

/**
 * ACCUM (C = op(A) op(B) + R, the executor's matmul + add fusion) on every variant: each element of C is the plain
 * product's plus R's, rounded once (Math.fround of the two f32 values: the unfused add's bits); padding between
 * batches untouched.
 */
function accumCase(variant: 'naive' | 'block4' | 'tiled' | 'rows', s: MatmulF32Shape): GpuCase {
  return {
    name: `matmul_f32 ${variant} + addend (ACCUM) ${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'} ${s.batch ? `${s.batch}x` : ''}${s.M}x${s.N}x${s.K}`,
    async run(ctx: GpuContext) {
      const { M, N, K } = s;
      const batch = s.batch ?? 1;
      const sC = s.strideC ?? M * N;
      const cLen = sC * (batch - 1) + M * N;
      const A = ctx.createBuffer(randomF32((s.strideA ?? M * K) * (batch - 1) + M * K, 5 + M), undefined, 'a');
      const B = ctx.createBuffer(randomF32((s.strideB ?? K * N) * (batch - 1) + K * N, 6 + N), undefined, 'b');
      const r = randomF32(cLen, 7 + K);
      const R = ctx.createBuffer(r, undefined, 'addend');
      const C = ctx.createBuffer(4 * cLen, undefined, 'c');
      const C1 = ctx.createBuffer(4 * cLen, undefined, 'c plain');
      try {
        await runDispatch(await planMatmulF32(ctx, A, B, C, { ...s, variant, addend: R }));
        await runDispatch(await planMatmulF32(ctx, A, B, C1, { ...s, variant }));
        const got = await ctx.readF32(C, cLen);
        const plain = await ctx.readF32(C1, cLen);
        let n = 0;
        for (let i = 0; i < cLen; i++) {
          const inside = i % sC < M * N;
          const want = inside ? Math.fround(plain[i] + r[i]) : 0;
          assert(Object.is(got[i], want), `element ${i}: ${got[i]}, want ${want} (${inside ? `product ${plain[i]} + addend ${r[i]}` : 'padding, untouched'})`);
          n += inside ? 1 : 0;
        }
        return `${n} elements = product + addend, bit for bit`;
      } finally {
        [A, B, R, C, C1].forEach((x) => x.destroy());
      }
    },
  };
}

const ACCUM_SHAPES: MatmulF32Shape[] = [
  { M: 7, N: 13, K: 19 },
  { M: 8, N: 32, K: 12, transB: true },
  { M: 12, N: 20, K: 11, transA: true },
  { M: 5, N: 8, K: 12, batch: 3, strideA: 64, strideB: 100, strideC: 44 },
];

export const CASES: GpuCase[] = [
  ...cases.map(rowsCase),
  ...(['naive', 'block4', 'tiled', 'rows'] as const).flatMap((v) => ACCUM_SHAPES.map((s) => accumCase(v, s))),
  {
    name: 'matmul_f32 rows refuses a column count that is not 4, 8, 12 or 16, a row count that is not 4, 8 or 16 and SUB_A without subgroups',
    async run(ctx) {
      const A = ctx.createBuffer(16, undefined, 'a');
      try {
        const msg = await expectError('cols 6', () => planMatmulF32(ctx, A, A, A, { M: 2, N: 2, K: 2, variant: 'rows', cols: 6 }));
        assert(/cols=6 must be one of 4, 8, 12, 16/.test(msg), `unexpected message: ${msg}`);
        const msg2 = await expectError('rows 2', () => planMatmulF32(ctx, A, A, A, { M: 2, N: 2, K: 2, variant: 'rows', rows: 2 }));
        assert(/rows=2 must be 4, 8 or 16/.test(msg2), `unexpected message: ${msg2}`);
        // SUB_A forced on an adapter without subgroups (this one, seen with its subgroups hidden): refused by name.
        const noSubgroups = Object.create(ctx, { caps: { value: { ...ctx.caps, subgroups: false, subgroupMinSize: 0 } } }) as GpuContext;
        const msg3 = await expectError('subA', () => planMatmulF32(noSubgroups, A, A, A, { M: 2, N: 2, K: 2, variant: 'rows', subA: true }));
        assert(/SUB_A needs subgroups of at least 4 lanes/.test(msg3), `unexpected message: ${msg3}`);
        return `${msg}; ${msg2}; ${msg3}`;
      } finally {
        A.destroy();
      }
    },
  },
];
