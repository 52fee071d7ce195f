// The fake-quant CPU reference on its own: known answers, bad input, and every backward rule against f64 finite
// differences (the STE surrogate for LSQ, the clip for PACT), away from rounding ties.
import { describe, expect, it } from 'vitest';
import {
  checkQParams, checkQRange, fakeQuantBackwardRef, fakeQuantForwardRef, fakeQuantLayout, lsqGradFactor, lsqSurrogateLoss,
  pactBackwardRef, pactClipLoss, pactForwardRef, qparamsRef, qRange, roundHalfEven, type FakeQuantLayout,
} from '../../src/ref/fake_quant.js';
import { randomF32, rng } from '../../src/ref/random.js';

/** Random x whose x * inv_s lies at least `gap` from every rounding tie (so FD steps never cross one). */
function awayFromTies(L: FakeQuantLayout, scale: ArrayLike<number>, seed: number, lo: number, hi: number, gap = 0.02): Float32Array {
  const r = rng(seed);
  const x = new Float32Array(L.numel);
  for (let i = 0; i < L.numel; i++) {
    const s = Math.fround(scale[Math.floor(i / L.inner) % L.channels]);
    for (;;) {
      const v = Math.fround(lo + (hi - lo) * r());
      const u = v * Math.fround(1 / s);
      if (Math.abs(u - Math.floor(u) - 0.5) > gap) {
        x[i] = v;
        break;
      }
    }
  }
  return x;
}

function central(f: (h: number) => number, h: number): number {
  return (f(h) - f(-h)) / (2 * h);
}

describe('fake-quant reference', () => {
  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2, -3, 3]);
  });

  it('gives PyTorch codes on hand-worked values (ties to even, clamping, zero point)', () => {
    const L = fakeQuantLayout([6], { kind: 'tensor' });
    // s = 0.25, z = 1, [qmin, qmax] = [0, 7]: x/s = 0.5 -> 0 (+1), 1.5 -> 2 (+1), -1 -> -1 (+1 = 0), 10 -> 40 (clamped 7), -3 -> -12 (clamped 0)
    const r = fakeQuantForwardRef([0.125, 0.375, -0.25, 10, -3, 0.3], [0.25], [1], L, 0, 7);
    expect(Array.from(r.codes)).toEqual([1, 3, 0, 7, 0, 2]);
    expect(Array.from(r.y)).toEqual([0, 0.5, -0.25, 1.5, -0.25, 0.25]);
    expect(Array.from(r.mask)).toEqual([1, 1, 1, 0, 0, 1]);
  });

  it('computes torchao per-token asymmetric qparams (row [-1, 0, 2] -> s = 3/255, z = -43)', () => {
    const L = fakeQuantLayout([2, 3], { kind: 'token' });
    const r = qparamsRef([-1, 0, 2, 0, 0, 0], L, -128, 127, 'asymmetric');
    expect(r.scale[0]).toBe(Math.fround(3 / 255));
    expect(r.zeroPoint[0]).toBe(-43);
    expect(r.scale[1]).toBe(2 ** -23); // all zero: eps
    const sym = qparamsRef([-1, 0, 2, 0.5, 0, 0], L, -8, 7, 'symmetric');
    expect(Array.from(sym.scale)).toEqual([Math.fround(2 / 7.5), Math.fround(0.5 / 7.5)]);
    expect(Array.from(sym.zeroPoint)).toEqual([0, 0]);
    const lsq = qparamsRef([-1, 0, 2, 0.5, 0, 0], L, -8, 7, 'lsq');
    expect(lsq.lsqExact[0]).toBeCloseTo((2 * 1) / Math.sqrt(7), 12);
  });

  it('lays out every granularity and refuses bad input with a clear message', () => {
    expect(fakeQuantLayout([4, 6], { kind: 'tensor' })).toEqual({ numel: 24, outer: 1, channels: 1, inner: 24 });
    expect(fakeQuantLayout([2, 3, 4], { kind: 'channel', axis: 1 })).toEqual({ numel: 24, outer: 2, channels: 3, inner: 4 });
    expect(fakeQuantLayout([2, 3, 4], { kind: 'channel', axis: -1 })).toEqual({ numel: 24, outer: 6, channels: 4, inner: 1 });
    expect(fakeQuantLayout([4, 64], { kind: 'group', group: 32 })).toEqual({ numel: 256, outer: 1, channels: 8, inner: 32 });
    expect(fakeQuantLayout([5, 7], { kind: 'token' })).toEqual({ numel: 35, outer: 1, channels: 5, inner: 7 });
    expect(() => fakeQuantLayout([4, 60], { kind: 'group', group: 32 })).toThrow(/group=32 does not divide K=60/);
    expect(() => fakeQuantLayout([4, 6], { kind: 'channel', axis: 2 })).toThrow(/axis=2 is out of range/);
    expect(() => qRange(9, true)).toThrow(/bits=9 is not an integer in 2\.\.8/);
    expect(() => qRange(1, false)).toThrow(/bits=1/);
    expect(() => checkQRange(4, -8, 8)).toThrow(/17 codes, more than 2\^4/);
    expect(qRange(4, true)).toEqual({ qmin: -8, qmax: 7 });
    expect(qRange(3, false)).toEqual({ qmin: 0, qmax: 7 });
    const L = fakeQuantLayout([2, 4], { kind: 'channel', axis: 0 });
    expect(() => checkQParams(L, [1, 0], [0, 0], -8, 7)).toThrow(/scale\[1\] = 0 is not a positive finite/);
    expect(() => checkQParams(L, [NaN, 1], [0, 0], -8, 7)).toThrow(/scale\[0\] = NaN/);
    expect(() => checkQParams(L, [1, 1], [0, 8], -8, 7)).toThrow(/zero_point\[1\] = 8 is outside \[qmin, qmax\] = \[-8, 7\]/);
    expect(() => checkQParams(L, [1], [0], -8, 7)).toThrow(/scale has 1 elements, this granularity needs 2/);
  });

  for (const [name, shape, gran, qmin, qmax] of [
    ['per channel axis 1, asymmetric 4-bit', [3, 4, 5], { kind: 'channel', axis: 1 }, 0, 15],
    ['per group 8, symmetric 3-bit', [3, 16], { kind: 'group', group: 8 }, -4, 3],
    ['per tensor, 8-bit', [40], { kind: 'tensor' }, -128, 127],
  ] as const) {
    it(`LSQ/LSQ+ gradients equal f64 finite differences of the STE surrogate: ${name}`, () => {
      const L = fakeQuantLayout(shape, gran);
      const scale = Array.from(randomF32(L.channels, 11, 0.05, 0.2));
      const zero = Array.from({ length: L.channels }, (_, c) => (qmin < 0 ? 0 : Math.round((qmin + qmax) / 2) + (c % 3) - 1) + 0.3);
      // A range wide enough that some elements clip on both sides.
      const span = 1.3 * (qmax - qmin) * 0.2;
      const x = awayFromTies(L, scale, 12, -span, span);
      const dy = randomF32(L.numel, 13);
      const g = lsqGradFactor(L.numel / L.channels, qmax);
      const r = fakeQuantBackwardRef(x, dy, scale, zero, L, qmin, qmax, g);
      const fq = fakeQuantForwardRef(x, scale, zero, L, qmin, qmax);
      expect(fq.mask.some((m) => m === 0)).toBe(true);
      expect(fq.mask.some((m) => m === 1)).toBe(true);
      const at = (ds: number[], dz: number[], dx?: (i: number) => number) =>
        lsqSurrogateLoss(x, dy, scale, zero, { x: Array.from(x, (v, i) => v + (dx?.(i) ?? 0)), scale: scale.map((s, c) => s + ds[c]), zero: zero.map((z, c) => z + dz[c]) }, L, qmin, qmax);
      const zeros = new Array(L.channels).fill(0);
      for (let c = 0; c < L.channels; c++) {
        const fs = g * central((h) => at(zeros.map((_, k) => (k === c ? h : 0)), zeros), 1e-6);
        const fz = g * central((h) => at(zeros, zeros.map((_, k) => (k === c ? h : 0))), 1e-4);
        expect(Math.abs(r.gradScale[c] - fs)).toBeLessThan(1e-6 * (r.absScale[c] + 1e-3));
        expect(Math.abs(r.gradZeroPoint[c] - fz)).toBeLessThan(1e-6 * (r.absZeroPoint[c] + 1e-3));
      }
      // grad_x: the derivative in each x_i (the STE mask).
      for (let i = 0; i < L.numel; i += 7) {
        const fx = central((h) => at(zeros, zeros, (k) => (k === i ? h : 0)), 1e-4);
        expect(Math.abs(r.gradX[i] - fx)).toBeLessThan(1e-6);
        expect(r.gradX[i] === 0).toBe(fq.mask[i] === 0);
      }
    });
  }

  for (const [bits, qmin, qmax] of [[2, -2, 1], [3, -4, 3]] as const) {
    it(`midrise LSQ gradients equal f64 finite differences of the STE surrogate, which equals the forward: ${bits}-bit per group 8`, () => {
      const L = fakeQuantLayout([3, 16], { kind: 'group', group: 8 });
      const scale = Array.from(randomF32(L.channels, 31, 0.05, 0.2));
      const zero = new Array(L.channels).fill(0);
      // x / s away from the integers (the midrise grid's ties), over a range that clips on both sides.
      const u = randomF32(L.numel, 32);
      const k = randomF32(L.numel, 33, qmin - 2, qmax + 2);
      const x = Float32Array.from(u, (v, i) => (Math.floor(k[i]) + 0.1 + 0.8 * Math.abs(v)) * scale[Math.floor(i / 8)]);
      const dy = randomF32(L.numel, 34);
      const g = lsqGradFactor(8, qmax);
      const r = fakeQuantBackwardRef(x, dy, scale, zero, L, qmin, qmax, g, true);
      const fq = fakeQuantForwardRef(x, scale, zero, L, qmin, qmax, true);
      expect(fq.mask.some((m) => m === 0) && fq.mask.some((m) => m === 1)).toBe(true);
      expect(r.gradZeroPoint.every((v) => v === 0)).toBe(true);
      const at = (ds: number[], dx?: (i: number) => number) =>
        lsqSurrogateLoss(x, dy, scale, zero, { x: Array.from(x, (v, i) => v + (dx?.(i) ?? 0)), scale: scale.map((s, c) => s + ds[c]), zero }, L, qmin, qmax, true);
      // At the expansion point the surrogate is the midrise forward: sum dy * y.
      expect(Math.abs(at(zero) - fq.y.reduce((a, y, i) => a + dy[i] * y, 0))).toBeLessThan(1e-5);
      for (let c = 0; c < L.channels; c++) {
        const fs = g * central((h) => at(zero.map((_, j) => (j === c ? h : 0))), 1e-6);
        expect(Math.abs(r.gradScale[c] - fs)).toBeLessThan(1e-6 * (r.absScale[c] + 1e-3));
      }
      for (let i = 0; i < L.numel; i += 5) {
        const fx = central((h) => at(zero, (j) => (j === i ? h : 0)), 1e-4);
        expect(Math.abs(r.gradX[i] - fx)).toBeLessThan(1e-6);
      }
      // The grid: levels +-0.5 s, +-1.5 s, ... (no zero level), codes in [qmin, qmax].
      fq.y.forEach((y, i) => expect(y).toBe(Math.fround((fq.codes[i] + 0.5) * Math.fround(scale[Math.floor(i / 8)]))));
      expect(Math.min(...fq.codes)).toBe(qmin);
      expect(Math.max(...fq.codes)).toBe(qmax);
    });
  }

  it('PACT: grad_alpha equals f64 finite differences of sum dy * clamp(x, 0, alpha); grad_x is the clip mask', () => {
    const L = fakeQuantLayout([4, 10], { kind: 'channel', axis: 0 });
    const alpha = [0.5, 1, 1.5, 2];
    const x = randomF32(L.numel, 21, -1, 2.5);
    const dy = randomF32(L.numel, 22);
    const r = pactBackwardRef(x, dy, alpha, L);
    for (let c = 0; c < 4; c++) {
      const fd = central((h) => pactClipLoss(x, dy, alpha.map((a, k) => (k === c ? a + h : a)), L), 1e-7);
      expect(Math.abs(r.gradAlpha[c] - fd)).toBeLessThan(1e-7);
    }
    for (let i = 0; i < L.numel; i++) {
      const fd = central((h) => pactClipLoss(Array.from(x, (v, k) => (k === i ? v + h : v)), dy, alpha, L), 1e-7);
      expect(Math.abs(r.gradX[i] - fd)).toBeLessThan(1e-6);
    }
    // Forward: codes in [0, 2^b - 1], negative x -> 0, x >= alpha -> alpha.
    const f = pactForwardRef([-0.3, 0.2, 0.5, 0.9], [0.5], fakeQuantLayout([4], { kind: 'tensor' }), 15);
    expect(Array.from(f.codes)).toEqual([0, 6, 15, 15]);
    expect(f.y[3]).toBe(Math.fround(15 * Math.fround(0.5 / 15)));
  });
});
