import { describe, expect, it } from 'vitest';
import { constantLr, warmupCosine, warmupLinear } from '../../src/train/schedule.js';

describe('learning-rate schedules', () => {
  it('warmup + cosine: linear ramp to lr, half cosine to minLr, flat afterwards', () => {
    const f = warmupCosine({ lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
    expect([0, 1, 2, 3].map(f)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(f(4)).toBe(1);
    expect(f(9)).toBeCloseTo(0.1 + 0.9 * 0.5, 15); // halfway
    expect(f(14)).toBeCloseTo(0.1, 15);
    expect(f(1000)).toBeCloseTo(0.1, 15);
    for (let s = 4; s < 14; s++) expect(f(s + 1)).toBeLessThan(f(s));
    const g = warmupCosine({ lr: 0.5, warmupSteps: 0, totalSteps: 2 });
    expect([g(0), g(1), g(2)].map((v) => +v.toFixed(12))).toEqual([0.5, 0.25, 0]);
  });
  it('warmup + linear and constant', () => {
    const f = warmupLinear({ lr: 2, warmupSteps: 2, totalSteps: 6 });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(f)).toEqual([1, 2, 2, 1.5, 1, 0.5, 0, 0]);
    expect(constantLr(0.3)(17)).toBe(0.3);
  });
  it('refuses bad arguments', () => {
    expect(() => warmupCosine({ lr: 1, warmupSteps: 5, totalSteps: 5 })).toThrow(/totalSteps=5 must be an integer > warmupSteps=5/);
    expect(() => warmupCosine({ lr: 1, warmupSteps: 0, totalSteps: 5, minLr: 2 })).toThrow(/minLr=2 must be in \[0, lr=1\]/);
    expect(() => warmupCosine({ lr: NaN, warmupSteps: 0, totalSteps: 5 })).toThrow(/lr=NaN/);
    expect(() => warmupCosine({ lr: 1, warmupSteps: 0, totalSteps: 5 })(-1)).toThrow(/step=-1 must be an integer >= 0/);
    expect(() => constantLr(-1)).toThrow(/lr=-1/);
  });
});
