// Grouped f32 products (planMatmulF32Group, matmul_f32_rows.wgsl's GROUP_*): two or three products in one dispatch,
// bit for bit against one 'rows' dispatch a product (the same fma sequence per output; for 'sum', the chain of
// ACCUM dispatches each adding its product to the one before, which is how the executor summed them), and against
// src/ref's f64 products. Shapes as training has them (x W^T for q / k / v, dY^T X, dY W) and odd ones (nothing a
// multiple of 4, K = 1), 4 and 8 rows a block; bad groups refused by name.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch, subgroupsOf4 } from '../../src/kernels/common.js';
import { planMatmulF32, planMatmulF32Group, type MatmulF32Product, type MatmulGroupKind } from '../../src/kernels/matmul.js';
import { matmulRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { withTiledShape, type TiledShape } from './matmul_helpers.js';
import { assert, caseBuffers, check, expectError, type GpuCase } from './types.js';

interface Shape {
  M: number;
  N: number;
  K: number;
}

interface GroupCase {
  kind: MatmulGroupKind;
  shapes: Shape[];
  transA?: boolean;
  transB?: boolean;
  rows: 4 | 8 | 16;
  cols: 4 | 8 | 12 | 16;
  addend?: boolean;
  /** The 'tiled' shape (GPUs' pick) instead of 'rows' (rows and cols then unused). */
  tiled?: boolean;
  /** With `tiled`: the tiled kernel's shape laid over the tuning table for the group and the dispatches it is compared with. */
  tiledShape?: TiledShape;
  /** 'sum' on 'rows': A through subgroupBroadcast forced on or off (default: the planner's pick) in the group and its chain. */
  subA?: boolean;
}

const tiledTag = (t?: TiledShape) => (t ? `tiled t${t.tile} ${t.wgX}x${t.wgY} bk${t.bk}` : 'tiled');
const tag = (g: GroupCase) => `${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'} ${g.tiled ? tiledTag(g.tiledShape) : `r${g.rows} c${g.cols}`} ${g.shapes.map((s) => `${s.M}x${s.N}x${s.K}`).join(' + ')}${g.addend ? ' + addend' : ''}${g.subA === undefined ? '' : g.subA ? ' subA' : ' no subA'}`;

function groupCase(g: GroupCase): GpuCase {
  return {
    name: `matmul_f32 group ${g.kind} ${tag(g)}`,
    needs: (ctx) => (g.subA && !subgroupsOf4(ctx) ? 'the adapter has no subgroups of 4 or more lanes' : null),
    run: (ctx: GpuContext) => (g.tiledShape ? withTiledShape(g.tiledShape, () => runGroup(ctx, g)) : runGroup(ctx, g)),
  };
}

async function runGroup(ctx: GpuContext, g: GroupCase): Promise<string> {
  const { buf, destroy } = caseBuffers(ctx);
  try {
    const s0 = g.shapes[0];
    const hostA = g.shapes.map((s, i) => (g.kind === 'shareA' && i ? null : randomF32(s.M * s.K, 40 + i)));
    const hostB = g.shapes.map((s, i) => (g.kind === 'shareB' && i ? null : randomF32(s.K * s.N, 50 + i)));
    const A = hostA.map((h, i) => (h ? buf(h, `a${i}`) : null));
    const B = hostB.map((h, i) => (h ? buf(h, `b${i}`) : null));
    const cLen = (s: Shape) => s.M * s.N;
    const C = g.shapes.map((s, i) => (g.kind === 'sum' && i ? null : buf(4 * cLen(s), `c${i}`)));
    const pick = <T>(xs: (T | null)[], i: number) => (xs[i] ?? xs[0])!;
    const r = g.addend ? randomF32(cLen(s0), 60) : null;
    const R = r ? buf(r, 'addend') : undefined;
    const products: MatmulF32Product[] = g.shapes.map((s, i) => ({ ...s, a: pick(A, i), b: pick(B, i), c: pick(C, i), transA: g.transA, transB: g.transB }));
    const shape = g.tiled ? { variant: 'tiled' as const } : { variant: 'rows' as const, rows: g.rows, cols: g.cols, ...(g.subA === undefined ? {} : { subA: g.subA }) };
    const planned = await planMatmulF32Group(ctx, g.kind, products, { addend: R, ...shape });
    assert(planned.length === 1, `${planned.length} dispatches, want one`);
    await runDispatch(planned[0]);
    const msgs: string[] = [];
    const opt = { transA: g.transA, transB: g.transB, ...shape };
    if (g.kind === 'sum') {
      // One dispatch a product, each adding the chain so far (R first): the executor's unfused schedule.
      let prev = R;
      let want: Float32Array | null = null;
      const ref = new Float64Array(cLen(s0));
      let absSum = new Float64Array(cLen(s0));
      for (let i = 0; i < g.shapes.length; i++) {
        const s = g.shapes[i];
        const out = buf(4 * cLen(s), `chain ${i}`);
        await runDispatch(await planMatmulF32(ctx, products[i].a, products[i].b, out, { ...s, ...opt, addend: prev }));
        prev = out;
        want = await ctx.readF32(out, cLen(s));
        const p = matmulRef(pick(hostA, i), pick(hostB, i), { ...s, transA: g.transA, transB: g.transB });
        p.c.forEach((v, j) => (ref[j] += v));
        absSum = absSum.map((v, j) => v + p.absSum[j]);
      }
      if (r) r.forEach((v, j) => ((ref[j] += v), (absSum[j] += Math.abs(v))));
      const got = await ctx.readF32(C[0]!, cLen(s0));
      msgs.push(check(compareExact('group vs chain of dispatches', got, want!)));
      const Ksum = g.shapes.reduce((t, s) => t + s.K, 0) + (r ? 1 : 0);
      msgs.push(check(compareBound('vs f64 sum of products', got, ref, absSum, Ksum)));
    } else {
      for (let i = 0; i < g.shapes.length; i++) {
        const s = g.shapes[i];
        const one = buf(4 * cLen(s), `single ${i}`);
        await runDispatch(await planMatmulF32(ctx, products[i].a, products[i].b, one, { ...s, ...opt }));
        const got = await ctx.readF32(products[i].c as GPUBuffer, cLen(s));
        msgs.push(check(compareExact(`product ${i} vs its own dispatch`, got, await ctx.readF32(one, cLen(s)))));
        const ref = matmulRef(pick(hostA, i), pick(hostB, i), { ...s, transA: g.transA, transB: g.transB });
        msgs.push(check(compareBound(`product ${i} vs f64`, got, ref.c, ref.absSum, s.K)));
      }
    }
    return msgs.join('; ');
  } finally {
    destroy();
  }
}


// Grouped products on the tiled shape: products of several workgroups each, odd shapes, a sum with an addend.
const TILED: GroupCase[] = [
  { kind: 'shareA', transB: true, rows: 4, cols: 4, tiled: true, shapes: [{ M: 70, N: 130, K: 40 }, { M: 70, N: 65, K: 40 }, { M: 70, N: 9, K: 40 }] },
  { kind: 'shareB', transA: true, rows: 4, cols: 4, tiled: true, shapes: [{ M: 37, N: 80, K: 19 }, { M: 70, N: 80, K: 19 }] },
  { kind: 'sum', rows: 4, cols: 4, tiled: true, addend: true, shapes: [{ M: 67, N: 70, K: 6 }, { M: 67, N: 70, K: 33 }, { M: 67, N: 70, K: 1 }] },
  // 8 x 8 an invocation (tiles of 128 x 128 and 64 x 32).
  { kind: 'shareA', transB: true, rows: 4, cols: 4, tiled: true, tiledShape: { tile: 8, wgX: 16, wgY: 16, bk: 8 }, shapes: [{ M: 130, N: 150, K: 20 }, { M: 130, N: 9, K: 20 }, { M: 130, N: 129, K: 20 }] },
  { kind: 'shareB', transA: true, rows: 4, cols: 4, tiled: true, tiledShape: { tile: 8, wgX: 4, wgY: 8, bk: 16 }, shapes: [{ M: 70, N: 33, K: 19 }, { M: 37, N: 33, K: 19 }] },
  { kind: 'sum', rows: 4, cols: 4, tiled: true, addend: true, tiledShape: { tile: 8, wgX: 8, wgY: 8, bk: 8 }, shapes: [{ M: 67, N: 70, K: 6 }, { M: 67, N: 70, K: 17 }] },
];

// Training's three products of a Llama layer at batch 2 x 8 tokens, dim 16, q 16 / k, v 8 (GQA), SwiGLU 24; and odd shapes.
const CASES_TABLE: GroupCase[] = [
  // x [M, K] times W_s^T (W_s [N_s, K]): q, k, v.
  { kind: 'shareA', transB: true, rows: 8, cols: 16, shapes: [{ M: 16, N: 16, K: 16 }, { M: 16, N: 8, K: 16 }, { M: 16, N: 8, K: 16 }] },
  { kind: 'shareA', transB: true, rows: 4, cols: 8, shapes: [{ M: 7, N: 13, K: 9 }, { M: 7, N: 5, K: 9 }] },
  // Several workgroups a product along both axes (each product's grid laid out after the one before).
  { kind: 'shareA', transB: true, rows: 4, cols: 4, shapes: [{ M: 20, N: 70, K: 12 }, { M: 20, N: 40, K: 12 }, { M: 20, N: 9, K: 12 }] },
  { kind: 'shareB', transA: true, rows: 4, cols: 4, shapes: [{ M: 37, N: 40, K: 8 }, { M: 20, N: 40, K: 8 }] },
  { kind: 'sum', rows: 4, cols: 4, shapes: [{ M: 19, N: 45, K: 6 }, { M: 19, N: 45, K: 7 }] },
  { kind: 'shareA', rows: 8, cols: 4, shapes: [{ M: 9, N: 3, K: 1 }, { M: 9, N: 6, K: 1 }, { M: 9, N: 11, K: 1 }] },
  // dY_s^T X: A_s = dY_s stored [M_s(=tokens), N_s] read transposed, B = X [tokens, dim].
  { kind: 'shareB', transA: true, rows: 8, cols: 16, shapes: [{ M: 24, N: 16, K: 16 }, { M: 24, N: 16, K: 16 }] },
  { kind: 'shareB', transA: true, rows: 4, cols: 12, shapes: [{ M: 16, N: 16, K: 16 }, { M: 8, N: 16, K: 16 }, { M: 8, N: 16, K: 16 }] },
  { kind: 'shareB', transA: true, transB: true, rows: 8, cols: 8, shapes: [{ M: 5, N: 7, K: 11 }, { M: 13, N: 7, K: 11 }, { M: 2, N: 7, K: 11 }] },
  // dY_s W_s: one dX summed over q, k, v (K_s = N_s of the forward).
  { kind: 'sum', rows: 8, cols: 16, shapes: [{ M: 16, N: 16, K: 16 }, { M: 16, N: 16, K: 8 }, { M: 16, N: 16, K: 8 }] },
  { kind: 'sum', rows: 16, cols: 16, addend: true, shapes: [{ M: 21, N: 20, K: 9 }, { M: 21, N: 20, K: 8 }] },
  { kind: 'shareA', transB: true, rows: 16, cols: 8, shapes: [{ M: 40, N: 13, K: 12 }, { M: 40, N: 5, K: 12 }, { M: 40, N: 32, K: 12 }] },
  { kind: 'shareB', transA: true, rows: 16, cols: 4, shapes: [{ M: 17, N: 16, K: 7 }, { M: 32, N: 16, K: 7 }] },
  { kind: 'sum', rows: 4, cols: 8, addend: true, shapes: [{ M: 16, N: 16, K: 24 }, { M: 16, N: 16, K: 24 }] },
  { kind: 'sum', transA: true, rows: 4, cols: 4, addend: true, shapes: [{ M: 7, N: 13, K: 5 }, { M: 7, N: 13, K: 1 }, { M: 7, N: 13, K: 10 }] },
  // Sums with A through subgroupBroadcast (SwiftShader's pick for dX) and without, against chains of the same choice:
  // the K_s not multiples of 4 (a lane's k past K), columns past N in the last invocations, transposed A, an addend.
  { kind: 'sum', subA: true, rows: 16, cols: 16, shapes: [{ M: 16, N: 64, K: 16 }, { M: 16, N: 64, K: 8 }, { M: 16, N: 64, K: 8 }] },
  { kind: 'sum', subA: true, rows: 8, cols: 4, addend: true, shapes: [{ M: 19, N: 45, K: 6 }, { M: 19, N: 45, K: 7 }, { M: 19, N: 45, K: 1 }] },
  { kind: 'sum', subA: true, transA: true, rows: 4, cols: 8, shapes: [{ M: 9, N: 30, K: 13 }, { M: 9, N: 30, K: 5 }] },
  { kind: 'sum', subA: false, rows: 16, cols: 16, shapes: [{ M: 16, N: 64, K: 16 }, { M: 16, N: 64, K: 8 }, { M: 16, N: 64, K: 8 }] },
];

export const CASES: GpuCase[] = [
  ...CASES_TABLE.map(groupCase),
  ...TILED.map(groupCase),
  {
    name: 'matmul_f32 group refuses 1 or 4 products, an unshared operand, mixed layouts, an addend outside a sum, a bad block and SUB_A outside a sum',
    async run(ctx) {
      const X = ctx.createBuffer(4096, undefined, 'x');
      const Y = ctx.createBuffer(4096, undefined, 'y');
      try {
        const p = (o: Partial<MatmulF32Product> = {}): MatmulF32Product => ({ a: X, b: X, c: Y, M: 4, N: 4, K: 4, ...o });
        const msgs = [
          await expectError('one product', () => planMatmulF32Group(ctx, 'shareA', [p()])),
          await expectError('four', () => planMatmulF32Group(ctx, 'sum', [p(), p(), p(), p()])),
          await expectError('a differs', () => planMatmulF32Group(ctx, 'shareA', [p(), p({ a: Y, c: X })])),
          await expectError('K differs', () => planMatmulF32Group(ctx, 'shareB', [p(), p({ K: 8 })])),
          await expectError('c differs', () => planMatmulF32Group(ctx, 'sum', [p(), p({ c: X })])),
          await expectError('layouts', () => planMatmulF32Group(ctx, 'sum', [p(), p({ transB: true })])),
          await expectError('addend', () => planMatmulF32Group(ctx, 'shareA', [p(), p()], { addend: X })),
          await expectError('N = 0', () => planMatmulF32Group(ctx, 'shareA', [p(), p({ N: 0 })])),
          await expectError('rows 2', () => planMatmulF32Group(ctx, 'shareA', [p(), p()], { variant: 'rows', rows: 2 })),
          await expectError('cols 6', () => planMatmulF32Group(ctx, 'shareA', [p(), p()], { variant: 'rows', cols: 6 })),
          await expectError('subA shareB', () => planMatmulF32Group(ctx, 'shareB', [p(), p({ a: Y, c: X })], { variant: 'rows', subA: true })),
        ];
        const want = [/1 products: a group has 2 or 3/, /4 products/, /products\[1\]\.a, M, K.*differs/, /products\[1\]\.b, K, N/, /products\[1\]\.c, M, N/, /products\[1\]\.transB/, /addend takes a 'sum' group/, /products\[1\]\.N.*N=0/, /rows=2 must be 4, 8 or 16/, /cols=6 must be one of 4, 8, 12, 16/, /subA.*SUB_A takes a 'sum' group.*'shareB'/];
        msgs.forEach((m, i) => assert(want[i].test(m), `unexpected message: ${m}`));
        return msgs.join('; ');
      } finally {
        X.destroy();
        Y.destroy();
      }
    },
  },
];
