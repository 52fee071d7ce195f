// Gated DeltaNet's kernels (qwen35, qwen3next; src/kernels/delta_net.ts) against their f64 references (src/ref/delta_net.ts):
// the convolution and the recurrence over three steps, each continuing from the states the one before left (as the
// engine's prefill chunks and decode steps do), a step at position 0 starting from zeros whatever the states held;
// the per-head norm and gate; the sigmoid-gated attention output.
import { runDispatches } from '../../src/kernels/common.js';
import { deltaNetChannels, planDeltaNet, planDeltaNetConv, planDeltaNetNorm, type DeltaNetShape } from '../../src/kernels/delta_net.js';
import { planSwiglu } from '../../src/kernels/lm.js';
import { deltaNetNormRef, deltaNetScanRef, sigmoidGateRef } from '../../src/ref/delta_net.js';
import { ssmConvRef } from '../../src/ref/ssm.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';
import { runRead } from './lm_helpers.js';

// 2 key heads for 4 value heads (value head h reads key head h % 2), heads of 16; D 80 in the second shape: more
// columns than the kernel's 64 invocations; Qwen3-Next's repeat in the third (value head h reads key head h / 3)
const SHAPES: Omit<DeltaNetShape, 'T'>[] = [
  { kHeads: 2, vHeads: 4, d: 16, taps: 4 },
  { kHeads: 1, vHeads: 1, d: 80, taps: 3 },
  { kHeads: 2, vHeads: 6, d: 16, taps: 4, kRepeat: true },
];
const EPS = 1e-6;

export const CASES: GpuCase[] = [
  {
    name: 'lm delta_net_conv (qwen35): causal conv of q | k | v without a bias + silu over three steps through its state; position 0 starts from zeros',
    async run(ctx) {
      const S0 = SHAPES[0];
      const ch = deltaNetChannels(S0);
      const msgs: string[] = [];
      const w = randomF32(ch * S0.taps, 11, -1, 1);
      const [W, S] = [ctx.createBuffer(w, undefined, 'w'), ctx.createBuffer(randomF32((S0.taps - 1) * ch, 12), undefined, 'state')];
      let prev: Float64Array | undefined;
      for (const [T, p0, seed] of [[5, 0, 13], [3, 5, 14], [1, 8, 15]]) {
        const x = randomF32(T * ch, seed, -3, 3);
        const [X, P, Y] = [ctx.createBuffer(x, undefined, 'qkv'), ctx.createBuffer(Int32Array.from({ length: T }, (_, i) => p0 + i), undefined, 'pos'), ctx.createBuffer(4 * T * ch, undefined, 'y')];
        const got = await runRead(ctx, [await planDeltaNetConv(ctx, X, W, S, P, Y, { ...S0, T })], Y, T * ch);
        const ref = ssmConvRef(x, T, ch, 0, ch, S0.taps, w, undefined, prev);
        msgs.push(check(compareBound(`delta_net_conv T=${T} at ${p0}`, got, ref.y, ref.absSum, S0.taps + 4)));
        prev = ref.state;
        [X, P, Y].forEach((b) => b.destroy());
      }
      const back = await ctx.readF32(S, (S0.taps - 1) * ch);
      msgs.push(check(compareBound('delta_net_conv state', back, prev!, prev!.map(Math.abs), 1)));
      [W, S].forEach((b) => b.destroy());
      return msgs.join('; ');
    },
  },
  ...SHAPES.map((S0): GpuCase => ({
    name: `lm delta_net (${S0.kRepeat ? 'qwen3next: each key head repeated' : 'qwen35'}): the gated delta rule over three steps through its state, ${S0.kHeads} key / ${S0.vHeads} value heads of ${S0.d} (softplus past 20, a zero key row); position 0 starts from zeros`,
    async run(ctx) {
      const { vHeads: H, d: D } = S0;
      const ch = deltaNetChannels(S0);
      const msgs: string[] = [];
      const dtBias = randomF32(H, 21, -4, 1);
      const a = randomF32(H, 22, -8, -1);
      const bufs = [dtBias, a].map((v, i) => ctx.createBuffer(v, undefined, ['dt_bias', 'a'][i]));
      const S = ctx.createBuffer(randomF32(H * D * D, 23), undefined, 'state'); // garbage: position 0 must ignore it
      let prev: Float64Array | undefined;
      let bound: Float64Array | undefined;
      for (const [T, p0, seed] of [[6, 0, 24], [4, 6, 25], [1, 10, 26]]) {
        const qkv = randomF32(T * ch, seed, -1.5, 1.5);
        const beta = randomF32(T * H, seed + 10, -4, 4);
        const alpha = randomF32(T * H, seed + 20, -3, 3);
        if (T > 3) {
          alpha[2 * H] = 25; // row 2, head 0: softplus = its input past 20, a decay of e^(-25 |a|): the state all but cleared
          qkv.fill(0, ch + S0.kHeads * D, ch + 2 * S0.kHeads * D); // row 1's keys all zero: |k| below eps, k = 0
        }
        const [X, B, A, P, Y] = [ctx.createBuffer(qkv, undefined, 'qkv'), ctx.createBuffer(beta, undefined, 'beta'), ctx.createBuffer(alpha, undefined, 'alpha'), ctx.createBuffer(Int32Array.from({ length: T }, (_, i) => p0 + i), undefined, 'pos'), ctx.createBuffer(4 * T * H * D, undefined, 'y')];
        const got = await runRead(ctx, [await planDeltaNet(ctx, X, B, A, bufs[0], bufs[1], S, P, Y, { ...S0, T, eps: EPS })], Y, T * H * D);
        const ref = deltaNetScanRef(qkv, beta, alpha, dtBias, a, { T, kHeads: S0.kHeads, vHeads: H, d: D, kRepeat: S0.kRepeat }, EPS, prev);
        msgs.push(check(compareBound(`delta_net T=${T} at ${p0}`, got, ref.y, ref.absSum, 1)));
        // the state's bound carries over the steps: the error already in it is part of the next step's
        bound = ref.stateBound.map((e, i) => e + (bound ? bound[i] : 0));
        prev = ref.state;
        [X, B, A, P, Y].forEach((b) => b.destroy());
      }
      const back = await ctx.readF32(S, H * D * D);
      msgs.push(check(compareBound('delta_net state', back, prev!, bound!, 1)));
      [...bufs, S].forEach((b) => b.destroy());
      return msgs.join('; ');
    },
  })),
  {
    name: 'lm delta_net_norm (qwen35): rmsnorm per head of y, times the shared weights, times silu(z)',
    async run(ctx) {
      const [T, H, D] = [4, 4, 16];
      const z = randomF32(T * H * D, 31, -4, 4);
      const y = randomF32(T * H * D, 32, -2, 2);
      const w = randomF32(D, 33, 0.5, 1.5);
      const [Z, Y, W, O] = [ctx.createBuffer(z, undefined, 'z'), ctx.createBuffer(y, undefined, 'y'), ctx.createBuffer(w, undefined, 'w'), ctx.createBuffer(4 * T * H * D, undefined, 'out')];
      const got = await runRead(ctx, [await planDeltaNetNorm(ctx, Z, Y, W, O, { T, vHeads: H, d: D, eps: 1e-6 })], O, T * H * D);
      const ref = deltaNetNormRef(z, y, w, T, H, D, 1e-6);
      [Z, Y, W, O].forEach((b) => b.destroy());
      return check(compareBound('delta_net_norm', got, ref.y, ref.absSum, D + 8));
    },
  },
  {
    name: 'lm sigmoid_gate (qwen35 attention output) n=1000: x * sigmoid(gate), gates far past +-80 included',
    async run(ctx) {
      const n = 1000;
      const x = randomF32(n, 41, -3, 3);
      const gate = randomF32(n, 42, -10, 10);
      [0, -0, 90, -90, 1e6, -1e6].forEach((v, i) => (gate[7 * i] = v));
      const [X, G, Y] = [ctx.createBuffer(x, undefined, 'x'), ctx.createBuffer(gate, undefined, 'gate'), ctx.createBuffer(4 * n, undefined, 'y')];
      const got = await runRead(ctx, [await planSwiglu(ctx, G, X, Y, n, 'sigmoid')], Y, n);
      const ref = sigmoidGateRef(x, gate);
      [X, G, Y].forEach((b) => b.destroy());
      // GPUs may flush subnormals: x sigmoid(g) at g < -87 (exp(-g) past f32's range: 0 on every adapter)
      const bound = ref.absSum.map((v, i) => v + (gate[i] < -80 ? 1e-30 : 0));
      assert(Math.abs(got[7 * 4] - x[28]) <= 1e-6 * Math.abs(x[28]), `a gate of 1e6 passes x (${got[28]} vs ${x[28]})`);
      return check(compareBound('sigmoid_gate', got, ref.y, bound, 1));
    },
  },
  {
    name: 'lm delta_net error: bad Gated DeltaNet shapes are refused by name before any dispatch',
    async run(ctx) {
      const b = ctx.createBuffer(4096, undefined, 'b');
      const msgs = [
        await expectError('taps', () => planDeltaNetConv(ctx, b, b, b, b, b, { ...SHAPES[0], T: 1, taps: 9 })),
        await expectError('heads', () => planDeltaNet(ctx, b, b, b, b, b, b, b, b, { ...SHAPES[0], T: 1, vHeads: 3, eps: EPS })),
        await expectError('head size', () => planDeltaNet(ctx, b, b, b, b, b, b, b, b, { ...SHAPES[0], T: 1, d: 512, eps: EPS })),
        await expectError('small qkv', async () => runDispatches(ctx, [await planDeltaNet(ctx, b, b, b, b, b, b, b, b, { ...SHAPES[0], T: 64, eps: EPS })])),
      ];
      b.destroy();
      for (const [m, want] of [[msgs[0], 'taps'], [msgs[1], 'vHeads'], [msgs[2], 'at most 256'], [msgs[3], "binding 'qkv'"]] as const) assert(m.includes(want), `error '${m}' does not name ${want}`);
      return msgs.join(' | ');
    },
  },
];
