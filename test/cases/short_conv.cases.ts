// LFM2's gated short convolution (shaders/ops/short_conv.wgsl) against the f64 reference (src/ref/ops.ts shortConv,
// shortConvRows):
//   - the graph op (training): forward vs the reference and both gradients (bcx and the kernel) vs central finite
//     differences (ops.cases.ts's opCase), over batches of sequences that must not see each other's rows;
//   - the engine's STATE variant (planShortConv): a prompt run as two steps, the first from position 0 over a state
//     holding garbage (ignored there), the second continuing from the state the first left: outputs and the final
//     state equal the reference's one pass over all rows.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches } from '../../src/kernels/common.js';
import { planShortConv } from '../../src/kernels/lm.js';
import * as op from '../../src/ops/index.js';
import { ref, shortConvRows } from '../../src/ref/ops.js';
import { randomF32 } from '../../src/ref/random.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { opCase } from './ops.cases.js';
import { assert, expectError, type GpuCase } from './types.js';
import { Graph } from '../../src/graph/graph.js';

/** The engine's kernel over T0 then T1 rows (positions 0.. and T0..) vs one reference pass over T0 + T1 rows. */
function stateCase(dim: number, taps: number, T0: number, T1: number): GpuCase {
  return {
    name: `short_conv (engine, conv state) dim ${dim}, ${taps} taps: steps of ${T0} then ${T1} rows`,
    async run(ctx: GpuContext) {
      const T = T0 + T1;
      const bcx = randomF32(T * 3 * dim, 11, -2, 2);
      const w = randomF32(dim * taps, 12, -1, 1);
      const want = shortConvRows(bcx, T, w, dim, taps);
      const W = ctx.createBuffer(w, undefined, 'w');
      const S = ctx.createBuffer(randomF32((taps - 1) * dim, 13, 5, 9), undefined, 'state'); // garbage: position 0 ignores it
      const got = new Float32Array(T * dim);
      const bufs = [W, S];
      try {
        for (const [r0, n] of [[0, T0], [T0, T1]]) {
          const X = ctx.createBuffer(bcx.subarray(r0 * 3 * dim, (r0 + n) * 3 * dim), undefined, 'bcx');
          const P = ctx.createBuffer(Int32Array.from({ length: n }, (_, i) => r0 + i), undefined, 'pos');
          const Y = ctx.createBuffer(4 * n * dim, undefined, 'y');
          bufs.push(X, P, Y);
          await runDispatches(ctx, [await planShortConv(ctx, X, W, S, P, Y, { T: n, dim, taps })]);
          got.set(await ctx.readF32(Y, n * dim), r0 * dim);
        }
        const state = await ctx.readF32(S, (taps - 1) * dim);
        let worst = 0;
        const check = (what: string, g: ArrayLike<number>, r: ArrayLike<number>, K: number) => {
          for (let i = 0; i < r.length; i++) {
            const bound = 8 * K * U_F32 * (Math.abs(r[i]) + 1);
            assert(Math.abs(g[i] - r[i]) <= bound, `${what}[${i}] = ${g[i]}, reference ${r[i]}`);
            worst = Math.max(worst, Math.abs(g[i] - r[i]));
          }
        };
        check('y', got, want.y, taps + 2);
        check('state', state, want.state, 2);
        return `max |err| ${worst.toExponential(2)}`;
      } finally {
        bufs.forEach((b) => b.destroy());
      }
    },
  };
}

export const CASES: GpuCase[] = [
  opCase({ name: 'short_conv [2 sequences x 5 rows, 4 channels], 3 taps', inputs: [{ shape: [10, 12], lo: -2, hi: 2 }, { shape: [4, 3] }], gpu: ([x, w]) => op.shortConv(x, w, 5), ref: ([x, w]) => ref.shortConv(x, w, 5), K: 5 }),
  opCase({ name: 'short_conv [1 sequence x 7 rows, 6 channels], 4 taps', inputs: [{ shape: [7, 18], lo: -2, hi: 2 }, { shape: [6, 4] }], gpu: ([x, w]) => op.shortConv(x, w, 7), ref: ([x, w]) => ref.shortConv(x, w, 7), K: 6 }),
  opCase({ name: 'short_conv [3 sequences x 2 rows (shorter than the kernel), 5 channels], 3 taps', inputs: [{ shape: [6, 15], lo: -2, hi: 2 }, { shape: [5, 3] }], gpu: ([x, w]) => op.shortConv(x, w, 2), ref: ([x, w]) => ref.shortConv(x, w, 2), K: 5 }),
  stateCase(70, 3, 5, 1), // more channels than a workgroup; a decode step after a prompt
  stateCase(8, 3, 1, 1), // a step shorter than the state: the state shifts
  stateCase(16, 4, 6, 9),
  {
    name: 'short_conv refuses bad shapes (columns, taps, partial sequences)',
    async run(ctx: GpuContext) {
      const g = new Graph(ctx, 'short_conv bad');
      try {
        const x = g.input('x', [6, 12], 'f32');
        const msgs = [
          await expectError('channels', () => op.shortConv(x, g.input('w', [3, 3], 'f32'), 3)),
          await expectError('taps', () => op.shortConv(x, g.input('w1', [4, 1], 'f32'), 3)),
          await expectError('sequences', () => op.shortConv(x, g.input('w2', [4, 3], 'f32'), 4)),
        ];
        assert(/bcx has 12 columns, 3 x the kernel's 3 channels/.test(msgs[0]), msgs[0]);
        assert(/1 taps, 2\.\.8 supported/.test(msgs[1]), msgs[1]);
        assert(/6 rows are not whole sequences of 4/.test(msgs[2]), msgs[2]);
        return msgs.join(' | ');
      } finally {
        g.destroy();
      }
    },
  },
];
