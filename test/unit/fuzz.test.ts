// A short seeded run of `npm run fuzz` (fuzz/engine.ts) over every parser of outside bytes: any crash (an exception
// other than the parser's own error class), hang (> 1 s), allocation over the limit or broken invariant fails it.
import { describe, expect, it } from 'vitest';
import { AllocationLimit, beginAlloc, endAlloc, installAllocTracker } from '../../fuzz/alloc.js';
import { fuzzRange } from '../../fuzz/engine.js';
import { TARGETS } from '../../fuzz/targets.js';

describe('fuzz (short seeded run)', () => {
  it('the allocation tracker sees typed arrays made from lengths, .from and slices, and refuses one over the limit', () => {
    installAllocTracker();
    beginAlloc(1 << 20);
    const a = new Uint8Array(1000);
    Float32Array.from([1, 2, 3]);
    a.slice(0, 10);
    new Uint8Array(a.buffer, 0, 10); // a view: nothing allocated
    expect(() => new Float64Array(1 << 18)).toThrow(AllocationLimit);
    const s = endAlloc();
    expect(s).toEqual({ largest: 1000, total: 1000 + 12 + 10 });
    expect(a instanceof Uint8Array && Uint8Array.BYTES_PER_ELEMENT === 1).toBe(true);
  });

  it('4,000 inputs of seed 20240: no crash, hang, huge allocation or broken invariant; every parser both accepts and refuses', async () => {
    const res = await fuzzRange(20240, 0, 4000);
    const bad = res.findings.filter((f) => f.kind !== 'unplaced');
    expect(bad.map((f) => `${f.kind} in ${f.target}: ${f.message} (npm run fuzz -- --seed ${f.seed} --input ${f.input})`)).toEqual([]);
    expect(res.inputs).toBe(4000);
    for (const t of TARGETS) {
      const s = res.stats[t];
      expect(s.tried, t).toBe(500);
      expect(s.accepted, `${t} accepts some inputs`).toBeGreaterThan(0);
      expect(s.typed, `${t} refuses some inputs by name`).toBeGreaterThan(0);
    }
  }, 60_000);
});
