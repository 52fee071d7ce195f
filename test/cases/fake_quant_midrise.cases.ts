// The fake-quant kernels' midrise grid (levels (q + 0.5) * s, codes q = clamp(floor(x / s), qmin, qmax); ParetoQ's
// SEQ grid, what `nibble lm qat --midrise` trains) against src/ref/fake_quant.ts: codes, y and the STE mask
// identical at 2..8 bits, both kernel shapes, x on the grid's ties (multiples of s, where floor and round part);
// LSQ's gradients within the f32 bound and no zero-point gradient; refused on an unsigned range. Node and Chromium.
import { Graph } from '../../src/graph/graph.js';
import { runDispatch, runDispatches } from '../../src/kernels/common.js';
import * as ops from '../../src/ops/index.js';
import { planFakeQuant, planFakeQuantBackward, planFakeQuantBackwardLearnable, type FakeQuantGranularity, type FakeQuantSpec } from '../../src/kernels/fake_quant.js';
import { fakeQuantBackwardRef, fakeQuantForwardRef, fakeQuantLayout, lsqGradFactor, qRange } from '../../src/ref/fake_quant.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';


/**
 * Scales over a decade; x clips on both sides, and every fourth element sits exactly on a multiple of its scale
 * (a tie of the midrise grid: floor keeps it, round-half-even would move half of them).
 */
function problem(shape: number[], g: FakeQuantGranularity, bits: number, seed: number) {
  const { qmin, qmax } = qRange(bits, true);
  const L = fakeQuantLayout(shape, g);
  const r = rng(seed);
  const scale = Float32Array.from({ length: L.channels }, (_, c) => (c % 3 === 0 ? 2 ** -(4 + (c % 5)) : 0.01 * 10 ** r()));
  const x = new Float32Array(L.numel);
  for (let i = 0; i < L.numel; i++) {
    const s = scale[Math.floor(i / L.inner) % L.channels];
    const m = 2 + 0.15 * (qmax - qmin);
    x[i] = i % 4 === 0 ? Math.fround((qmin + Math.floor(r() * (qmax - qmin + 1))) * s) : (qmin - m + (qmax - qmin + 2 * m) * r()) * s;
  }
  const spec: FakeQuantSpec = { shape, granularity: g, bits, qmin, qmax, midrise: true };
  return { x, scale, zero: new Float32Array(L.channels), spec, L };
}

const forwardCase: GpuCase = {
  name: 'fake_quant midrise forward + STE: codes, y, grad_x identical, bits 2..8, per group and per channel, ties',
  async run(ctx) {
    const msgs: string[] = [];
    for (const bits of [2, 3, 4, 5, 6, 7, 8]) {
      for (const [shape, g] of [[[4, 64], { kind: 'group', group: 16 }], [[6, 10], { kind: 'channel', axis: 0 }]] as [number[], FakeQuantGranularity][]) {
        const p = problem(shape, g, bits, 300 + bits + shape[0]);
        p.spec.variant = { elems: [1, 3, 16][(bits + shape[0]) % 3] };
        const ref = fakeQuantForwardRef(p.x, p.scale, p.zero, p.L, p.spec.qmin, p.spec.qmax, true);
        const dy = randomF32(p.x.length, bits);
        const [X, S, Z, GY] = [p.x, p.scale, p.zero, dy].map((a) => ctx.createBuffer(a));
        const [Y, C, GX] = [0, 1, 2].map(() => ctx.createBuffer(4 * p.x.length));
        await runDispatches(ctx, [
          await planFakeQuant(ctx, { x: X, scale: S, zero_point: Z, y: Y, codes: C }, p.spec),
          await planFakeQuantBackward(ctx, { x: X, grad_y: GY, scale: S, zero_point: Z, grad_x: GX }, p.spec),
        ]);
        const tag = `${bits}-bit ${g.kind}`;
        check(compareExact(`${tag} codes`, await ctx.readI32(C, p.x.length), ref.codes));
        check(compareExact(`${tag} y`, await ctx.readF32(Y, p.x.length), ref.y));
        check(compareExact(`${tag} STE grad_x`, await ctx.readF32(GX, p.x.length), dy.map((v, i) => (ref.mask[i] ? v : 0))));
        // The grid: every y is an odd multiple of s / 2, none is 0, and ties kept their floor.
        for (let i = 0; i < p.x.length; i++) {
          const s = p.scale[Math.floor(i / p.L.inner) % p.L.channels];
          const h = ref.y[i] / s - 0.5;
          assert(ref.y[i] !== 0 && Math.abs(h - Math.round(h)) < 1e-5, `${tag}: y[${i}] = ${ref.y[i]} is not (q + 0.5) * ${s}`);
          const pow2 = Math.floor(i / p.L.inner) % p.L.channels % 3 === 0; // x * f32(1 / s) is exact there
          if (i % 4 === 0 && pow2 && ref.mask[i]) assert(ref.codes[i] === Math.round(p.x[i] / s), `${tag}: the tie x[${i}] = ${p.x[i]} = ${p.x[i] / s} s got code ${ref.codes[i]}`);
        }
        const clipped = ref.mask.reduce((a, m) => a + (1 - m), 0);
        assert(clipped > 0 && clipped < p.x.length, `${tag}: the data should clip some but not all elements (clipped ${clipped})`);
        msgs.push(`${bits}${g.kind[0]}:${clipped}`);
        [X, S, Z, GY, Y, C, GX].forEach((b) => b.destroy());
      }
    }
    return `codes, y and STE grad_x identical for 14 midrise problems; clipped ${msgs.join(' ')}`;
  },
};

function learnableCase(bits: number, reduce: 'serial' | 'workgroup'): GpuCase {
  return {
    name: `fake_quant midrise LSQ backward: per group 32, ${bits}-bit, ${reduce}`,
    async run(ctx) {
      const p = problem([4, 64], { kind: 'group', group: 32 }, bits, 40 + bits);
      p.spec.variant = { reduce };
      // A nonzero zero point must be ignored (the midrise grid has none).
      const zero = p.zero.map((_, c) => (c % 2 ? 1 : -1));
      const dy = randomF32(p.L.numel, 78);
      const gradFactor = lsqGradFactor(p.L.numel / p.L.channels, p.spec.qmax);
      const ref = fakeQuantBackwardRef(p.x, dy, p.scale, p.zero, p.L, p.spec.qmin, p.spec.qmax, gradFactor, true);
      const [X, GY, S, Z] = [p.x, dy, p.scale, zero].map((a) => ctx.createBuffer(a));
      const GX = ctx.createBuffer(4 * p.L.numel);
      const GS = ctx.createBuffer(4 * p.L.channels);
      const GZ = ctx.createBuffer(Float32Array.from({ length: p.L.channels }, () => 7));
      await runDispatch(await planFakeQuantBackwardLearnable(ctx, { x: X, grad_y: GY, scale: S, zero_point: Z, grad_x: GX, grad_scale: GS, grad_zero_point: GZ }, { ...p.spec, gradFactor }));
      check(compareExact('grad_x', await ctx.readF32(GX, p.L.numel), ref.gradX));
      const m = check(compareBound('grad_scale', await ctx.readF32(GS, p.L.channels), ref.gradScale, ref.absScale, ref.perScale + 4));
      const gz = await ctx.readF32(GZ, p.L.channels);
      assert(gz.every((v) => v === 0), `grad_zero_point should be all 0 on the midrise grid, got [${Array.from(gz.slice(0, 4)).join(', ')}, ...]`);
      // The midrise gradient is not the mid-tread one on the same data (a kernel that ignored MIDRISE would pass nothing above).
      const tread = fakeQuantBackwardRef(p.x, dy, p.scale, p.zero, p.L, p.spec.qmin, p.spec.qmax, gradFactor);
      assert(tread.gradScale.some((v, c) => Math.abs(v - ref.gradScale[c]) > 1e-3 * (ref.absScale[c] + 1e-30)), 'midrise and mid-tread LSQ gradients should differ on this data');
      [X, GY, S, Z, GX, GS, GZ].forEach((b) => b.destroy());
      return m;
    },
  };
}

const refusedCase: GpuCase = {
  name: 'fake_quant midrise: an unsigned code range, an asymmetric op and a learned zero point are refused by name',
  async run(ctx) {
    const B = ctx.createBuffer(4 * 64);
    const g = new Graph(ctx, 'midrise-refused');
    try {
      const spec: FakeQuantSpec = { shape: [2, 32], granularity: { kind: 'group', group: 32 }, bits: 4, qmin: 0, qmax: 15, midrise: true };
      const msgs = [await expectError('midrise on [0, 15]', () => planFakeQuant(ctx, { x: B, scale: B, zero_point: B, y: B }, spec))];
      const w = g.param('w', [2, 32], new Float32Array(64));
      const c = g.param('w.scale', [2], Float32Array.of(1, 1));
      const z = g.param('w.zero_point', [2], new Float32Array(2));
      const group = { kind: 'group' as const, group: 32 };
      msgs.push(await expectError('asymmetric midrise op', () => ops.fakeQuant(w, { bits: 2, symmetric: false, granularity: group, midrise: true })));
      msgs.push(await expectError('midrise with a learned zero point', () => ops.fakeQuantLearnable(w, c, z, { bits: 2, symmetric: true, granularity: group, learnZeroPoint: true, midrise: true })));
      const want = [/midrise.*signed code range.*\[0, 15\]/, /w: the midrise grid is symmetric/, /midrise grid has no zero point to learn/];
      msgs.forEach((m, i) => assert(want[i].test(m), `message ${i} '${m}' does not match ${want[i]}`));
      return msgs.join(' | ');
    } finally {
      g.destroy();
      B.destroy();
    }
  },
};

export const CASES: GpuCase[] = [forwardCase, learnableCase(2, 'serial'), learnableCase(3, 'workgroup'), learnableCase(4, 'serial'), refusedCase];
