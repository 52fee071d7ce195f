// The CPU sampler: options checked by name, each filter's kept set on hand-made logits (llama.cpp's rules and chain
// order), repeat penalty values, the seeded generator against known outputs, a chi-square test of the draws, greedy
// ties, and the errors bad logits get.
import { describe, expect, it } from 'vitest';
import { Sampler, SamplingError, Xoshiro128, checkSampling, type SamplingOptions } from '../../src/lm/sampling.js';
import { topKRef } from '../../src/ref/lm.js';

/** Every filter off, temperature 1, no penalty: what a test turns on is all there is. */
const OFF: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed: 1 };
const L = (...x: number[]) => Float32Array.from(x);
const kept = (o: SamplingOptions, logits: Float32Array, recent: number[] = []) =>
  new Sampler({ ...OFF, ...o }).distribution(logits, recent).ids;

describe('checkSampling', () => {
  it('fills llama.cpp defaults and keeps what it is given', () => {
    const r = checkSampling({ seed: 7 });
    expect(r).toEqual({ temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1.1, repeatLastN: 64, presencePenalty: 0, frequencyPenalty: 0, seed: 7 });
    const a = checkSampling({}).seed;
    expect(Number.isSafeInteger(a) && a >= 0).toBe(true);
    expect(checkSampling({ temperature: 0, topK: -1, topP: 1, minP: 0, repeatLastN: -1, seed: 0 }).topK).toBe(-1);
  });
  it('names the option at fault and its range', () => {
    const bad: [SamplingOptions, string][] = [
      [{ topP: 1.5 }, 'topP 1.5 not in (0, 1]'],
      [{ topP: 0 }, 'topP 0 not in (0, 1]'],
      [{ minP: -0.1 }, 'minP -0.1 not in [0, 1]'],
      [{ minP: 2 }, 'minP 2 not in [0, 1]'],
      [{ topK: 2.5 }, 'topK 2.5 not an integer'],
      [{ repeatPenalty: 0 }, 'repeatPenalty 0 not finite and > 0'],
      [{ repeatLastN: -2 }, 'repeatLastN -2 not an integer >= -1'],
      [{ presencePenalty: Infinity }, 'presencePenalty Infinity not finite'],
      [{ frequencyPenalty: NaN }, 'frequencyPenalty NaN not a number'],
      [{ seed: -1 }, 'seed -1 not an integer in [0, 2^53)'],
      [{ seed: 1.5 }, 'seed 1.5 not an integer'],
      [{ temperature: NaN }, 'temperature NaN not a number'],
      [{ temperature: Infinity }, 'temperature Infinity not finite'],
      [{ topK: '5' as unknown as number }, 'topK 5 not a number'],
    ];
    for (const [o, msg] of bad) {
      expect(() => checkSampling(o), JSON.stringify(o)).toThrow(SamplingError);
      expect(() => new Sampler(o), JSON.stringify(o)).toThrow(msg);
    }
  });
});

describe('filters (kept sets on hand-made logits)', () => {
  const ln = Math.log;
  it('top-k keeps the k largest, ties at the edge to the lower id, k past the vocabulary keeps all', () => {
    expect(kept({ topK: 3 }, L(1, 5, 3, 5, 2, 4))).toEqual([1, 3, 5]);
    expect(kept({ topK: 1 }, L(1, 5, 3, 5, 2, 4))).toEqual([1]);
    expect(kept({ topK: 2 }, L(0, 2, 2, 2))).toEqual([1, 2]);
    expect(kept({ topK: 10 }, L(0, 2, 1))).toEqual([1, 2, 0]);
    expect(kept({ topK: 0 }, L(0, 2, 1))).toEqual([1, 2, 0]);
    // An ascending vocabulary makes the selection buffer shift on every token.
    const up = Float32Array.from({ length: 1000 }, (_, i) => i / 100);
    expect(kept({ topK: 4 }, up)).toEqual([999, 998, 997, 996]);
  });
  it('with every filter off, all tokens in order: larger logit first, ties (and -0 / +0) by id', () => {
    let z = 12345;
    const next = () => ((z = (Math.imul(z, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const l = Float32Array.from({ length: 5000 }, () => {
      const r = next();
      return r < 0.05 ? -Infinity : r < 0.1 ? -0 : r < 0.15 ? 0 : Math.round((next() - 0.5) * 40) / 4; // many ties
    });
    const want = Array.from(l.keys()).sort((a, b) => (l[a]! !== l[b]! ? l[b]! - l[a]! : a - b));
    expect(kept({}, l)).toEqual(want);
    expect(kept({ topK: 5000 }, l)).toEqual(want);
    expect(kept({ topK: 100 }, l)).toEqual(want.slice(0, 100));
    // Without top-k only the min-p head is sorted; the kept set is the one the whole sorted vocabulary gives.
    for (const o of [{ topP: 0.9, minP: 0.02 }, { topP: 0.5, minP: 0.5 }, { topP: 0.999, minP: 0.001 }, { minP: 0.3 }]) {
      expect(kept(o, l), JSON.stringify(o)).toEqual(kept({ ...o, topK: l.length }, l));
      expect(kept(o, l).length).toBeGreaterThan(1);
    }
  });
  it('top-p keeps the shortest head reaching p, the crossing token included (>= p)', () => {
    const l = L(ln(0.15), ln(0.5), ln(0.05), ln(0.3)); // probabilities 0.15, 0.5, 0.05, 0.3
    expect(kept({ topP: 0.4 }, l)).toEqual([1]);
    expect(kept({ topP: 0.7 }, l)).toEqual([1, 3]);
    expect(kept({ topP: 0.85 }, l)).toEqual([1, 3, 0]);
    expect(kept({ topP: 0.96 }, l)).toEqual([1, 3, 0, 2]);
    // Four equal logits: exactly 0.25 each, so p = 0.5 is reached (not passed) by the second token.
    expect(kept({ topP: 0.5 }, L(0, 0, 0, 0))).toEqual([0, 1]);
    expect(kept({ topP: 0.25 }, L(0, 0, 0, 0))).toEqual([0]);
  });
  it('min-p is relative to the largest probability, not absolute', () => {
    const l = L(2 + ln(0.1), 2, 2 + ln(0.04), 2 + ln(0.5)); // ratios to the max: 0.1, 1, 0.04, 0.5
    expect(kept({ minP: 0.05 }, l)).toEqual([1, 3, 0]);
    expect(kept({ minP: 0.2 }, l)).toEqual([1, 3]);
    // Token 0's absolute probability is 0.1 / 1.64 = 0.061 < 0.08, yet its ratio 0.1 >= 0.08 keeps it.
    expect(kept({ minP: 0.08 }, l)).toEqual([1, 3, 0]);
    expect(kept({ minP: 1 }, L(0, 3, 3, 1))).toEqual([1, 2]);
  });
  it('chain order: top-p sees top-k renormalised; temperature comes after min-p', () => {
    const l = L(ln(0.4), ln(0.3), ln(0.2), ln(0.1));
    // After top-k 2: 0.571, 0.429; 0.571 >= 0.5 keeps one. On the full set it would keep two (0.4 < 0.5).
    expect(kept({ topK: 2, topP: 0.5 }, l)).toEqual([0]);
    expect(kept({ topP: 0.5 }, l)).toEqual([0, 1]);
    // Ratios 0.1 and 0.01 at temperature 1: min-p 0.05 keeps two at any temperature (at T = 2 they would be 0.32, 0.1).
    const m = L(0, ln(0.1), ln(0.01));
    for (const temperature of [0.5, 1, 2]) expect(kept({ minP: 0.05, temperature }, m)).toEqual([0, 1]);
    // Temperature changes the probabilities of the kept set: p ∝ exp(logit / T).
    const d = new Sampler({ ...OFF, minP: 0.05, temperature: 2 }).distribution(m, []);
    expect(d.probs[1]! / d.probs[0]!).toBeCloseTo(Math.sqrt(0.1), 6);
  });
  it('-Infinity logits (masked tokens) are never kept', () => {
    const l = L(-Infinity, 0, -Infinity, -1);
    expect(kept({ minP: 0.01 }, l)).toEqual([1, 3]);
    const s = new Sampler({ ...OFF, seed: 3 });
    for (let i = 0; i < 200; i++) expect([1, 3]).toContain(s.sample(l, []));
  });
});

describe('repeat penalty', () => {
  const d = (o: SamplingOptions, l: Float32Array, recent: number[]) => {
    const r = new Sampler({ ...OFF, ...o }).distribution(l, recent);
    const p = new Map(r.ids.map((id, i) => [id, r.probs[i]!]));
    return (a: number, b: number) => Math.log(p.get(a)! / p.get(b)!); // = penalised logit a - logit b at T = 1
  };
  it('divides positive logits, multiplies negative ones, once per distinct token in the window', () => {
    const l = L(2, -2, 0.5, 3, 1);
    const diff = d({ repeatPenalty: 2 }, l, [0, 1, 1, 0, 1]);
    expect(diff(0, 2)).toBeCloseTo(1 - 0.5, 5); // 2 / 2
    expect(diff(1, 2)).toBeCloseTo(-4 - 0.5, 5); // -2 * 2, not -2 * 2 * 2 * 2
    expect(diff(3, 2)).toBeCloseTo(3 - 0.5, 5);
    expect(diff(4, 2)).toBeCloseTo(1 - 0.5, 5);
  });
  it('looks only at the last repeatLastN of recent; 0 none, -1 all', () => {
    const l = L(2, 1, 1, 1);
    expect(d({ repeatPenalty: 2, repeatLastN: 2 }, l, [0, 1, 2])(0, 3)).toBeCloseTo(1, 5);
    expect(d({ repeatPenalty: 2, repeatLastN: 3 }, l, [0, 1, 2])(0, 3)).toBeCloseTo(0, 5);
    expect(d({ repeatPenalty: 2, repeatLastN: 0 }, l, [0, 1, 2])(0, 3)).toBeCloseTo(1, 5);
    expect(d({ repeatPenalty: 2, repeatLastN: -1 }, l, [0, ...Array(100).fill(1)])(0, 3)).toBeCloseTo(0, 5);
  });
  it('frequency and presence penalties: count * frequency + presence off each token of the window, after the repeat penalty', () => {
    const l = L(2, -2, 0.5, 3, 1);
    const recent = [4, 0, 1, 1, 0, 1]; // in the last 5: id 0 twice, id 1 three times (id 4 falls out)
    const fp = d({ frequencyPenalty: 0.5, presencePenalty: 1, repeatLastN: 5 }, l, recent);
    expect(fp(0, 2)).toBeCloseTo(2 - (2 * 0.5 + 1) - 0.5, 5);
    expect(fp(1, 2)).toBeCloseTo(-2 - (3 * 0.5 + 1) - 0.5, 5);
    expect(fp(4, 2)).toBeCloseTo(1 - 0.5, 5);
    const all = d({ repeatPenalty: 2, frequencyPenalty: 0.5, presencePenalty: 1, repeatLastN: 5 }, l, recent);
    expect(all(0, 2)).toBeCloseTo(2 / 2 - 2 - 0.5, 5);
    expect(all(1, 2)).toBeCloseTo(-2 * 2 - 2.5 - 0.5, 5);
    // A negative presence penalty raises the logits of tokens seen; with the window off, nothing changes.
    expect(d({ presencePenalty: -1, repeatLastN: 5 }, l, recent)(0, 2)).toBeCloseTo(2 + 1 - 0.5, 5);
    expect(d({ presencePenalty: 1, frequencyPenalty: 1, repeatLastN: 0 }, l, recent)(0, 2)).toBeCloseTo(2 - 0.5, 5);
    expect(new Sampler({ temperature: 0, presencePenalty: 2 }).sample(L(3, 2.5), [0])).toBe(1); // 3 - 2 < 2.5
  });
  it('changes the greedy pick both ways, and leaves the caller’s logits alone', () => {
    const g = (l: Float32Array, recent: number[]) => new Sampler({ temperature: 0, repeatPenalty: 1.5 }).sample(l, recent);
    const a = L(3, 2.5);
    expect(g(a, [])).toBe(0);
    expect(g(a, [0])).toBe(1); // 3 / 1.5 = 2 < 2.5
    expect(g(L(-1, -1.2), [0])).toBe(1); // -1 * 1.5 = -1.5 < -1.2
    expect(g(L(0, -0.1), [0])).toBe(0); // 0 * 1.5 = 0 stays the max
    expect(Array.from(a)).toEqual([3, 2.5]);
  });
});

describe('seeded draws', () => {
  it('xoshiro128** seeded by SplitMix64 gives the known outputs (an independent implementation)', () => {
    const known: [number, number[]][] = [
      [0, [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774]],
      [42, [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222]],
      [2 ** 53 - 1, [1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921]],
    ];
    for (const [seed, out] of known) {
      const r = new Xoshiro128(seed);
      expect(out.map(() => r.nextU32()), `seed ${seed}`).toEqual(out);
    }
    const u = new Xoshiro128(0).nextDouble();
    expect(u).toBe(((3737715805 >>> 5) * 2 ** 26 + (2584255861 >>> 6)) / 2 ** 53);
  });
  it('same seed, same draws; another seed, other draws', () => {
    const l = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i * 1.7) * 3);
    const run = (seed: number) => {
      const s = new Sampler({ seed, topK: 50, topP: 0.99, minP: 0 });
      const ids: number[] = [];
      for (let i = 0; i < 200; i++) ids.push(s.sample(l, ids));
      return ids;
    };
    expect(run(1234)).toEqual(run(1234));
    expect(run(1234)).not.toEqual(run(1235));
    expect(new Set(run(99)).size).toBeGreaterThan(10);
  });
});

describe('the draws follow the filtered, renormalised distribution (chi-square)', () => {
  // 10 tokens. Sorted: ids 0 4 1 6 3 7 2 9 8 5. top-k 7 drops 9, 8, 5. At T = 1 the seven have probabilities
  // 0.355 0.238 0.160 0.118 0.072 0.039 0.018, cumulative 0.355 0.593 0.753 0.871 0.943 0.982 1: top-p 0.95 is
  // reached at id 7, so id 2 goes. Ratios to the max: 1 0.670 0.449 0.333 0.202 0.111: min-p 0.15 drops id 7.
  const logits = L(2.0, 1.2, -1, 0.4, 1.6, -3, 0.9, -0.2, -2, -1.1);
  const o: SamplingOptions = { temperature: 0.7, topK: 7, topP: 0.95, minP: 0.15, repeatPenalty: 1, seed: 2024 };
  const expectedIds = [0, 4, 1, 6, 3];
  const probsAt = (ids: number[], T: number) => {
    const w = ids.map((i) => Math.exp(logits[i]! / T));
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / s);
  };
  const N = 20000;
  const counts = new Map<number, number>();
  const s = new Sampler(o);
  for (let i = 0; i < N; i++) {
    const id = s.sample(logits, []);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const chi2 = (ids: number[], p: number[]) => {
    let x = 0;
    for (let i = 0; i < ids.length; i++) x += ((counts.get(ids[i]!) ?? 0) - N * p[i]!) ** 2 / (N * p[i]!);
    for (const [id, c] of counts) if (!ids.includes(id)) x += c ** 2 / 1e-9; // a draw outside the set fails outright
    return x;
  };
  const CRIT = 18.47; // chi-square, 4 degrees of freedom, p = 0.001

  it('kept set as worked out by hand from the rules', () => {
    expect(new Sampler(o).distribution(logits, []).ids).toEqual(expectedIds);
    expect(new Sampler({ ...o, minP: 0 }).distribution(logits, []).ids).toEqual([...expectedIds, 7]);
    expect(new Sampler({ ...o, topP: 1, minP: 0 }).distribution(logits, []).ids).toEqual([...expectedIds, 7, 2]);
  });
  it(`${N} draws pass against the right distribution and fail against near-misses`, () => {
    const right = chi2(expectedIds, probsAt(expectedIds, 0.7));
    expect(right).toBeLessThan(CRIT);
    // Wrong: temperature ignored; temperature applied as a multiplier; no min-p (id 7 kept); nothing filtered.
    expect(chi2(expectedIds, probsAt(expectedIds, 1))).toBeGreaterThan(CRIT);
    expect(chi2(expectedIds, probsAt(expectedIds, 1 / 0.7))).toBeGreaterThan(CRIT);
    const six = [...expectedIds, 7];
    expect(chi2(six, probsAt(six, 0.7))).toBeGreaterThan(CRIT);
    const all = logits.map((_, i) => i);
    expect(chi2(Array.from(all), probsAt(Array.from(all), 0.7))).toBeGreaterThan(CRIT);
  });
});

describe('greedy and errors', () => {
  it('greedy is the argmax, ties to the lowest id, and draws nothing', () => {
    const s = new Sampler({ temperature: 0, seed: 5 });
    expect(s.greedy).toBe(true);
    expect(s.sample(L(1, 3, 3, 2), [])).toBe(1);
    expect(s.sample(L(-Infinity, -5, -5), [])).toBe(1);
    expect(new Sampler({ temperature: -1 }).sample(L(0, 0, 1, 1), [])).toBe(2);
    expect(s.distribution(L(1, 3, 3, 2), [])).toEqual({ ids: [1], probs: [1] });
    expect(new Sampler({ temperature: 0.1 }).greedy).toBe(false);
    // A temperature so small that logit / T overflows: the greedy limit, not NaN.
    expect(new Sampler({ ...OFF, temperature: 1e-40 }).sample(L(1, 3, 2), [])).toBe(1);
    expect(new Sampler({ ...OFF, temperature: 1e-40 }).sample(L(-5, -3, -4), [])).toBe(1);
  });
  it('NaN, +Infinity, nothing finite, empty logits and bad recent ids are named errors', () => {
    const s = new Sampler({ seed: 1 });
    const g = new Sampler({ temperature: 0 });
    const nan = new Float32Array(10);
    nan[7] = NaN;
    for (const x of [s, g]) {
      expect(() => x.sample(nan, [])).toThrow(SamplingError);
      expect(() => x.sample(nan, [])).toThrow('logit 7 of 10 is NaN');
      expect(() => x.sample(L(0, Infinity), [])).toThrow('logit 1 of 2 is Infinity');
      expect(() => x.sample(L(-Infinity, -Infinity), [])).toThrow('all 2 logits are -Infinity');
      expect(() => x.sample(L(), [])).toThrow('the logits are empty');
      expect(() => x.sample(L(0, 1), [0, 2])).toThrow('recent token 1 is 2, not an id below the vocabulary size 2');
      expect(() => x.distribution(nan, [])).toThrow('logit 7 of 10 is NaN');
    }
  });
});

describe('Sampler.sampleTop (the GPU top-k path)', () => {
  it('picks what sample() picks from the whole row: same seed, same ids, over penalties both ways, ties and greedy', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    let steps = 0;
    for (const o of [
      { temperature: 0.8, seed: 1 },
      { temperature: 1.3, topK: 5, topP: 0.9, minP: 0.1, repeatPenalty: 1.5, repeatLastN: 8, seed: 2 },
      { temperature: 0.7, topK: 12, topP: 1, minP: 0, repeatPenalty: 0.7, repeatLastN: 16, seed: 3 },
      { temperature: 0, topK: 3, repeatPenalty: 2, repeatLastN: 4, seed: 4 },
      { temperature: 0.9, topK: 8, repeatPenalty: 1, presencePenalty: 0.75, frequencyPenalty: 0.5, repeatLastN: 12, seed: 5 },
    ]) {
      const a = new Sampler(o);
      const b = new Sampler(o);
      const V = 300;
      const recent: number[] = [];
      for (let t = 0; t < 60; t++) {
        // Logits on a coarse grid (many ties), negative and positive, a few -Infinity.
        const l = Float32Array.from({ length: V }, () => (rnd() < 0.02 ? -Infinity : Math.round((rnd() * 8 - 4) * 4) / 4));
        // Masked ids (ignore-EOG): the whole-row path sets them to -Infinity before sampling.
        const mask = t % 3 === 0 ? [0, 1] : [];
        const gather = [...new Set([...b.penalisedIds(recent, V), ...mask])];
        const top = topKRef(l, b.options.topK + gather.length, gather);
        const lm = l.slice();
        for (const id of mask) lm[id] = -Infinity;
        const want = a.sample(lm, recent);
        const got = b.sampleTop({ ids: top.ids, logits: top.values }, { ids: gather, logits: top.gathered }, { index: top.bad, value: top.badValue }, V, recent, mask);
        expect(got, `${JSON.stringify(o)} step ${t}`).toBe(want);
        recent.push(want);
        steps++;
      }
    }
    expect(steps).toBe(300);
  });

  it('names a NaN or +Infinity, an all -Infinity row and too few candidates', () => {
    const smp = new Sampler({ seed: 1 });
    const none = { ids: [], logits: [] };
    expect(() => smp.sampleTop({ ids: [1], logits: [2] }, none, { index: 7, value: NaN }, 10, [])).toThrow(/logit 7 of 10 is NaN/);
    expect(() => smp.sampleTop({ ids: [0], logits: [-Infinity] }, none, { index: 10, value: 0 }, 10, [])).toThrow(/all 10 logits are -Infinity/);
    expect(() => smp.sampleTop({ ids: [0, 1], logits: [2, 1] }, none, { index: 100, value: 0 }, 100, [])).toThrow(/2 candidates for top-k 40/);
    const ten = { ids: [...Array(10).keys()], logits: Array(10).fill(1) };
    expect(() => smp.sampleTop(ten, none, { index: 10, value: 0 }, 10, [3])).toThrow(/the logit of id 3 was not gathered/);
  });
});
