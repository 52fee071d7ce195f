// The table-valued GGUF block types MXFP4, IQ4_NL and IQ4_XS (src/quant/gguf_codebook.ts): hand-decoded blocks, the
// import against the block decoder on random blocks, and bad input. (The known answer from llama.cpp's own decoder,
// gguf-py, is test/unit/quant.test.ts's gguf_blocks.gguf case, which holds one tensor of each.)
import { describe, expect, it } from 'vitest';
import { dequantizeGguf, ggufKernelUse, importGguf } from '../../src/quant/gguf.js';
import { MXFP4_VALUES } from '../../src/quant/gguf_codebook.js';
import { unpackCodes } from '../../src/quant/layout.js';
import { dequantizeRef, quantizeRef } from '../../src/ref/quant.js';
import { randomF32, randomGgufBlocks } from '../../src/ref/random.js';

const bits32 = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer));

describe('GGUF MXFP4 / IQ4_NL / IQ4_XS', () => {
  it('MXFP4: e, then 16 bytes of E2M1 codes (element j low nibble, j + 16 high); value FP4[q] * 2^(e - 128)', () => {
    // e = 127: scale 2^-1 on the doubled values, so the codes give the E2M1 values themselves.
    const b = new Uint8Array(17);
    b[0] = 127;
    for (let j = 0; j < 16; j++) b[1 + j] = j | ((15 - j) << 4);
    const want = [...Array(32).keys()].map((e) => (e < 16 ? MXFP4_VALUES[e] : MXFP4_VALUES[31 - e]) / 2);
    expect(Array.from(dequantizeGguf('MXFP4', b, 1, 32))).toEqual(want);
    expect(want.slice(0, 8)).toEqual([0, 0.5, 1, 1.5, 2, 3, 4, 6]);
    const q = importGguf('MXFP4', b, 1, 32);
    // scales 2^(e - 128) held as f16 where every e gives a normal f16 power of two (2^-14 .. 2^15), else as f32
    expect(q.scheme).toMatchObject({ bits: 4, group: 32, symmetric: true, scaleType: 'f16', rule: 'mxfp4' });
    for (const [e, type] of [[114, 'f16'], [143, 'f16'], [113, 'f32'], [144, 'f32']] as const) {
      const two = new Uint8Array(34);
      two.set(b);
      two[17] = e;
      const q2 = importGguf('MXFP4', two, 1, 64);
      expect(q2.scheme.scaleType, `e = ${e}`).toBe(type);
      expect(bits32(dequantizeRef(q2))).toEqual(bits32(dequantizeGguf('MXFP4', two, 1, 64)));
    }
    // the file's 4-bit codes, in element order along K: element j's code is q[j] (j < 16), element 16 + j's 15 - j
    expect(Array.from(unpackCodes(q.codes, 1, 32, 4))).toEqual([...Array(32).keys()].map((e) => (e < 16 ? e : 31 - e)));
    expect(q.scales[0]).toBe(0.5);
    expect(Array.from(dequantizeRef(q))).toEqual(want);
    // e = 130: 4 times the doubled values.
    b[0] = 130;
    expect(dequantizeGguf('MXFP4', b, 1, 32)[7]).toBe(48);
  });
  it('IQ4_NL: f16 d, then the codes into kvalues_iq4nl; IQ4_XS: a 6-bit scale ls per 32, value (d * (ls - 32)) * NL[q]', () => {
    const nl = new Uint8Array(18);
    nl.set([0x00, 0x38]); // d = 0.5
    nl[2] = 0xf0; // element 0: code 0 (-127), element 16: code 15 (113)
    const got = dequantizeGguf('IQ4_NL', nl, 1, 32);
    expect([got[0], got[16], got[1]]).toEqual([-63.5, 56.5, -63.5]);
    expect(importGguf('IQ4_NL', nl, 1, 32).scheme).toMatchObject({ bits: 4, symmetric: true, scaleType: 'f16', rule: 'iq4_nl' });
    const xs = new Uint8Array(136);
    xs.set([0x00, 0x3c]); // d = 1
    // Group 0: ls = 0x1 | (1 << 4) = 17 -> -15; group 1: ls = 0x2 | (2 << 4) = 34 -> 2; group 7: ls = 0xf | (3 << 4) = 63 -> 31.
    xs.set([0x01 | (0x2 << 2) | (0x3 << 14), 0x3 << 6], 2);
    xs[4] = 0x21;
    xs[7] = 0xf0;
    xs[8] = 0x08; // element 0: code 8 (1), element 16: code 0 (-127)
    xs[8 + 16] = 0x0f; // element 32: code 15 (113)
    xs[8 + 7 * 16] = 0x09; // element 224: code 9 (13)
    const v = dequantizeGguf('IQ4_XS', xs, 1, 256);
    expect([v[0], v[16], v[32], v[224]]).toEqual([-15 * 1, -15 * -127, 2 * 113, 31 * 13]);
    const q = importGguf('IQ4_XS', xs, 1, 256);
    expect(Array.from(q.scales)).toEqual([-15, 2, -32, -32, -32, -32, -32, 31]);
    expect(bits32(dequantizeRef(q))).toEqual(bits32(v));
  });
  it('random blocks: the import, dequantized in nibble\'s layout, is the block decoder\'s bit for bit', () => {
    for (const t of ['MXFP4', 'IQ4_NL', 'IQ4_XS'] as const) {
      for (const [N, K, seed] of [[1, 256, 1], [3, 512, 2], [2, 768, 3]]) {
        const bytes = randomGgufBlocks(t, N, K, seed);
        expect(bits32(dequantizeRef(importGguf(t, bytes, N, K))), `${t} [${N}, ${K}]`).toEqual(bits32(dequantizeGguf(t, bytes, N, K)));
      }
    }
    expect(ggufKernelUse('MXFP4')).toBe('matmul_w4a16 (mxfp4: 4.5 (5 with an exponent past f16) bits a weight, the file 4.25)');
    expect(ggufKernelUse('IQ4_NL')).toBe('matmul_w4a16 (iq4_nl: 4.5 bits a weight, the file 4.50)');
    expect(ggufKernelUse('IQ4_XS')).toBe('matmul_w4a16 (iq4_xs: 4.375 bits a weight, the file 4.25)');
  });
  it('bad input: a NaN or overflowing E8M0 exponent, a non-finite d, truncated data, K not a multiple of the block; quantizing is refused', () => {
    const mx = randomGgufBlocks('MXFP4', 2, 64, 4);
    mx[3 * 17] = 255;
    expect(() => importGguf('MXFP4', mx, 2, 64, 'blk.0.ffn_up_exps.weight')).toThrow(/tensor 'blk.0.ffn_up_exps.weight': MXFP4 block 3 \(row 1, k 32, byte 51\) has e \(NaN in E8M0\) = 255/);
    mx[3 * 17] = 253;
    expect(() => importGguf('MXFP4', mx, 2, 64, 'w')).toThrow(/MXFP4 block 3 \(row 1, k 32, byte 51\) has e \(values past f32\) = 253/);
    const xs = randomGgufBlocks('IQ4_XS', 1, 512, 5);
    xs.set([0x00, 0x7c], 136); // block 1's d: Infinity
    expect(() => importGguf('IQ4_XS', xs, 1, 512, 'w')).toThrow(/tensor 'w': IQ4_XS block 1 \(row 0, k 256, byte 136\) has d = Infinity/);
    const nl = randomGgufBlocks('IQ4_NL', 1, 64, 6);
    nl.set([0x00, 0x7e], 18); // NaN
    expect(() => importGguf('IQ4_NL', nl, 1, 64, 'w')).toThrow(/IQ4_NL block 1 \(row 0, k 32, byte 18\) has d = NaN/);
    expect(() => importGguf('MXFP4', new Uint8Array(17 + 10), 1, 64, 'w')).toThrow(/MXFP4 data is truncated: 27 bytes, \[1, 64\] needs 34; block 1 \(row 0, k 32\) has 10 of its 17 bytes/);
    expect(() => importGguf('IQ4_XS', new Uint8Array(136), 1, 128, 'w')).toThrow(/IQ4_XS needs K a multiple of 256, got shape \[1, 128\]/);
    const q = importGguf('MXFP4', randomGgufBlocks('MXFP4', 1, 32, 7), 1, 32);
    expect(() => quantizeRef(randomF32(32, 1), 1, 32, q.scheme, 'w')).toThrow(/quantize: tensor 'w': rule mxfp4 is import-only/);
  });
});
