// Fake-quant kernels against src/ref/fake_quant.ts: forward codes and STE masks identical for every granularity
// and bits 2..8, learnable (LSQ / LSQ+ / PACT) gradients within the f32 bound, dynamic qparams exact, bad input
// refused. Runs in Node (Dawn) and Chromium.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch, runDispatches } from '../../src/kernels/common.js';
import {
  fakeQuantRun, planFakeQuant, planFakeQuantBackward, planFakeQuantPerToken, planFakeQuantBackwardLearnable, planFakeQuantQParams, planPact, planPactBackward,
  type FakeQuantGranularity, type FakeQuantSpec,
} from '../../src/kernels/fake_quant.js';
import {
  fakeQuantBackwardRef, fakeQuantForwardRef, fakeQuantLayout, lsqGradFactor, pactBackwardRef, pactForwardRef, qparamsRef, qRange, type QParamsMode,
} from '../../src/ref/fake_quant.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, check, expectError, type GpuCase } from './types.js';


interface Problem {
  x: Float32Array;
  scale: Float32Array;
  zero: Float32Array;
  spec: FakeQuantSpec;
}

/** Scales spread over a decade, integer zero points inside the range, x wide enough to clip on both sides. */
function problem(shape: number[], granularity: FakeQuantGranularity, bits: number, symmetric: boolean, seed: number): Problem {
  const { qmin, qmax } = qRange(bits, symmetric);
  const L = fakeQuantLayout(shape, granularity);
  const r = rng(seed);
  const scale = Float32Array.from({ length: L.channels }, () => 0.01 * 10 ** r());
  const zero = Float32Array.from({ length: L.channels }, () => (symmetric ? 0 : qmin + Math.floor(r() * (qmax - qmin + 1))));
  const x = new Float32Array(L.numel);
  for (let i = 0; i < L.numel; i++) {
    const c = Math.floor(i / L.inner) % L.channels;
    const m = 2 + 0.15 * (qmax - qmin);
    x[i] = (qmin - zero[c] - m + (qmax - qmin + 2 * m) * r()) * scale[c];
  }
  return { x, scale, zero, spec: { shape, granularity, bits, qmin, qmax } };
}

const GRANULARITIES: [string, number[], FakeQuantGranularity][] = [
  ['per tensor', [37], { kind: 'tensor' }],
  ['per channel axis 0', [6, 10], { kind: 'channel', axis: 0 }],
  ['per channel axis 1 of 3-D', [3, 5, 4], { kind: 'channel', axis: 1 }],
  ['per group 16 along K', [4, 64], { kind: 'group', group: 16 }],
  ['per token (given scales)', [5, 24], { kind: 'token' }],
];
const BITS = [2, 3, 4, 5, 6, 7, 8];

function forwardCase(name: string, shape: number[], g: FakeQuantGranularity): GpuCase {
  return {
    name: `fake_quant forward codes, bits 2..8 sym+asym: ${name}`,
    async run(ctx) {
      const msgs: string[] = [];
      for (const bits of BITS) {
        for (const symmetric of [true, false]) {
          const p = problem(shape, g, bits, symmetric, 100 * bits + (symmetric ? 1 : 0));
          // Both kernel shapes: one element per invocation (GPUs) and runs of 3 or 16 sharing a reciprocal (CPUs).
          p.spec.variant = { elems: [1, 3, 16][(bits + (symmetric ? 1 : 0)) % 3] };
          const ref = fakeQuantForwardRef(p.x, p.scale, p.zero, fakeQuantLayout(shape, g), p.spec.qmin, p.spec.qmax);
          const X = ctx.createBuffer(p.x);
          const S = ctx.createBuffer(p.scale);
          const Z = ctx.createBuffer(p.zero);
          const Y = ctx.createBuffer(4 * p.x.length);
          const C = ctx.createBuffer(4 * p.x.length);
          const GY = ctx.createBuffer(randomF32(p.x.length, bits));
          const GX = ctx.createBuffer(4 * p.x.length);
          await runDispatches(ctx, [
            await planFakeQuant(ctx, { x: X, scale: S, zero_point: Z, y: Y, codes: C }, p.spec),
            await planFakeQuantBackward(ctx, { x: X, grad_y: GY, scale: S, zero_point: Z, grad_x: GX }, p.spec),
          ]);
          const tag = `${bits}-bit ${symmetric ? 'sym' : 'asym'}`;
          check(compareExact(`${tag} codes`, await ctx.readI32(C, p.x.length), ref.codes));
          check(compareExact(`${tag} y`, await ctx.readF32(Y, p.x.length), ref.y));
          const dy = randomF32(p.x.length, bits);
          check(compareExact(`${tag} STE grad_x`, await ctx.readF32(GX, p.x.length), dy.map((v, i) => (ref.mask[i] ? v : 0))));
          const clipped = ref.mask.reduce((a, m) => a + (1 - m), 0);
          assert(clipped > 0 && clipped < p.x.length, `${tag}: test data should clip some but not all elements (clipped ${clipped})`);
          msgs.push(`${bits}${symmetric ? 's' : 'a'}:${clipped}`);
          [X, S, Z, Y, C, GY, GX].forEach((b) => b.destroy());
        }
      }
      return `codes, y and STE grad_x identical for 14 schemes (elems 1/3/16); clipped counts ${msgs.join(' ')}`;
    },
  };
}

/** x exactly on rounding ties (k + 1/2) * s with power-of-two and awkward scales: tests half-to-even and inv_s. */
const tiesCase: GpuCase = {
  name: 'fake_quant forward: exact ties and hard reciprocals (256 channels, scales 2^-20..2^20)',
  async run(ctx) {
    const C = 256;
    const K = 16;
    const r = rng(7);
    const scale = Float32Array.from({ length: C }, (_, c) => (c < 16 ? 2 ** (c - 8) : 2 ** (40 * r() - 20) * (1 + r())));
    const zero = Float32Array.from({ length: C }, (_, c) => (c % 5) - 2);
    const x = new Float32Array(C * K);
    for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) x[c * K + k] = (k - 8 + 0.5) * scale[c];
    const spec: FakeQuantSpec = { shape: [C, K], granularity: { kind: 'channel', axis: 0 }, bits: 4, qmin: -8, qmax: 7 };
    const ref = fakeQuantForwardRef(x, scale, zero, fakeQuantLayout(spec.shape, spec.granularity), -8, 7);
    const bufs = [x, scale, zero].map((a) => ctx.createBuffer(a));
    const Y = ctx.createBuffer(4 * x.length);
    const Cd = ctx.createBuffer(4 * x.length);
    await runDispatch(await planFakeQuant(ctx, { x: bufs[0], scale: bufs[1], zero_point: bufs[2], y: Y, codes: Cd }, spec));
    const m = check(compareExact('codes', await ctx.readI32(Cd, x.length), ref.codes));
    check(compareExact('y', await ctx.readF32(Y, x.length), ref.y));
    [...bufs, Y, Cd].forEach((b) => b.destroy());
    return m;
  },
};

function learnableCase(name: string, shape: number[], g: FakeQuantGranularity, bits: number, symmetric: boolean, reduce: 'serial' | 'workgroup'): GpuCase {
  return {
    name: `fake_quant LSQ backward (grad_x, grad_scale, grad_zero_point): ${name}, ${bits}-bit ${symmetric ? 'sym' : 'asym'}, ${reduce}`,
    async run(ctx) {
      const p = problem(shape, g, bits, symmetric, 31 + bits);
      p.spec.variant = { reduce };
      const L = fakeQuantLayout(shape, g);
      // Learnable zero points are real-valued: the kernels round and clamp them, as PyTorch.
      const zero = p.zero.map((z, c) => (symmetric ? z : Math.min(p.spec.qmax, Math.max(p.spec.qmin, z + (c % 2 ? 0.3 : -0.4)))));
      const dy = randomF32(L.numel, 77);
      const gradFactor = lsqGradFactor(L.numel / L.channels, p.spec.qmax);
      const ref = fakeQuantBackwardRef(p.x, dy, p.scale, zero, L, p.spec.qmin, p.spec.qmax, gradFactor);
      const [X, GY, S, Z] = [p.x, dy, p.scale, zero].map((a) => ctx.createBuffer(a));
      const GX = ctx.createBuffer(4 * L.numel);
      const GS = ctx.createBuffer(4 * L.channels);
      const GZ = ctx.createBuffer(4 * L.channels);
      await runDispatch(await planFakeQuantBackwardLearnable(ctx, { x: X, grad_y: GY, scale: S, zero_point: Z, grad_x: GX, grad_scale: GS, grad_zero_point: GZ }, { ...p.spec, gradFactor }));
      check(compareExact('grad_x', await ctx.readF32(GX, L.numel), ref.gradX));
      const K = ref.perScale + 4;
      const a = check(compareBound('grad_scale', await ctx.readF32(GS, L.channels), ref.gradScale, ref.absScale, K));
      const b = check(compareBound('grad_zero_point', await ctx.readF32(GZ, L.channels), ref.gradZeroPoint, ref.absZeroPoint, K));
      [X, GY, S, Z, GX, GS, GZ].forEach((x) => x.destroy());
      return `${a}; ${b}`;
    },
  };
}

const pactCase = (reduce: 'serial' | 'workgroup'): GpuCase => ({
  name: `fake_quant PACT forward codes and backward (grad_x, grad_alpha), per channel, bits 2..8, ${reduce}`,
  async run(ctx) {
    const shape = [4, 33];
    const g: FakeQuantGranularity = { kind: 'channel', axis: 0 };
    const L = fakeQuantLayout(shape, g);
    const alpha = new Float32Array([0.5, 1, 1.7, 3]);
    const x = randomF32(L.numel, 5, -1, 3.5);
    const dy = randomF32(L.numel, 6);
    const [X, A, GY] = [x, alpha, dy].map((a) => ctx.createBuffer(a));
    const Y = ctx.createBuffer(4 * L.numel);
    const C = ctx.createBuffer(4 * L.numel);
    const GX = ctx.createBuffer(4 * L.numel);
    const GA = ctx.createBuffer(4 * 4);
    const msgs: string[] = [];
    for (const bits of BITS) {
      const spec = { shape, granularity: g, bits, variant: { reduce, elems: bits % 2 ? 1 : 4 } };
      await runDispatches(ctx, [
        await planPact(ctx, { x: X, alpha: A, y: Y, codes: C }, spec),
        await planPactBackward(ctx, { x: X, grad_y: GY, alpha: A, grad_x: GX, grad_alpha: GA }, spec),
      ]);
      const ref = pactForwardRef(x, alpha, L, 2 ** bits - 1);
      check(compareExact(`${bits}-bit codes`, await ctx.readI32(C, L.numel), ref.codes));
      check(compareExact(`${bits}-bit y`, await ctx.readF32(Y, L.numel), ref.y));
    }
    const bref = pactBackwardRef(x, dy, alpha, L);
    check(compareExact('grad_x', await ctx.readF32(GX, L.numel), bref.gradX));
    msgs.push(check(compareBound('grad_alpha', await ctx.readF32(GA, 4), bref.gradAlpha, bref.absAlpha, L.numel / 4)));
    [X, A, GY, Y, C, GX, GA].forEach((b) => b.destroy());
    return msgs.join('; ');
  },
});

function qparamsCase(mode: QParamsMode, shape: number[], g: FakeQuantGranularity, bits: number, symmetric: boolean, reduce: 'serial' | 'workgroup'): GpuCase {
  return {
    name: `fake_quant_qparams ${mode} ${shape.join('x')} ${g.kind}, ${bits}-bit, ${reduce}${mode === 'asymmetric' ? ' + dynamic forward' : ''}`,
    async run(ctx) {
      const { qmin, qmax } = qRange(bits, symmetric);
      const L = fakeQuantLayout(shape, g);
      const x = randomF32(L.numel, 9, -2, 3);
      // A row of zeros (eps scale) and an all-positive row (min clamps to 0).
      if (g.kind === 'token') {
        x.fill(0, 0, L.inner);
        for (let i = L.inner; i < 2 * L.inner; i++) x[i] = Math.abs(x[i]);
      }
      const ref = qparamsRef(x, L, qmin, qmax, mode);
      const X = ctx.createBuffer(x);
      const S = ctx.createBuffer(4 * L.channels);
      const Z = ctx.createBuffer(4 * L.channels);
      const Y = ctx.createBuffer(4 * L.numel);
      const C = ctx.createBuffer(4 * L.numel);
      const spec: FakeQuantSpec = { shape, granularity: g, bits, qmin, qmax, variant: { reduce } };
      const ds =
        mode === 'asymmetric' && g.kind === 'token'
          ? await planFakeQuantPerToken(ctx, { x: X, scale: S, zero_point: Z, y: Y, codes: C }, { shape, bits, variant: { reduce } })
          : [await planFakeQuantQParams(ctx, { x: X, scale: S, zero_point: Z }, { ...spec, mode })];
      if (mode === 'asymmetric' && g.kind !== 'token') ds.push(await planFakeQuant(ctx, { x: X, scale: S, zero_point: Z, y: Y, codes: C }, spec));
      await runDispatches(ctx, ds);
      const s = await ctx.readF32(S, L.channels);
      let msg: string;
      if (mode === 'lsq') {
        const abs = Float64Array.from(ref.lsqExact, Math.abs);
        msg = check(compareBound('lsq scale', s, ref.lsqExact, abs, L.numel / L.channels + 8));
      } else {
        msg = check(compareExact('scale', s, ref.scale));
        check(compareExact('zero_point', await ctx.readF32(Z, L.channels), ref.zeroPoint));
      }
      if (mode === 'asymmetric') {
        const fwd = fakeQuantForwardRef(x, ref.scale, ref.zeroPoint, L, qmin, qmax);
        check(compareExact('dynamic codes', await ctx.readI32(C, L.numel), fwd.codes));
        check(compareExact('dynamic y', await ctx.readF32(Y, L.numel), fwd.y));
      }
      [X, S, Z, Y, C].forEach((b) => b.destroy());
      return msg;
    },
  };
}

const runCase: GpuCase = {
  name: 'fakeQuantRun (kernel runner entry): per group forward + learnable backward on typed arrays',
  async run(ctx) {
    const p = problem([3, 32], { kind: 'group', group: 8 }, 4, false, 5);
    const L = fakeQuantLayout(p.spec.shape, p.spec.granularity);
    const dy = randomF32(L.numel, 8);
    const r = await fakeQuantRun(
      ctx,
      { x: { data: p.x, shape: [3, 32] }, scale: { data: p.scale, shape: [3, 4] }, zero_point: { data: p.zero, shape: [3, 4] }, grad_y: { data: dy, shape: [3, 32] } },
      { bits: 4, group: 8, qmin: 0, qmax: 15 },
    );
    const f = fakeQuantForwardRef(p.x, p.scale, p.zero, L, 0, 15);
    const b = fakeQuantBackwardRef(p.x, dy, p.scale, p.zero, L, 0, 15);
    check(compareExact('y', r.y.data, f.y));
    check(compareExact('grad_x', r.grad_x!.data, b.gradX));
    assert(r.grad_scale!.shape.join() === '3,4', `grad_scale shape ${r.grad_scale!.shape}`);
    check(compareBound('grad_zero_point', r.grad_zero_point!.data, b.gradZeroPoint, b.absZeroPoint, 12));
    return check(compareBound('grad_scale', r.grad_scale!.data, b.gradScale, b.absScale, 12));
  },
};

const errorsCase: GpuCase = {
  name: 'error: fake_quant refuses bad bits, group, scale, zero point and shapes with a clear message',
  async run(ctx: GpuContext) {
    const x = { data: new Float32Array(8), shape: [2, 4] };
    const s1 = { data: new Float32Array([0.1]), shape: [1] };
    const z1 = { data: new Float32Array([0]), shape: [1] };
    const msgs = [
      await expectError('bits 9', () => fakeQuantRun(ctx, { x, scale: s1, zero_point: z1 }, { bits: 9 })),
      await expectError('bits 1', () => fakeQuantRun(ctx, { x, scale: s1, zero_point: z1 }, { bits: 1 })),
      await expectError('group', () => fakeQuantRun(ctx, { x, scale: { data: new Float32Array(2), shape: [2, 1] }, zero_point: z1 }, { bits: 4, group: 3 })),
      await expectError('scale 0', () => fakeQuantRun(ctx, { x, scale: { data: new Float32Array([0]), shape: [1] }, zero_point: z1 }, { bits: 4 })),
      await expectError('scale NaN', () => fakeQuantRun(ctx, { x, scale: { data: new Float32Array([NaN]), shape: [1] }, zero_point: z1 }, { bits: 4 })),
      await expectError('zero point', () => fakeQuantRun(ctx, { x, scale: s1, zero_point: { data: new Float32Array([16]), shape: [1] } }, { bits: 4 })),
      await expectError('scale shape', () => fakeQuantRun(ctx, { x, scale: s1, zero_point: z1 }, { bits: 4, axis: 1 })),
      await expectError('range', () => fakeQuantRun(ctx, { x, scale: s1, zero_point: z1 }, { bits: 4, qmin: -8, qmax: 8 })),
      await expectError('plan group', () => planFakeQuant(ctx, { x: ctx.createBuffer(32), scale: ctx.createBuffer(4), zero_point: ctx.createBuffer(4), y: ctx.createBuffer(32) }, { shape: [2, 4], granularity: { kind: 'group', group: 3 }, bits: 4, qmin: 0, qmax: 15 })),
    ];
    const want = [
      /bits=9 is not an integer in 2\.\.8/,
      /bits=1 is not an integer in 2\.\.8/,
      /group=3 does not divide K=4/,
      /scale\[0\] = 0 is not a positive finite f32/,
      /scale\[0\] = NaN is not a positive finite f32/,
      /zero_point\[0\] = 16 is outside \[qmin, qmax\] = \[0, 15\]/,
      /scale has shape \[1\], expected \[4\]/,
      /17 codes, more than 2\^4/,
      /^fake_quant: group=3 does not divide K=4/,
    ];
    msgs.forEach((m, i) => assert(want[i].test(m), `message ${i} '${m}' does not match ${want[i]}`));
    return msgs.join(' | ');
  },
};

export const CASES: GpuCase[] = [
  ...GRANULARITIES.map(([n, s, g]) => forwardCase(n, s, g)),
  tiesCase,
  learnableCase('per channel axis 0', [6, 40], { kind: 'channel', axis: 0 }, 4, false, 'workgroup'),
  learnableCase('per channel axis 0', [6, 40], { kind: 'channel', axis: 0 }, 4, false, 'serial'),
  learnableCase('per channel axis 1 of 3-D', [3, 5, 8], { kind: 'channel', axis: 1 }, 3, true, 'workgroup'),
  learnableCase('per channel axis 1 of 3-D', [3, 5, 8], { kind: 'channel', axis: 1 }, 3, true, 'serial'),
  learnableCase('per group 32', [4, 64], { kind: 'group', group: 32 }, 2, false, 'workgroup'),
  learnableCase('per group 32', [4, 64], { kind: 'group', group: 32 }, 2, false, 'serial'),
  learnableCase('per tensor', [300], { kind: 'tensor' }, 8, false, 'workgroup'),
  learnableCase('per tensor', [300], { kind: 'tensor' }, 8, false, 'serial'),
  pactCase('serial'),
  pactCase('workgroup'),
  qparamsCase('asymmetric', [6, 40], { kind: 'token' }, 8, true, 'workgroup'),
  qparamsCase('asymmetric', [6, 40], { kind: 'token' }, 8, true, 'serial'),
  qparamsCase('asymmetric', [4, 64], { kind: 'group', group: 16 }, 4, false, 'serial'),
  qparamsCase('symmetric', [4, 64], { kind: 'group', group: 32 }, 4, true, 'workgroup'),
  qparamsCase('symmetric', [5, 7], { kind: 'channel', axis: 0 }, 8, true, 'serial'),
  qparamsCase('lsq', [4, 64], { kind: 'group', group: 32 }, 4, true, 'workgroup'),
  qparamsCase('lsq', [3, 40], { kind: 'channel', axis: 1 }, 4, true, 'serial'),
  runCase,
  errorsCase,
];
