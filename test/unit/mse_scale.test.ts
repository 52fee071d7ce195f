// mseGroupScales (src/quant/mse_scale.ts), LSQ's 'mse' start: each group's scale is the grid point with the least
// squared error, checked against an independent f64 evaluation of every grid point; it never loses to the
// torchao rule's scale (a grid point, 1.00x) and clips the largest values where that pays (2 bits, Gaussian data).
import { describe, expect, it } from 'vitest';
import { groupQuantError, MSE_GRID, mseGroupScales } from '../../src/quant/mse_scale.js';
import { initLsqScales, prepareLinears } from '../../src/train/qat_plan.js';

function gaussian(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) * 0.05);
}

/** Squared error in f64 with plain rounding (ties do not occur on this data): independent of the module's arithmetic. */
function err64(g: Float32Array, s: number, qmin: number, qmax: number): number {
  let e = 0;
  for (const v of g) e += (Math.min(qmax, Math.max(qmin, Math.round(v / s))) * s - v) ** 2;
  return e;
}

describe('mseGroupScales', () => {
  for (const bits of [2, 3, 4, 8]) {
    it(`picks the least-error grid scale per group at ${bits} bits`, () => {
      const qmin = -(2 ** (bits - 1));
      const qmax = 2 ** (bits - 1) - 1;
      const group = 32;
      const w = gaussian(group * 24, bits);
      const s = mseGroupScales(w, group, qmin, qmax);
      expect(s.length).toBe(24);
      for (let c = 0; c < s.length; c++) {
        const g = w.subarray(c * group, (c + 1) * group);
        const rule = Math.fround(g.reduce((a, v) => Math.max(a, Math.abs(v)), 0) / ((qmax - qmin) / 2));
        const grid = Array.from({ length: MSE_GRID.to - MSE_GRID.from + 1 }, (_, i) => Math.fround((rule * (MSE_GRID.from + i)) / 100));
        expect(grid).toContain(s[c]);
        const best = Math.min(...grid.map((x) => err64(g, x, qmin, qmax)));
        expect(err64(g, s[c], qmin, qmax)).toBeLessThanOrEqual(best * (1 + 1e-9));
        expect(groupQuantError(g, s[c], qmin, qmax)).toBeLessThanOrEqual(groupQuantError(g, rule, qmin, qmax));
      }
      if (bits === 2) {
        // At 2 bits the rule's scale (max / 1.5) wastes a code; the search gains at least a quarter of its error.
        let eRule = 0;
        let eMse = 0;
        for (let c = 0; c < s.length; c++) {
          const g = w.subarray(c * group, (c + 1) * group);
          eRule += err64(g, Math.fround(g.reduce((a, v) => Math.max(a, Math.abs(v)), 0) / 1.5), qmin, qmax);
          eMse += err64(g, s[c], qmin, qmax);
        }
        expect(eMse).toBeLessThan(0.75 * eRule);
      }
    });
  }

  for (const bits of [2, 3]) {
    it(`midrise: picks the least-error grid scale of the midrise grid at ${bits} bits, below the mid-tread grid's error at 2 bits`, () => {
      const qmin = -(2 ** (bits - 1));
      const qmax = 2 ** (bits - 1) - 1;
      const w = gaussian(32 * 24, 10 + bits);
      const s = mseGroupScales(w, 32, qmin, qmax, 'w', true);
      const tread = mseGroupScales(w, 32, qmin, qmax, 'w');
      // f64 error of the midrise grid: levels (clamp(floor(v / s)) + 0.5) s (no value sits on a multiple of s here).
      const mid64 = (g: Float32Array, x: number) => g.reduce((e, v) => e + ((Math.min(qmax, Math.max(qmin, Math.floor(v / x))) + 0.5) * x - v) ** 2, 0);
      let eMid = 0;
      let eTread = 0;
      for (let c = 0; c < 24; c++) {
        const g = w.subarray(c * 32, (c + 1) * 32);
        const rule = Math.fround(g.reduce((a, v) => Math.max(a, Math.abs(v)), 0) / ((qmax - qmin) / 2));
        const grid = Array.from({ length: MSE_GRID.to - MSE_GRID.from + 1 }, (_, i) => Math.fround((rule * (MSE_GRID.from + i)) / 100));
        expect(grid).toContain(s[c]);
        expect(mid64(g, s[c])).toBeLessThanOrEqual(Math.min(...grid.map((x) => mid64(g, x))) * (1 + 1e-9));
        eMid += mid64(g, s[c]);
        eTread += err64(g, tread[c], qmin, qmax);
      }
      // Four levels on both sides of zero against three usable ones (-2 s rarely pays): about 0.12 against 0.19 of
      // the variance for Gaussian data at their best scales.
      if (bits === 2) expect(eMid).toBeLessThan(0.8 * eTread);
    });
  }

  it('gives a group of zeros the floor scale and refuses bad input by name', () => {
    const w = new Float32Array(64);
    w.set(gaussian(32, 9), 32);
    const s = mseGroupScales(w, 32, -8, 7);
    expect(s[0]).toBe(2 ** -23);
    expect(s[1]).toBeGreaterThan(0);
    expect(() => mseGroupScales(w, 48, -8, 7, 'blk.0.attn_q.weight')).toThrow(/blk\.0\.attn_q\.weight: group 48 does not divide its 64 values/);
    expect(() => mseGroupScales(w, 32, 0, 15, 'x')).toThrow(/\[qmin, qmax\] = \[0, 15\] is not a symmetric signed code range/);
    const bad = w.slice();
    bad[40] = NaN;
    expect(() => mseGroupScales(bad, 32, -8, 7, 'x')).toThrow(/x\[40\] = NaN is not finite/);
  });

  it("is what initLsqScales gives the layers with lsqInit 'mse'", () => {
    const linears = [{ name: 'a.weight', N: 4, K: 64 }, { name: 'b.weight', N: 2, K: 64 }];
    const weights = { 'a.weight': gaussian(256, 1), 'b.weight': gaussian(128, 2) };
    const plan = prepareLinears(linears, { bits: 3, method: 'lsq', lsqInit: 'mse', layers: [{ pattern: 'b.weight', lsqInit: 'rule' }] });
    const s = initLsqScales(plan, linears, weights);
    expect(Array.from(s['a.weight'])).toEqual(Array.from(mseGroupScales(weights['a.weight'], 32, -4, 3)));
    expect(s['b.weight'][0]).toBe(Math.fround(weights['b.weight'].subarray(0, 32).reduce((a, v) => Math.max(a, Math.abs(v)), 0) / 3.5));
    expect(() => initLsqScales(plan, linears, { 'a.weight': weights['a.weight'] })).toThrow(/weight 'b\.weight' is missing/);
  });
});
