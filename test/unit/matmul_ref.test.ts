// The pure pieces under the quantized matmul tests: f16 rounding, round-half-even, per-token int8 quantization,
// the dequantization formulas and the W8A8 integer reference.
import { describe, expect, it } from 'vitest';
import { packCodes } from '../../src/quant/layout.js';
import { f16BitsToF32, f32ToF16Bits } from '../../src/ref/f16.js';
import { dequantRef, epilogueRef, geluRef, matmulRef, matmulRefRows, matmulW8A8Ref, packI8Rows, quantizeRowsI8Ref, roundHalfEven, siluRef } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { checkedRows, pickRows } from '../../bench/matmul-rows.js';

describe('f16', () => {
  it('rounds to nearest even, overflows to inf, keeps subnormals', () => {
    expect(f32ToF16Bits(1)).toBe(0x3c00);
    expect(f32ToF16Bits(65504)).toBe(0x7bff);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-2)).toBe(0xc000);
    expect(f32ToF16Bits(2 ** -24)).toBe(1);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // tie -> even (0)
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2); // tie -> even (2)
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
  });
  it('round-trips every finite f16', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) if ((h & 0x7c00) !== 0x7c00 && f32ToF16Bits(f16BitsToF32(h)) !== h) bad.push(h);
    expect(bad).toEqual([]);
  });
});

describe('quantized matmul references', () => {
  it('roundHalfEven', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3]);
  });
  it('quantizes each row by absmax/127 with ties to even; a zero row gets scale 0', () => {
    const x = [127, 63.5, -62.5, 0.49, 0, 0, 0, 0];
    const { q, scale } = quantizeRowsI8Ref(x, 2, 4);
    expect([...scale]).toEqual([1, 0]);
    expect([...q]).toEqual([127, 64, -62, 0, 0, 0, 0, 0]);
    expect([...packI8Rows(q, 2, 4)]).toEqual([((127 | (64 << 8) | ((-62 & 0xff) << 16)) >>> 0), 0]);
    const r = quantizeRowsI8Ref([3, -1.5, 0.75], 1, 3);
    expect(r.scale[0]).toBe(Math.fround(3 / 127));
    expect([...r.q]).toEqual([127, -64, 32]);
  });
  it('dequantizes symmetric, zero-point and float-min codes by the layout formulas', () => {
    const codes = packCodes([0, 8, 15, 3], 1, 4, 4);
    const base = { bits: 4 as const, N: 1, K: 4, group: 2, codes, scales: [0.5, 2] };
    expect([...dequantRef({ ...base, mode: 'symmetric' })]).toEqual([-4, 0, 14, -10]);
    expect([...dequantRef({ ...base, mode: 'zero-point', zeros: [1, 3] })]).toEqual([-0.5, 3.5, 24, 0]);
    expect([...dequantRef({ ...base, mode: 'float-min', zeros: [-1, 0.25] })]).toEqual([-1, 3, 30.25, 6.25]);
  });
  it('W8A8: exact integer dot products per group, then the scales', () => {
    // W row 0 = codes 129, 126, 128, 255 -> q 1, -2, 0, 127; two groups of 2.
    const w = { bits: 8 as const, N: 1, K: 4, group: 2, mode: 'symmetric' as const, codes: packCodes([129, 126, 128, 255], 1, 4, 8), scales: [0.5, 0.25] };
    const r = matmulW8A8Ref(Int8Array.from([10, 3, 7, -1]), [2], 1, w);
    expect([...r.acc]).toEqual([10 - 6, -127]);
    expect(r.y[0]).toBe(2 * (0.5 * 4 + 0.25 * -127));
  });
  it('epilogue: bias, activation, residual in order, bounds growing with each', () => {
    const z = Float64Array.from([1, -2]);
    const zt = Float64Array.from([1e-6, 1e-6]);
    const a = epilogueRef(z, zt, 1, 2, { bias: [0.5, 0], act: 'silu', residual: [1, 2] });
    expect(a.y[0]).toBeCloseTo(siluRef(1.5) + 1, 15);
    expect(a.y[1]).toBeCloseTo(siluRef(-2) + 2, 15);
    expect(a.tol[0]).toBeGreaterThan(1.2e-6);
    expect(geluRef(0)).toBe(0);
    expect(geluRef(3)).toBeCloseTo(2.99636, 5);
  });
});

describe('f32 matmul reference on sampled rows (the benches\' large shapes)', () => {
  it('matmulRefRows gives exactly matmulRef\'s rows, in every layout', () => {
    const M = 7, K = 5, N = 3;
    const a = randomF32(M * K, 1), b = randomF32(K * N, 2);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const s = { M, K, N, transA, transB };
        const whole = matmulRef(a, b, s);
        const rows = [6, 0, 3];
        const part = matmulRefRows(a, b, s, rows);
        expect(Array.from(part.c)).toEqual(rows.flatMap((m) => Array.from(whole.c.subarray(m * N, (m + 1) * N))));
        expect(Array.from(part.absSum)).toEqual(rows.flatMap((m) => Array.from(whole.absSum.subarray(m * N, (m + 1) * N))));
      }
    }
    expect(() => matmulRefRows(a, b, { M, K, N }, [7])).toThrow(/row 7 is outside \[0, 7\)/);
  });
  it('checks small products whole and large ones on 16 spread rows, first and last included', () => {
    expect(checkedRows(32, 1024, 1024)).toBeNull();
    expect(checkedRows(256, 1024, 1024)).toBeNull(); // 2^28 multiply-adds: still whole
    expect(checkedRows(1024, 1024, 1024)?.length).toBe(16);
    const r = checkedRows(4096, 4096, 4096)!;
    expect(r.length).toBe(16);
    expect(r[0]).toBe(0);
    expect(r[15]).toBe(4095);
    expect(new Set(r).size).toBe(16);
    const y = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(pickRows(y, 3, [3, 1]))).toEqual([9, 10, 11, 3, 4, 5]);
    expect(pickRows(y, 3, null)).toBe(y);
  });
});
