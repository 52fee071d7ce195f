// CPU side of quantization: f16/bf16 conversion, the reference quantizer's rules, GGUF / GPTQ / AWQ known answers
// and round trips, and the errors bad input gets.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGgufFile } from '../../src/io/gguf.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/quant/f16.js';
import { packCodes } from '../../src/quant/layout.js';
import { dequantizeGguf, exportGguf, importGguf } from '../../src/quant/gguf.js';
import { exportGptq, importGptq, importGptqTensors } from '../../src/quant/gptq.js';
import { AWQ_ORDER, exportAwq, importAwq, importAwqTensors } from '../../src/quant/awq.js';
import { encodeSafetensors, makeTensor, parseSafetensors } from '../../src/io/safetensors.js';
import { makeScheme, packScaleWords, unpackScaleWords, type QuantScheme } from '../../src/quant/scheme.js';
import { dequantizeRef, quantizeActRef, quantizeRef, roundHalfAway, roundHalfEven } from '../../src/ref/quant.js';
import { randomF32, randomGgufBlocks, rng } from '../../src/ref/random.js';

const bits32 = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer));

describe('f32 <-> f16', () => {
  it('known values, rounding ties to even, overflow, subnormals, inf and nan', () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [65519, 0x7bff], [65520, 0x7c00], [1e6, 0x7c00],
      [2 ** -14, 0x0400], [2 ** -24, 0x0001], [2 ** -25, 0x0000], [1.5 * 2 ** -25, 0x0001], [3 * 2 ** -25, 0x0002],
      [1023 * 2 ** -24, 0x03ff], [1023.5 * 2 ** -24, 0x0400], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02],
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], [-0, 0x8000], [0, 0], [Infinity, 0x7c00], [-Infinity, 0xfc00], [2 ** -130, 0], [-(2 ** -30), 0x8000],
    ];
    for (const [x, h] of cases) expect(f32ToF16Bits(x), `f16(${x})`).toBe(h);
    expect(f32ToF16Bits(NaN) & 0x7e00).toBe(0x7e00);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
    expect(f16BitsToF32(0xfc00)).toBe(-Infinity);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x8000)).toBe(-0);
  });
  it('every finite f16 survives the round trip, and random f32 go to the nearest f16 (ties even)', () => {
    const bad: string[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) bad.push(`0x${h.toString(16)}`);
    }
    expect(bad).toEqual([]);
    const x = randomF32(20000, 5, -70000, 70000);
    const small = randomF32(20000, 6, -1e-4, 1e-4);
    for (const v of [...x, ...small]) {
      const h = f32ToF16Bits(v);
      const got = f16BitsToF32(h);
      if (!Number.isFinite(got)) {
        if (Math.abs(v) < 65520) bad.push(`f16(${v}) overflowed`);
        continue;
      }
      // Neighbours of the same sign (magnitudes one ulp below and above).
      const mag = h & 0x7fff;
      const sgn = h & 0x8000;
      for (const nb of [mag - 1, mag + 1]) {
        if (nb < 0 || nb >= 0x7c00) continue;
        const other = f16BitsToF32(sgn | nb);
        const d0 = Math.abs(v - got);
        const d1 = Math.abs(v - other);
        if (!(d0 < d1 || (d0 === d1 && (h & 1) === 0))) bad.push(`f16(${v}) = ${got}, ${other} is at least as near`);
      }
    }
    expect(bad).toEqual([]);
  });
  it('bf16 rounds to nearest even', () => {
    expect(f32ToBf16Bits(1)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(f32ToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(f32ToBf16Bits(-3.5)).toBe(0xc060);
    expect(bf16BitsToF32(0x3f82)).toBe(1 + 2 ** -6);
    expect(bf16BitsToF32(f32ToBf16Bits(NaN))).toBeNaN();
  });
  it('f16 scale words pack two per u32, low half first', () => {
    const w = packScaleWords([1, -2, 0.5], 'f16');
    expect(Array.from(w)).toEqual([0xc0003c00, 0x3800]);
    expect(Array.from(unpackScaleWords(w, 3, 'f16'))).toEqual([1, -2, 0.5]);
    expect(() => packScaleWords([0.1], 'f16')).toThrow(/element 0 = 0.1 is not an f16 value/);
  });
});

describe('reference rounding', () => {
  it('half to even and half away from zero', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, -2, 2]);
    expect([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, -0.49999997].map(roundHalfAway)).toEqual([1, 2, 3, -1, -3, 0, -0]);
  });
});

const scheme = (bits: number, group: number, rule: QuantScheme['rule'], scaleType?: 'f16' | 'f32') => makeScheme({ bits, group, rule, scaleType });

describe('quantizeRef known answers', () => {
  it('absmax int4: s = max|x| / 7, ties to even', () => {
    const w = [7, -3.5, 0.5, -7, 2.5, 1.5, 0, -0.5, ...new Array(8).fill(0)];
    const q = quantizeRef(w, 1, 16, scheme(4, 16, 'absmax'));
    expect(Array.from(q.scales)).toEqual([1]);
    expect(Array.from(q.unpacked.slice(0, 8)).map((u) => u - 8)).toEqual([7, -4, 0, -7, 2, 2, 0, 0]);
  });
  it('torchao int4: s = max|x| / 7.5, codes clamped to [-8, 7]', () => {
    const w = [7.5, -7.5, 3.75, 0.25, ...new Array(12).fill(0)];
    const q = quantizeRef(w, 1, 16, scheme(4, 16, 'torchao'));
    expect(q.scales[0]).toBe(1);
    expect(Array.from(q.unpacked.slice(0, 4)).map((u) => u - 8)).toEqual([7, -8, 4, 0]);
  });
  it('q4_0: d = (signed largest) / -8, codes min(15, trunc(x/d + 8.5)), f16 d', () => {
    const w = [-4, 1, 2.25, 4, 0.2, ...new Array(27).fill(0)];
    const q = quantizeRef(w, 1, 32, scheme(4, 32, 'q4_0'));
    expect(q.scales[0]).toBe(0.5);
    expect(Array.from(q.unpacked.slice(0, 5))).toEqual([0, 10, 13, 15, 8]); // 2.25 / 0.5 = 4.5: trunc(4.5 + 8.5) rounds the tie up
    expect(Array.from(dequantizeRef(q).slice(0, 4))).toEqual([-4, 1, 2.5, 3.5]);
    const neg = quantizeRef([4, -1, ...new Array(30).fill(0)], 1, 32, scheme(4, 32, 'q4_0'));
    expect(neg.scales[0]).toBe(-0.5); // d is negative when the largest value is positive
    expect(Array.from(dequantizeRef(neg).slice(0, 2))).toEqual([4, -1]);
  });
  it('q8_0: d = max|x| / 127, round half away from zero', () => {
    const w = [127, 2.5, -2.5, -0.5, ...new Array(28).fill(0)];
    const q = quantizeRef(w, 1, 32, scheme(8, 32, 'q8_0'));
    expect(q.scales[0]).toBe(1);
    expect(Array.from(q.unpacked.slice(0, 4)).map((u) => u - 128)).toEqual([127, 3, -3, -1]);
  });
  it('minmax: s = (max - min) / (2^b - 1) over a range that holds 0, integer zero point', () => {
    const w = [-1, 2, 0.5, 1, ...new Array(12).fill(1)];
    const q = quantizeRef(w, 1, 16, scheme(4, 16, 'minmax'));
    expect(q.scales[0]).toBe(Math.fround(0.2));
    expect(q.zeros![0]).toBe(5);
    expect(Array.from(q.unpacked.slice(0, 4))).toEqual([0, 15, 7, 10]); // 0.5 / 0.2 = 2.5 -> 2 (ties to even), + z
  });
  it('q4_1: d = (max - min) / 15, m = min, codes min(15, trunc((x - min)/d + 0.5))', () => {
    const w = [1, 4, 2.5, 1.1, ...new Array(28).fill(2)];
    const q = quantizeRef(w, 1, 32, scheme(4, 32, 'q4_1'));
    expect(q.scales[0]).toBe(0.199951171875); // f16(0.2)
    expect(q.zeros![0]).toBe(1);
    expect(Array.from(q.unpacked.slice(0, 4))).toEqual([0, 15, 8, 1]); // (1.5)/0.2 + 0.5 = 8, (0.1)/0.2 + 0.5 = 1: ties go up
  });
  it('all-zero groups give zero codes, zero scale and zero values for every rule', () => {
    for (const [b, g, r] of [[4, 16, 'absmax'], [4, 16, 'torchao'], [4, 32, 'q4_0'], [8, 32, 'q8_0'], [3, 16, 'minmax'], [4, 32, 'q4_1']] as const) {
      const q = quantizeRef(new Float32Array(64), 2, 32, scheme(b, g, r));
      expect(Array.from(q.scales).every((s) => s === 0), r).toBe(true);
      expect(Array.from(dequantizeRef(q)).every((v) => v === 0), r).toBe(true);
    }
  });
});

describe('quantizeRef properties', () => {
  const rules: [number, number, QuantScheme['rule'], 'f16' | 'f32'][] = [
    [2, 16, 'absmax', 'f32'], [3, 32, 'absmax', 'f16'], [4, 64, 'absmax', 'f32'], [8, 128, 'absmax', 'f32'], [4, 0, 'absmax', 'f32'],
    [4, 32, 'torchao', 'f32'], [8, 16, 'torchao', 'f16'], [4, 32, 'q4_0', 'f16'], [8, 32, 'q8_0', 'f16'],
    [2, 16, 'minmax', 'f32'], [3, 64, 'minmax', 'f32'], [4, 128, 'minmax', 'f16'], [8, 32, 'minmax', 'f32'], [4, 32, 'q4_1', 'f16'],
  ];
  for (const [b, g, r, t] of rules) {
    it(`${b}-bit g${g || 'channel'} ${r} ${t}: dequantized error within one step, codes in range, packing round trips`, () => {
      const N = 3;
      const K = 256;
      const w = randomF32(N * K, 11 + b + g, -2, 3);
      const s = scheme(b, g, r, t);
      const q = quantizeRef(w, N, K, s);
      const dq = dequantizeRef(q);
      const G = g || K;
      for (let i = 0; i < N * K; i++) {
        const step = Math.abs(q.scales[Math.floor(i / K) * (K / G) + Math.floor((i % K) / G)]);
        // One step (clamped extremes of torchao/q4_0/q4_1 and f16 scale rounding) plus f32 rounding.
        expect(Math.abs(dq[i] - w[i]), `element ${i}`).toBeLessThanOrEqual(step * 1.01 + 1e-6);
        expect(q.unpacked[i]).toBeLessThan(2 ** b);
      }
      expect(Array.from(q.codes)).toEqual(Array.from(packCodes(q.unpacked, N, K, s.bits)));
    });
  }
  it('activations: int8 per token, symmetric and asymmetric', () => {
    const x = randomF32(4 * 50, 3, -3, 1);
    const sym = quantizeActRef(x, 4, 50, true);
    const asym = quantizeActRef(x, 4, 50, false);
    for (let i = 0; i < 200; i++) {
      const m = Math.floor(i / 50);
      expect(Math.abs(sym.xdq[i] - x[i])).toBeLessThanOrEqual(sym.scales[m] * 0.5001);
      expect(Math.abs(asym.xdq[i] - x[i])).toBeLessThanOrEqual(asym.scales[m] * 0.5001 + 1e-7);
    }
    expect(sym.codes).toBeInstanceOf(Int8Array);
    expect(asym.codes).toBeInstanceOf(Uint8Array);
    const z = quantizeActRef(new Float32Array(8), 2, 4, false);
    expect(Array.from(z.xdq).every((v) => v === 0) && Array.from(z.scales).every((v) => v === 0)).toBe(true);
  });
});

describe('bad input to the reference quantizer', () => {
  it('names the tensor and the position', () => {
    expect(() => quantizeRef(new Float32Array(2 * 40), 2, 40, scheme(4, 32, 'absmax'))).toThrow(/tensor 'w': K = 40 \(shape \[2, 40\], dim 1\) is not a multiple of the group size 32/);
    expect(() => makeScheme({ bits: 4, group: 48 })).toThrow(/group size 48 is not supported/);
    expect(() => makeScheme({ bits: 5 })).toThrow(/bits=5 is not supported/);
    expect(() => makeScheme({ bits: 8, rule: 'q4_0' })).toThrow(/rule q4_0 is 4-bit, not 8-bit/);
    expect(() => makeScheme({ bits: 4, rule: 'minmax', symmetric: true })).toThrow(/rule minmax is asymmetric/);
    const w = new Float32Array(64);
    w[37] = NaN;
    expect(() => quantizeRef(w, 2, 32, scheme(4, 32, 'absmax'))).toThrow(/tensor 'w': element \[1, 5\] \(flat index 37\) is NaN/);
    w[37] = -Infinity;
    expect(() => quantizeActRef(w, 2, 32, true)).toThrow(/tensor 'x': element \[1, 5\] .* is -Infinity/);
    expect(() => quantizeRef([1e6, ...new Array(15).fill(0)], 1, 16, scheme(4, 16, 'absmax', 'f16'))).toThrow(/row 0, group 0 .*overflows f16/);
  });
});

// ---- GGUF known answers (blocks written by hand from the byte layout) ----
function block(head: number[], qs: number[], len: number): number[] {
  const b = [...head, ...qs];
  while (b.length < len) b.push(head.length === 2 && len === 34 ? 0 : 0x88);
  return b;
}

describe('GGUF blocks', () => {
  it('Q4_0: f16 d, element j in the low nibble of byte j, j+16 in the high nibble, (q - 8) * d', () => {
    // d = 0.5 (0x3800); byte0 = 0x1f: q0 = 15, q16 = 1; byte1 = 0x80: q1 = 0, q17 = 8; the rest 0x88 (zeros)
    const b1 = block([0x00, 0x38], [0x1f, 0x80], 18);
    // d = -2 (0xc000): byte0 = 0x00: q0 = q16 = 0 -> 16
    const b2 = block([0x00, 0xc0], [0x00], 18);
    const bytes = Uint8Array.from([...b1, ...b2]);
    const want = new Float32Array(64);
    want[0] = 3.5; want[16] = -3.5; want[1] = -4; want[17] = 0;
    want[32] = 16; want[48] = 16;
    const pz = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0); // (8 - 8) * -2 is -0
    expect(pz(dequantizeGguf('Q4_0', bytes, 1, 64))).toEqual(pz(want));
    const q = importGguf('Q4_0', bytes, 1, 64);
    expect(Array.from(q.scales)).toEqual([0.5, -2]);
    expect(pz(dequantizeRef(q))).toEqual(pz(want));
    expect(bits32(dequantizeRef(q))).toEqual(bits32(dequantizeGguf('Q4_0', bytes, 1, 64)));
    expect(Array.from(exportGguf('Q4_0', q))).toEqual(Array.from(bytes));
  });
  it('Q4_1: f16 d, f16 m, q * d + m', () => {
    // d = 0.25 (0x3400), m = -1 (0xbc00); byte0 = 0x2f: q0 = 15, q16 = 2; the rest 0x00
    const bytes = Uint8Array.from([0x00, 0x34, 0x00, 0xbc, 0x2f, ...new Array(15).fill(0)]);
    const want = new Float32Array(32).fill(-1);
    want[0] = 2.75; want[16] = -0.5;
    expect(Array.from(dequantizeGguf('Q4_1', bytes, 1, 32))).toEqual(Array.from(want));
    const q = importGguf('Q4_1', bytes, 1, 32);
    expect(Array.from(dequantizeRef(q))).toEqual(Array.from(want));
    expect(Array.from(exportGguf('Q4_1', q))).toEqual(Array.from(bytes));
  });
  it('Q8_0: f16 d, 32 int8, q * d', () => {
    // d = 0.125 (0x3000); q0 = -128, q1 = 127, q2 = -1, the rest 0
    const bytes = Uint8Array.from([0x00, 0x30, 0x80, 0x7f, 0xff, ...new Array(29).fill(0)]);
    const want = new Float32Array(32);
    want[0] = -16; want[1] = 15.875; want[2] = -0.125;
    expect(Array.from(dequantizeGguf('Q8_0', bytes, 1, 32))).toEqual(Array.from(want));
    const q = importGguf('Q8_0', bytes, 1, 32);
    expect(Array.from(dequantizeRef(q))).toEqual(Array.from(want));
    expect(Array.from(exportGguf('Q8_0', q))).toEqual(Array.from(bytes));
  });
  it('quantized with the GGUF rules, exported and re-imported: same codes, and the blocks decode to the same f32', () => {
    for (const [t, s] of [['Q4_0', scheme(4, 32, 'q4_0')], ['Q4_1', scheme(4, 32, 'q4_1')], ['Q8_0', scheme(8, 32, 'q8_0')]] as const) {
      const w = randomF32(4 * 96, 9, -1.5, 1);
      const q = quantizeRef(w, 4, 96, s);
      const bytes = exportGguf(t, q);
      expect(bytes.length).toBe(4 * 3 * (t === 'Q4_0' ? 18 : t === 'Q4_1' ? 20 : 34));
      const back = importGguf(t, bytes, 4, 96);
      expect(Array.from(back.codes)).toEqual(Array.from(q.codes));
      expect(bits32(dequantizeGguf(t, bytes, 4, 96))).toEqual(bits32(dequantizeRef(q)));
    }
  });
  it('a truncated block and a scheme mismatch are refused, naming the tensor and the block', () => {
    const bytes = new Uint8Array(18 * 3 - 5);
    expect(() => importGguf('Q4_0', bytes, 1, 96, 'blk.0.attn_q.weight')).toThrow(/tensor 'blk.0.attn_q.weight': Q4_0 data is truncated: 49 bytes, \[1, 96\] needs 54; block 2 \(row 0, k 64\) has 13 of its 18 bytes/);
    expect(() => importGguf('Q4_0', new Uint8Array(18), 1, 48)).toThrow(/K a multiple of 32/);
    const inf = Uint8Array.from([0x00, 0x7c, ...new Array(16).fill(0)]);
    expect(() => importGguf('Q4_0', inf, 1, 32)).toThrow(/block 0 \(row 0, k 0, byte 0\) has d = Infinity/);
    const q = quantizeRef(randomF32(64, 1), 2, 32, scheme(4, 32, 'absmax'));
    expect(() => exportGguf('Q4_1', q)).toThrow(/Q4_1 needs 4-bit g32 float-min codes/);
    expect(() => exportGguf('Q4_0', q)).toThrow(/is not an f16 value/);
  });
});

describe('GGUF K-quants and Q5_0 / Q5_1 (import only)', () => {
  const pz = (a: ArrayLike<number>) => Array.from(a, (v) => v + 0); // 0 * negative scale is -0
  it('Q4_K: d, dmin, 6-bit scales and mins of 8 sub-blocks (packed in 12 bytes), q * (d * sc) - dmin * m', () => {
    const bytes = new Uint8Array(144);
    bytes.set([0x00, 0x38, 0x00, 0x34]); // d = 0.5, dmin = 0.25
    // scales: sc0 = 0x41 & 63 = 1; mq0 = 0x82 & 63 = 2; sub-block 4: sc = (0x53 & 15) | (0x41 >> 6) << 4 = 19,
    // mq = (0x53 >> 4) | (0x82 >> 6) << 4 = 37; all other sub-blocks 0, 0.
    bytes[4 + 0] = 0x41;
    bytes[4 + 4] = 0x82;
    bytes[4 + 8] = 0x53;
    bytes[16 + 0] = 0x9f; // element 0 (sub-block 0, low nibble): 15; element 32 (sub-block 1, high nibble): 9
    bytes[16 + 67] = 0xa7; // element 131 (sub-block 4, low nibble of qs[64 + 3]): 7; element 163 (sub-block 5): 10
    const want = new Float32Array(256);
    for (let e = 0; e < 32; e++) want[e] = -0.5; // 0 * 0.5 - 0.25 * 2
    for (let e = 128; e < 160; e++) want[e] = -9.25; // 0 * 9.5 - 0.25 * 37
    want[0] = 7; // 15 * 0.5 - 0.5
    want[131] = 57.25; // 7 * 9.5 - 9.25
    expect(pz(dequantizeGguf('Q4_K', bytes, 1, 256))).toEqual(pz(want));
    const q = importGguf('Q4_K', bytes, 1, 256);
    expect(q.scheme).toMatchObject({ bits: 4, group: 32, symmetric: false, scaleType: 'f32', rule: 'q4_k' });
    expect(Array.from(q.scales)).toEqual([0.5, 0, 0, 0, 9.5, 0, 0, 0]);
    expect(pz(q.zeros!)).toEqual([-0.5, 0, 0, 0, -9.25, 0, 0, 0]);
    expect(pz(dequantizeRef(q))).toEqual(pz(want));
  });
  it('Q6_K: ql low nibbles, qh 2-bit pairs, int8 scale per 16, f16 d last: (q6 - 32) * (d * sc)', () => {
    const bytes = new Uint8Array(210);
    bytes[208] = 0x00;
    bytes[209] = 0x38; // d = 0.5
    bytes.set([2, 0, 0xff, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 127], 192); // sc[0] = 2, sc[2] = -1, sc[8] = 3, sc[15] = 127
    bytes[0] = 0x5a; // element 0: low 10; element 64: low 5
    bytes[32] = 0x03; // element 32: low 3; element 96: low 0
    bytes[128] = 0xd9; // qh[0]: element 0 high 1, element 32 high 2, element 64 high 1, element 96 high 3
    bytes[64] = 0x0f; // element 128 (half 1): low 15, high (qh[32]) 0
    bytes[127] = 0xf0; // element 255: low ql[64 + 31 + 32] >> 4 = 15
    bytes[128 + 63] = 0xc0; // element 255: high (qh[63] >> 6) = 3
    const got = dequantizeGguf('Q6_K', bytes, 1, 256);
    const at = (e: number) => got[e] + 0;
    expect(at(0)).toBe((26 - 32) * 1); // q6 = 10 | 1 << 4
    expect(at(1)).toBe(-32); // q6 = 0, scale 1
    expect(at(16)).toBe(0); // sc[1] = 0
    expect(at(32)).toBe((35 - 32) * -0.5); // q6 = 3 | 2 << 4, sc[2] = -1
    expect(at(64)).toBe(0); // sc[4] = 0
    expect(at(128)).toBe((15 - 32) * 1.5); // sc[8] = 3
    expect(at(255)).toBe((63 - 32) * 63.5); // sc[15] = 127
    const q = importGguf('Q6_K', bytes, 1, 256);
    expect(q.scheme).toMatchObject({ bits: 8, group: 16, symmetric: true, scaleType: 'f32', rule: 'q6_k' });
    expect(q.scales[15]).toBe(63.5);
    expect(bits32(dequantizeRef(q))).toEqual(bits32(got));
  });
  it('random blocks: the import, dequantized in nibble\'s layout, is the file\'s own decoding bit for bit', () => {
    for (const t of ['Q4_K', 'Q5_K', 'Q6_K'] as const) {
      for (const [N, K, seed] of [[1, 256, 1], [3, 512, 2], [5, 768, 3]]) {
        const bytes = randomGgufBlocks(t, N, K, seed);
        expect(bits32(dequantizeRef(importGguf(t, bytes, N, K))), `${t} [${N}, ${K}]`).toEqual(bits32(dequantizeGguf(t, bytes, N, K)));
      }
    }
  });
  it("agrees bit for bit with llama.cpp's own decoder (gguf-py 0.19.0) on test/fixtures/gguf_blocks.gguf", () => {
    // gguf_blocks.gguf-py.f32: gguf.quants.dequantize of every tensor, in file order (scripts/gguf-fixture.mjs).
    const file = parseGgufFile(readFileSync(new URL('../fixtures/gguf_blocks.gguf', import.meta.url)));
    const theirs = new Float32Array(new Uint8Array(readFileSync(new URL('../fixtures/gguf_blocks.gguf-py.f32', import.meta.url))).buffer);
    let at = 0;
    expect(file.tensors.map((t) => t.type)).toEqual(['Q4_K', 'Q6_K', 'Q5_K', 'Q5_0', 'Q5_1', 'Q4_0', 'Q4_1', 'Q8_0', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M']);
    for (const t of file.tensors) {
      const [N, K] = t.shape;
      const want = bits32(theirs.subarray(at, at + N * K));
      at += N * K;
      expect(bits32(dequantizeGguf(t.type as 'Q4_K', t.data, N, K)), `${t.name} (block decoder)`).toEqual(want);
      expect(bits32(dequantizeRef(importGguf(t.type as 'Q4_K', t.data, N, K, t.name))), `${t.name} (imported)`).toEqual(want);
    }
    expect(at).toBe(theirs.length);
  });
  it('Q5_0 / Q5_1: the fifth bit of element j is bit j of the u32 qh; (q5 - 16) * d and q5 * d + m', () => {
    // d = 0.5; qh = 0x00010001: element 0 and element 16 get the fifth bit; qs[0] = 0x21: low 1, high 2.
    const b0 = Uint8Array.from([0x00, 0x38, 0x01, 0x00, 0x01, 0x00, 0x21, ...new Array(15).fill(0)]);
    const want0 = new Float32Array(32).fill(-8); // (0 - 16) * 0.5
    want0[0] = (17 - 16) * 0.5;
    want0[16] = (18 - 16) * 0.5;
    expect(Array.from(dequantizeGguf('Q5_0', b0, 1, 32))).toEqual(Array.from(want0));
    const q0 = importGguf('Q5_0', b0, 1, 32);
    expect(q0.scheme).toMatchObject({ bits: 8, group: 32, symmetric: true, scaleType: 'f16', rule: 'q5_0' });
    expect(Array.from(dequantizeRef(q0))).toEqual(Array.from(want0));
    // Q5_1: d = 0.25, m = -1; qh = 0x80000000 (element 31); qs[15] = 0xf0: element 31 low nibble 15 -> 31.
    const b1 = Uint8Array.from([0x00, 0x34, 0x00, 0xbc, 0x00, 0x00, 0x00, 0x80, ...new Array(15).fill(0), 0xf0]);
    const want1 = new Float32Array(32).fill(-1);
    want1[31] = 31 * 0.25 - 1;
    expect(Array.from(dequantizeGguf('Q5_1', b1, 1, 32))).toEqual(Array.from(want1));
    const q1 = importGguf('Q5_1', b1, 1, 32);
    expect(q1.scheme).toMatchObject({ bits: 8, symmetric: false, scaleType: 'f16', rule: 'q5_1' });
    expect(Array.from(dequantizeRef(q1))).toEqual(Array.from(want1));
    for (const t of ['Q5_0', 'Q5_1'] as const) {
      const bytes = randomGgufBlocks(t, 3, 96, 7);
      expect(bits32(dequantizeRef(importGguf(t, bytes, 3, 96))), t).toEqual(bits32(dequantizeGguf(t, bytes, 3, 96)));
    }
  });
  it('bad input: K not a multiple of 256, truncated data, non-finite d / dmin; export and quantizing are refused', () => {
    expect(() => importGguf('Q4_K', new Uint8Array(144), 2, 128, 'blk.3.ffn_up.weight')).toThrow(/tensor 'blk.3.ffn_up.weight': Q4_K needs K a multiple of 256, got shape \[2, 128\]/);
    expect(() => importGguf('Q6_K', new Uint8Array(2 * 210 - 10), 1, 512, 'output.weight')).toThrow(/tensor 'output.weight': Q6_K data is truncated: 410 bytes, \[1, 512\] needs 420; block 1 \(row 0, k 256\) has 200 of its 210 bytes/);
    const bad = randomGgufBlocks('Q4_K', 2, 256, 4);
    bad[144 + 3] = 0x7e; // dmin of block 1 = NaN
    expect(() => importGguf('Q4_K', bad, 2, 256, 'w')).toThrow(/tensor 'w': Q4_K block 1 \(row 1, k 0, byte 146\) has dmin = NaN/);
    const bad6 = randomGgufBlocks('Q6_K', 1, 512, 5);
    bad6[210 + 209] = 0x7c;
    bad6[210 + 208] = 0;
    expect(() => importGguf('Q6_K', bad6, 1, 512, 'w')).toThrow(/Q6_K block 1 \(row 0, k 256, byte 418\) has d = Infinity/);
    const b51 = randomGgufBlocks('Q5_1', 1, 64, 8);
    b51.set([0x00, 0x7e], 24 + 2); // block 1's m: NaN
    expect(() => importGguf('Q5_1', b51, 1, 64, 'w')).toThrow(/tensor 'w': Q5_1 block 1 \(row 0, k 32, byte 26\) has m = NaN/);
    expect(() => importGguf('Q5_0', new Uint8Array(43), 1, 64, 'w')).toThrow(/Q5_0 data is truncated: 43 bytes, \[1, 64\] needs 44; block 1 \(row 0, k 32\) has 21 of its 22 bytes/);
    // Q3_K / Q2_K: d at byte 108 / 80 and dmin at 82 of their super-blocks, named with block, row, k and byte.
    const b3 = randomGgufBlocks('Q3_K', 2, 512, 9);
    b3.set([0x00, 0x7c], 3 * 110 + 108); // block 3 (row 1, k 256): d = Infinity
    expect(() => importGguf('Q3_K', b3, 2, 512, 'blk.0.ffn_down.weight')).toThrow(/tensor 'blk.0.ffn_down.weight': Q3_K block 3 \(row 1, k 256, byte 438\) has d = Infinity/);
    const b2 = randomGgufBlocks('Q2_K', 1, 512, 10);
    b2.set([0x01, 0x7e], 84 + 82); // block 1's dmin: NaN
    expect(() => importGguf('Q2_K', b2, 1, 512, 'w')).toThrow(/tensor 'w': Q2_K block 1 \(row 0, k 256, byte 166\) has dmin = NaN/);
    expect(() => importGguf('Q2_K', new Uint8Array(84 + 50), 1, 512, 'w')).toThrow(/Q2_K data is truncated: 134 bytes, \[1, 512\] needs 168; block 1 \(row 0, k 256\) has 50 of its 84 bytes/);
    expect(() => importGguf('Q3_K', new Uint8Array(110), 1, 128, 'w')).toThrow(/Q3_K needs K a multiple of 256, got shape \[1, 128\]/);
    const q = importGguf('Q4_K', randomGgufBlocks('Q4_K', 1, 256, 6), 1, 256);
    expect(() => exportGguf('Q4_K', q, 'w')).toThrow(/tensor 'w': export to Q4_K is not supported \(nibble reads Q4_K but writes Q4_0, Q4_1, Q8_0\)/);
    expect(() => quantizeRef(randomF32(256, 1), 1, 256, q.scheme, 'w')).toThrow(/quantize: tensor 'w': rule q4_k is import-only/);
    expect(() => makeScheme({ bits: 8, group: 32, rule: 'q6_k' })).toThrow(/rule q6_k has groups of 16, not 32/);
  });
});

describe('GPTQ v1 and AWQ int4', () => {
  it('GPTQ: qweight [K/8, N] packed along K, qzeros hold z - 1', () => {
    const N = 8;
    const K = 8;
    const qweight = new Int32Array(N);
    qweight[0] = 0x76543210; // column 0: codes 0..7 along k
    qweight[1] = -1; // column 1: all 15
    const qzeros = Int32Array.from([0x00000007]); // column 0: z = 8; others z = 1
    const scales = Uint16Array.from([0x3800, ...new Array(7).fill(0x3c00)]); // column 0: 0.5, others 1
    const q = importGptq({ qweight, qzeros, scales, g_idx: new Int32Array(8) }, { N, K, group: 8 });
    const w = dequantizeRef(q);
    expect(Array.from(w.slice(0, 8))).toEqual([-4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5]);
    expect(Array.from(w.slice(8, 16))).toEqual(new Array(8).fill(14));
    expect(Array.from(w.slice(16, 24))).toEqual(new Array(8).fill(-1));
    const back = exportGptq(q);
    expect(Array.from(back.qweight)).toEqual(Array.from(qweight));
    expect(Array.from(back.qzeros)).toEqual(Array.from(qzeros));
    expect(Array.from(back.scales)).toEqual(Array.from(scales));
  });
  it('GPTQ: a stored 15 reads back as z = 16 (v1); a g_idx that is not G columns a group is refused', () => {
    const q = importGptq({ qweight: new Int32Array(8), qzeros: Int32Array.from([0xf]), scales: new Uint16Array(8).fill(0x3c00) }, { N: 8, K: 8, group: -1 });
    expect(q.zeros![0]).toBe(16);
    expect(dequantizeRef(q)[0]).toBe(-16);
    const g_idx = Int32Array.from([0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(() => importGptq({ qweight: new Int32Array(16), qzeros: new Int32Array(2), scales: new Uint16Array(16), g_idx }, { N: 8, K: 16, group: 8 }, 'model.layers.0.mlp.up_proj'))
      .toThrow(/tensor 'model.layers.0.mlp.up_proj.g_idx': group 0 has 5 columns, not 8/);
    const far = Int32Array.from({ length: 16 }, (_, k) => (k === 3 ? 2 : k >> 3));
    expect(() => importGptq({ qweight: new Int32Array(16), qzeros: new Int32Array(2), scales: new Uint16Array(16), g_idx: far }, { N: 8, K: 16, group: 8 }, 'p'))
      .toThrow(/tensor 'p.g_idx': element 3 = 2 is not a group index in 0..1/);
    expect(() => importGptq({ qweight: new Int32Array(7), qzeros: new Int32Array(1), scales: new Uint16Array(8) }, { N: 8, K: 8, group: 8 }, 'p'))
      .toThrow(/tensor 'p.qweight': 7 elements, shape \[1, 8\] needs 8/);
  });
  it('GPTQ act-order (desc_act): columns stored sorted by group with kPerm; values as (q - z[g_idx]) * s[g_idx]; export restores the checkpoint', () => {
    const [N, K, G] = [8, 64, 16];
    const ng = K / G;
    const r = rng(5);
    const u = Uint8Array.from({ length: N * K }, () => Math.floor(r() * 16));
    const order = [...Array(K).keys()].sort(() => r() - 0.5); // a random assignment, G columns a group
    const g_idx = new Int32Array(K);
    order.forEach((k, j) => (g_idx[k] = Math.floor(j / G)));
    const z = Uint8Array.from({ length: ng * N }, () => 1 + Math.floor(r() * 16));
    const sBits = Uint16Array.from({ length: ng * N }, () => f32ToF16Bits(0.01 + r() * 0.1));
    const qweight = new Int32Array((K / 8) * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) qweight[(k >> 3) * N + n] |= u[n * K + k] << (4 * (k & 7));
    const qzeros = new Int32Array(ng * (N / 8));
    for (let g = 0; g < ng; g++) for (let n = 0; n < N; n++) qzeros[g * (N / 8) + (n >> 3)] |= (z[g * N + n] - 1) << (4 * (n & 7));
    const q = importGptq({ qweight, qzeros, scales: sBits, g_idx }, { N, K, group: G }, 'layer');
    expect(q.kPerm).toBeDefined();
    for (let j = 1; j < K; j++) expect(g_idx[q.kPerm![j - 1]] <= g_idx[q.kPerm![j]], `stored column ${j} sorted by group`).toBe(true);
    // The GPTQ formula on the checkpoint itself, in the original column order.
    const want = new Float32Array(N * K);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) want[n * K + k] = Math.fround((u[n * K + k] - z[g_idx[k] * N + n]) * f16BitsToF32(sBits[g_idx[k] * N + n]));
    expect(bits32(dequantizeRef(q))).toEqual(bits32(want));
    const back = exportGptq(q, 'layer');
    expect(Array.from(back.qweight)).toEqual(Array.from(qweight));
    expect(Array.from(back.g_idx)).toEqual(Array.from(g_idx));
    expect(Array.from(back.qzeros)).toEqual(Array.from(qzeros));
  });
  it('AWQ: qweight [K, N/8], nibble i holds column ORDER[i] = 0,2,4,6,1,3,5,7', () => {
    expect([...AWQ_ORDER]).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    const N = 8;
    const K = 8;
    const qweight = new Int32Array(K);
    qweight[0] = 0x76543210; // row k = 0: nibble i = i, i.e. column ORDER[i] gets i
    const qzeros = Int32Array.from([0x00030000]); // nibble 4 holds column 1: z = 3
    const scales = Uint16Array.from([...new Array(7).fill(0x3c00), 0x4000]); // column 7: s = 2
    const q = importAwq({ qweight, qzeros, scales }, { N, K, group: 8 });
    const w = dequantizeRef(q);
    expect(Array.from({ length: 8 }, (_, n) => w[n * K])).toEqual([0, 1, 1, 5, 2, 6, 3, 14]);
    expect(Array.from({ length: 8 }, (_, n) => w[n * K + 1])).toEqual([0, -3, 0, 0, 0, 0, 0, 0]);
    const back = exportAwq(q);
    expect(Array.from(back.qweight)).toEqual(Array.from(qweight));
    expect(Array.from(back.qzeros)).toEqual(Array.from(qzeros));
  });
  it('minmax int4 weights round-trip through GPTQ and AWQ', () => {
    const w = randomF32(16 * 64, 4, -1, 1);
    const q = quantizeRef(w, 16, 64, scheme(4, 32, 'minmax', 'f16'));
    const g = importGptq(exportGptq(q), { N: 16, K: 64, group: 32 });
    const a = importAwq(exportAwq(q), { N: 16, K: 64, group: 32 });
    for (const r of [g, a]) {
      expect(Array.from(r.codes)).toEqual(Array.from(q.codes));
      expect(bits32(dequantizeRef(r))).toEqual(bits32(dequantizeRef(q)));
    }
  });
  it('GPTQ and AWQ checkpoints load from safetensors by prefix (shapes inferred)', () => {
    const N = 16;
    const K = 64;
    const q = quantizeRef(randomF32(N * K, 12, -1, 1), N, K, scheme(4, 32, 'minmax', 'f16'));
    const g = exportGptq(q);
    const a = exportAwq(q);
    const p = 'model.layers.0.self_attn.q_proj';
    const file = parseSafetensors(encodeSafetensors({
      [`${p}.qweight`]: makeTensor('I32', [K / 8, N], g.qweight),
      [`${p}.qzeros`]: makeTensor('I32', [K / 32, N / 8], g.qzeros),
      [`${p}.scales`]: makeTensor('F16', [K / 32, N], g.scales as Uint16Array),
      [`${p}.g_idx`]: makeTensor('I32', [K], g.g_idx),
      [`awq.qweight`]: makeTensor('I32', [K, N / 8], a.qweight),
      [`awq.qzeros`]: makeTensor('I32', [K / 32, N / 8], a.qzeros),
      [`awq.scales`]: makeTensor('F16', [K / 32, N], a.scales as Uint16Array),
    }));
    for (const r of [importGptqTensors(file.tensors, p), importAwqTensors(file.tensors, 'awq')]) {
      expect([r.N, r.K, r.scheme.group]).toEqual([N, K, 32]);
      expect(Array.from(r.codes)).toEqual(Array.from(q.codes));
      expect(bits32(dequantizeRef(r))).toEqual(bits32(dequantizeRef(q)));
    }
    expect(() => importGptqTensors(file.tensors, 'nope')).toThrow(/gptq 'nope': tensor 'nope.qweight' is missing/);
  });
});
