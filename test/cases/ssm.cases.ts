// The Mamba-2 mixer's kernels (src/kernels/ssm.ts) against their f64 references (src/ref/ssm.ts): each over two
// steps, the second continuing from the state the first left (as the engine's prefill chunks and decode steps do),
// and a step at position 0 starting from zeros whatever the state held.
import { runDispatches } from '../../src/kernels/common.js';
import { planSsmConv, planSsmGateNorm, planSsmScan, ssmProjCols, type SsmShape } from '../../src/kernels/ssm.js';
import { ssmConvRef, ssmGateNormRef, ssmScanRef } from '../../src/ref/ssm.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';
import { runRead } from './lm_helpers.js';

const SHAPE: Omit<SsmShape, 'T'> = { inner: 32, heads: 4, state: 8, groups: 2, taps: 4 };

export const CASES: GpuCase[] = [
  {
    name: 'lm ssm_conv (Mamba-2): causal conv of 4 taps + bias + silu over two steps through its state; position 0 starts from zeros',
    async run(ctx) {
      const ch = SHAPE.inner + 2 * SHAPE.groups * SHAPE.state;
      const msgs: string[] = [];
      const w = randomF32(ch * SHAPE.taps, 71, -1, 1);
      const bias = randomF32(ch, 72, -0.5, 0.5);
      const [W, B, S] = [ctx.createBuffer(w, undefined, 'w'), ctx.createBuffer(bias, undefined, 'bias'), ctx.createBuffer(randomF32((SHAPE.taps - 1) * ch, 73), undefined, 'state')];
      let prev: Float64Array | undefined;
      for (const [T, p0, seed] of [[5, 0, 74], [3, 5, 75], [1, 8, 76]]) {
        const s = { ...SHAPE, T };
        const zx = randomF32(T * ssmProjCols(s), seed, -3, 3);
        const [ZX, P, Y] = [ctx.createBuffer(zx, undefined, 'zx'), ctx.createBuffer(Int32Array.from({ length: T }, (_, i) => p0 + i), undefined, 'pos'), ctx.createBuffer(4 * T * ch, undefined, 'y')];
        const got = await runRead(ctx, [await planSsmConv(ctx, ZX, W, B, S, P, Y, s)], Y, T * ch);
        const ref = ssmConvRef(zx, T, ssmProjCols(s), SHAPE.inner, ch, SHAPE.taps, w, bias, prev);
        msgs.push(check(compareBound(`ssm_conv T=${T} at ${p0}`, got, ref.y, ref.absSum, SHAPE.taps + 4)));
        prev = ref.state;
        [ZX, P, Y].forEach((b) => b.destroy());
      }
      const back = await ctx.readF32(S, (SHAPE.taps - 1) * ch);
      msgs.push(check(compareBound('ssm_conv state', back, prev!, prev!.map(Math.abs), 1)));
      [W, B, S].forEach((b) => b.destroy());
      return msgs.join('; ');
    },
  },
  {
    name: 'lm ssm_scan (Mamba-2): selective scan over two steps through its state (dt past +-20 included); position 0 starts from zeros',
    async run(ctx) {
      const { inner, heads: H, state: N, groups: G } = SHAPE;
      const ch = inner + 2 * G * N;
      const msgs: string[] = [];
      const dtBias = randomF32(H, 81, -4, -1);
      const a = randomF32(H, 82, -8, -1);
      const d = randomF32(H, 83, 0.5, 1.5);
      const bufs = [dtBias, a, d].map((v, i) => ctx.createBuffer(v, undefined, ['dt_bias', 'a', 'd'][i]));
      const S = ctx.createBuffer(randomF32(inner * N, 84), undefined, 'state'); // garbage: position 0 must ignore it
      let prev: Float64Array | undefined;
      for (const [T, p0, seed] of [[6, 0, 85], [4, 6, 86], [1, 10, 87]]) {
        const s = { ...SHAPE, T };
        const stride = ssmProjCols(s);
        const xbc = randomF32(T * ch, seed, -1.5, 1.5);
        const zx = randomF32(T * stride, seed + 10, -4, 4);
        if (T > 3) [zx[stride - H], zx[2 * stride - 1]] = [25, -30]; // softplus = dt itself past 20; ~ e^-31 far below
        const [X, ZX, P, Y] = [ctx.createBuffer(xbc, undefined, 'xbc'), ctx.createBuffer(zx, undefined, 'zx'), ctx.createBuffer(Int32Array.from({ length: T }, (_, i) => p0 + i), undefined, 'pos'), ctx.createBuffer(4 * T * inner, undefined, 'y')];
        const got = await runRead(ctx, [await planSsmScan(ctx, X, ZX, bufs[0], bufs[1], bufs[2], S, P, Y, s)], Y, T * inner);
        const ref = ssmScanRef(xbc, zx, stride, stride - H, { T, heads: H, headDim: inner / H, state: N, groups: G }, dtBias, a, d, prev);
        msgs.push(check(compareBound(`ssm_scan T=${T} at ${p0}`, got, ref.y, ref.absSum, 1)));
        prev = ref.state;
        [X, ZX, P, Y].forEach((b) => b.destroy());
      }
      const back = await ctx.readF32(S, inner * N);
      let worst = 0;
      back.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - prev![i]) / (1e-6 + Math.abs(prev![i])))));
      assert(worst < 1e-3, `the state after the steps is off by ${worst} (relative)`);
      [...bufs, S].forEach((b) => b.destroy());
      return msgs.join('; ');
    },
  },
  {
    name: 'lm ssm_gate_norm (Mamba-2): rmsnorm per group of silu(z) * y, times the weights',
    async run(ctx) {
      const T = 4;
      const s = { ...SHAPE, T, eps: 1e-5 };
      const stride = ssmProjCols(s);
      const zx = randomF32(T * stride, 91, -4, 4);
      const y = randomF32(T * SHAPE.inner, 92, -2, 2);
      const w = randomF32(SHAPE.inner, 93, 0.5, 1.5);
      const [ZX, Y, W, O] = [ctx.createBuffer(zx, undefined, 'zx'), ctx.createBuffer(y, undefined, 'y'), ctx.createBuffer(w, undefined, 'w'), ctx.createBuffer(4 * T * SHAPE.inner, undefined, 'out')];
      const got = await runRead(ctx, [await planSsmGateNorm(ctx, ZX, Y, W, O, s)], O, T * SHAPE.inner);
      const ref = ssmGateNormRef(zx, stride, y, T, SHAPE.inner, SHAPE.groups, w, s.eps);
      [ZX, Y, W, O].forEach((b) => b.destroy());
      return check(compareBound('ssm_gate_norm', got, ref.y, ref.absSum, SHAPE.inner / SHAPE.groups + 8));
    },
  },
  {
    name: 'lm ssm error: bad Mamba-2 shapes are refused by name before any dispatch',
    async run(ctx) {
      const b = ctx.createBuffer(4096, undefined, 'b');
      const msgs = [
        await expectError('taps', () => planSsmConv(ctx, b, b, b, b, b, b, { ...SHAPE, T: 1, taps: 9 })),
        await expectError('groups', () => planSsmScan(ctx, b, b, b, b, b, b, b, b, { ...SHAPE, T: 1, groups: 3 })),
        await expectError('small zx', async () => runDispatches(ctx, [await planSsmGateNorm(ctx, b, b, b, b, { ...SHAPE, T: 64, eps: 1e-5 })])),
      ];
      b.destroy();
      for (const [m, want] of [[msgs[0], 'taps'], [msgs[1], 'heads'], [msgs[2], "binding 'zx'"]] as const) assert(m.includes(want), `error '${m}' does not name ${want}`);
      return msgs.join(' | ');
    },
  },
];
