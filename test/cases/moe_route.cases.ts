// The mixture-of-experts router (shaders/lm/moe_route.wgsl, planMoeRoute) against the f64 reference
// (src/ref/moe_route.ts moeRouteRef): the same experts chosen in every row (the zeros agree exactly), and each chosen
// weight within the f32 rounding of a softmax over the row and a division by the chosen ones' sum. Shapes of the
// families run: Mixtral's 8 experts 2 a token, Qwen3-MoE's 128 / 8, OLMoE's 64 / 8 unnormalized, the kernel's
// largest 256, a scale, Qwen2-MoE's sigmoid gate (1 / 1); ties to the lower index; a row with a NaN logit gets no
// expert (zeros), as the reference does; bad shapes refused before any dispatch.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatches } from '../../src/kernels/common.js';
import { MOE_MAX_EXPERTS, planMoeRoute, type MoeRouteShape } from '../../src/kernels/moe_route.js';
import { moeRouteRef } from '../../src/ref/moe_route.js';
import { randomF32 } from '../../src/ref/random.js';
import { U_F32 } from '../../src/ref/tolerance.js';
import { assert, caseBuffers, expectError, type GpuCase } from './types.js';

function routeCase(what: string, s: MoeRouteShape, fill: (x: Float32Array) => void = () => {}): GpuCase {
  return {
    name: `moe_route ${s.rows} rows x ${s.experts} experts, ${s.used} used, ${s.gating}${s.norm ? ', normalized' : ''}${s.scale !== undefined ? `, scale ${s.scale}` : ''}: ${what}`,
    async run(ctx: GpuContext) {
      const n = s.rows * s.experts;
      const logits = randomF32(n, s.rows * 31 + s.experts, -4, 4);
      fill(logits);
      const b = caseBuffers(ctx);
      try {
        const L = b.buf(logits, 'logits');
        const Y = b.buf(4 * n, 'y');
        await runDispatches(ctx, [await planMoeRoute(ctx, L, Y, s)]);
        const got = await ctx.readF32(Y, n);
        const want = moeRouteRef(logits, s);
        // softmax: exp and a sum of `experts` terms, a division, the normalizing sum of `used` and a division
        const bound = 4 * (s.experts + s.used + 8) * U_F32 * Math.abs(s.scale ?? 1);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          assert((got[i] === 0) === (want[i] === 0), `row ${Math.floor(i / s.experts)} expert ${i % s.experts}: ${got[i]}, reference ${want[i]} (a different expert chosen)`);
          const d = Math.abs(got[i] - want[i]);
          assert(d <= bound, `row ${Math.floor(i / s.experts)} expert ${i % s.experts}: ${got[i]}, reference ${want[i]} (|d| ${d.toExponential(2)} > ${bound.toExponential(2)})`);
          worst = Math.max(worst, d);
        }
        for (let r = 0; r < s.rows; r++) {
          const chosen = want.subarray(r * s.experts, (r + 1) * s.experts).filter((v) => v !== 0).length;
          assert(chosen === s.used || (chosen === 0 && logits.subarray(r * s.experts, (r + 1) * s.experts).some(Number.isNaN)), `row ${r}: ${chosen} experts chosen, ${s.used} expected`);
        }
        return `max |err| ${worst.toExponential(2)} (bound ${bound.toExponential(2)})`;
      } finally {
        b.destroy();
      }
    },
  };
}

export const CASES: GpuCase[] = [
  routeCase('Mixtral\'s shape', { rows: 37, experts: 8, used: 2, norm: true, gating: 'softmax' }),
  routeCase('Qwen3-MoE\'s shape', { rows: 5, experts: 128, used: 8, norm: true, gating: 'softmax' }),
  routeCase('OLMoE\'s shape, unnormalized', { rows: 9, experts: 64, used: 8, norm: false, gating: 'softmax' }),
  routeCase('the kernel\'s most experts, scaled', { rows: 3, experts: MOE_MAX_EXPERTS, used: 6, norm: true, scale: 2.5, gating: 'softmax' }),
  routeCase('Qwen2-MoE\'s shared-expert gate', { rows: 70, experts: 1, used: 1, norm: false, gating: 'sigmoid' }),
  routeCase('ties to the lower index, a NaN row gets none', { rows: 4, experts: 6, used: 3, norm: true, gating: 'softmax' }, (x) => {
    x.fill(0.5, 0, 6); // row 0: all equal: experts 0, 1, 2, a third each
    x.set([1, 2, 2, 0, 2, 1], 6); // row 1: 1, 2, 4 (a three-way tie)
    x[14] = NaN; // row 2: no expert
  }),
  {
    name: 'moe_route refuses bad shapes (experts, used)',
    async run(ctx: GpuContext) {
      const b = caseBuffers(ctx);
      try {
        const L = b.buf(4 * 1024, 'logits');
        const msgs = [
          await expectError('experts', () => planMoeRoute(ctx, L, L, { rows: 1, experts: MOE_MAX_EXPERTS + 1, used: 2, norm: true, gating: 'softmax' })),
          await expectError('used', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 9, norm: true, gating: 'softmax' })),
          await expectError('used 0', () => planMoeRoute(ctx, L, L, { rows: 1, experts: 8, used: 0, norm: true, gating: 'softmax' })),
        ];
        assert(/experts: 257 must be an integer in 1\.\.256/.test(msgs[0]), msgs[0]);
        assert(/used: 9 must be an integer in 1\.\.8/.test(msgs[1]), msgs[1]);
        assert(/used: 0 must be/.test(msgs[2]), msgs[2]);
        return msgs.join(' | ');
      } finally {
        b.destroy();
      }
    },
  },
];
