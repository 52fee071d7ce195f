// GGUF's lattice types IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and IQ1_M (src/quant/gguf_iquants.ts): the grids
// and tables, hand-decoded blocks, the import against the block decoder on random blocks, and bad input. (The known
// answer from llama.cpp's own decoder, gguf-py, is test/unit/quant.test.ts's gguf_blocks.gguf case, which holds one
// tensor of each; llama.cpp judges whole models of each type in test/kernels/lm_llamacpp.test.ts.)
import { describe, expect, it } from 'vitest';
import { dequantizeGguf, ggufKernelUse, importGguf } from '../../src/quant/gguf.js';
import { GRID_LEVELS, IQUANT_BLOCKS, IQUANT_SCHEMES, putIquantD, type IquantType } from '../../src/quant/gguf_iquants.js';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from '../../src/quant/iq_grids.js';
import { LUT_VALUES, lutOf } from '../../src/quant/scheme.js';
import { unpackCodes } from '../../src/quant/layout.js';
import { dequantizeRef, quantizeRef } from '../../src/ref/quant.js';
import { randomF32, randomGgufBlocks } from '../../src/ref/random.js';

const bits32 = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer));
const TYPES = Object.keys(IQUANT_BLOCKS) as IquantType[];
const D_HALF = 0x3800; // f16 0.5

describe('GGUF IQ1 / IQ2 / IQ3 lattice types', () => {
  it("the grids hold ggml's entry counts, and the first entries as ggml-common.h lists them", () => {
    expect([IQ2XXS_GRID, IQ2XS_GRID, IQ2S_GRID, IQ3XXS_GRID, IQ3S_GRID, IQ1S_GRID].map((g) => g.entries)).toEqual([256, 512, 1024, 256, 512, 2048]);
    // An entry's element j at bits j * width: iq2xxs_grid[1] = 0x080808080808082b (element 0 is 0x2b = 43: level 2),
    // iq3xxs_grid[1] = 0x04040414 (element 0 is 0x14 = 20: level 2), iq1s_grid[1] = 0xffffffffffffff01 (element 0 is +1).
    const entry = (g: typeof IQ2XXS_GRID, i: number) => {
      const raw = Uint8Array.from(atob(g.data), (c) => c.charCodeAt(0));
      const e = raw[2 * i] | (raw[2 * i + 1] << 8);
      return Array.from({ length: g.width }, (_, j) => (e >> (g.bits * j)) & ((1 << g.bits) - 1));
    };
    expect(entry(IQ2XXS_GRID, 0)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(entry(IQ2XXS_GRID, 1)).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
    expect(entry(IQ3XXS_GRID, 1)).toEqual([2, 0, 0, 0]);
    expect(entry(IQ3S_GRID, 3)).toEqual([5, 0, 0, 0]); // 0x0101010b: 11 = level 5
    expect(entry(IQ1S_GRID, 1)).toEqual([2, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("the tables: grid magnitudes over the type's divisor, code = level | 8 * negative (IQ1: | 4 * shifted up)", () => {
    expect(LUT_VALUES.iq2.slice(0, 3).map((v) => v * 8)).toEqual([...GRID_LEVELS.iq2]);
    expect(LUT_VALUES.iq2.slice(8, 11).map((v) => -v * 8)).toEqual([...GRID_LEVELS.iq2]);
    expect(LUT_VALUES.iq3xxs.slice(0, 8).map((v) => v * 4)).toEqual([...GRID_LEVELS.iq3xxs]);
    expect(LUT_VALUES.iq3xxs.slice(8).map((v) => -v * 4)).toEqual([...GRID_LEVELS.iq3xxs]);
    expect(LUT_VALUES.iq3s.slice(0, 8)).toEqual([...GRID_LEVELS.iq3s]);
    expect(LUT_VALUES.iq1.slice(0, 3)).toEqual(GRID_LEVELS.iq1.map((v) => v - 0.125));
    expect(LUT_VALUES.iq1.slice(4, 7)).toEqual(GRID_LEVELS.iq1.map((v) => v + 0.125));
    for (const t of TYPES) expect(lutOf(importGguf(t, randomGgufBlocks(t, 1, 256, 1), 1, 256).scheme), t).toBe(IQUANT_SCHEMES[t].lut);
  });

  it('hand-decoded blocks: grid entry 0 with signs, scales and the IQ1 shift', () => {
    // IQ2_XXS, d = 0.5: group 0's first u32 picks entry 0 (all 8) four times; its second u32 ls = 3 (bits 28..31) and
    // sign index 1 for run 0 (ksigns[1] = 129: elements 0 and 7 negative). Value 0.5 * (0.5 + 3) / 4 * 8 = 3.5.
    const xxs = new Uint8Array(66);
    xxs.set([0x00, 0x38]);
    new DataView(xxs.buffer).setUint32(6, (3 << 28) | 1, true);
    const v = dequantizeGguf('IQ2_XXS', xxs, 1, 256);
    expect(Array.from(v.subarray(0, 8))).toEqual([-3.5, 3.5, 3.5, 3.5, 3.5, 3.5, 3.5, -3.5]);
    expect(Array.from(v.subarray(8, 32))).toEqual(new Array(24).fill(3.5));
    expect(v[32]).toBe(0.5 * 0.5 * 0.25 * 8); // group 1: ls 0
    const q = importGguf('IQ2_XXS', xxs, 1, 256);
    expect(q.scheme).toMatchObject({ bits: 4, group: 32, symmetric: true, rule: 'iq2_xxs' });
    expect(Array.from(unpackCodes(q.codes, 1, 256, 4).subarray(0, 8))).toEqual([8, 0, 0, 0, 0, 0, 0, 8]);
    expect(Array.from(q.scales.subarray(0, 2))).toEqual([0.5 * 7, 0.5]); // d * (2 ls + 1), the table carries the / 8
    expect(q.s8!.supers[0]).toBe(D_HALF);
    expect(bits32(dequantizeRef(q))).toEqual(bits32(v));
    // IQ3_S, d = 0.5: entry 0 (all 1), group 0's ls = 2 (value 0.5 * 5 = 2.5), group 1's ls = 15 (0.5 * 31); element 1 negative.
    const s = new Uint8Array(110);
    s.set([0x00, 0x38]);
    s[106] = 2 | (15 << 4);
    s[74] = 2;
    const v3 = dequantizeGguf('IQ3_S', s, 1, 256);
    expect(Array.from(v3.subarray(0, 4))).toEqual([2.5, -2.5, 2.5, 2.5]);
    expect(v3[32]).toBe(15.5);
    // IQ1_S, d = 0.5: entry 0 (all -1), group 0's ls = 1 (bits 12..14) with bit 15 set (shift -1/8): 0.5 * 3 * -1.125;
    // group 1 without it: 0.5 * 1 * (-1 + 0.125).
    const s1 = new Uint8Array(50);
    s1.set([0x00, 0x38]);
    s1.set([0x00, 0x90], 34);
    const v1 = dequantizeGguf('IQ1_S', s1, 1, 256);
    expect(v1[0]).toBe(0.5 * 3 * -1.125);
    expect(v1[32]).toBe(0.5 * -0.875);
    expect(bits32(dequantizeRef(importGguf('IQ1_S', s1, 1, 256)))).toEqual(bits32(v1));
    // IQ1_M: d's 16 bits in the top nibbles of its scales' four u16 (putIquantD), read back as d.
    const m = new Uint8Array(56);
    putIquantD('IQ1_M', m, 0, D_HALF);
    expect(Array.from(m.subarray(48))).toEqual([0, 0, 0, 0, 0, 0x80, 0, 0x30]);
    expect(dequantizeGguf('IQ1_M', m, 1, 256)[0]).toBe(0.5 * -0.875); // entry 0 (-1), ls 0, shift bit clear: +1/8
  });

  it("random blocks: the import, dequantized in nibble's layout, is the block decoder's bit for bit; the bits a weight on the GPU", () => {
    for (const t of TYPES) {
      for (const [N, K, seed] of [[1, 256, 1], [3, 512, 2]]) {
        const bytes = randomGgufBlocks(t, N, K, seed);
        const q = importGguf(t, bytes, N, K);
        expect(q.s8, t).toBeDefined();
        expect(bits32(dequantizeRef(q)), `${t} [${N}, ${K}]`).toEqual(bits32(dequantizeGguf(t, bytes, N, K)));
      }
    }
    expect(ggufKernelUse('IQ2_XXS')).toBe('matmul_w4a16 (iq2_xxs: 4.375 bits a weight, the file 2.06)');
    expect(ggufKernelUse('IQ2_XS')).toBe('matmul_w4a16 (iq2_xs: 4.625 bits a weight, the file 2.31)');
    expect(ggufKernelUse('IQ1_S')).toBe('matmul_w4a16 (iq1_s: 4.375 bits a weight, the file 1.56)');
  });

  it('bad input: a non-finite d (IQ1_M: its spread bits), truncated data, K not a multiple of 256; quantizing is refused', () => {
    const xs = randomGgufBlocks('IQ3_XXS', 1, 512, 5);
    xs.set([0x00, 0x7c], 98); // block 1's d: Infinity
    expect(() => importGguf('IQ3_XXS', xs, 1, 512, 'blk.0.attn_q.weight')).toThrow(/tensor 'blk.0.attn_q.weight': IQ3_XXS block 1 \(row 0, k 256, byte 98\) has d = Infinity/);
    const m = randomGgufBlocks('IQ1_M', 2, 256, 6);
    putIquantD('IQ1_M', m, 56, 0x7e00); // NaN
    expect(() => importGguf('IQ1_M', m, 2, 256, 'w')).toThrow(/tensor 'w': IQ1_M block 1 \(row 1, k 0, byte 104\) has d = NaN/);
    expect(() => importGguf('IQ2_S', new Uint8Array(82 + 10), 1, 512, 'w')).toThrow(/IQ2_S data is truncated: 92 bytes, \[1, 512\] needs 164; block 1 \(row 0, k 256\) has 10 of its 82 bytes/);
    expect(() => importGguf('IQ2_XS', new Uint8Array(74), 1, 128, 'w')).toThrow(/IQ2_XS needs K a multiple of 256, got shape \[1, 128\]/);
    const q = importGguf('IQ3_S', randomGgufBlocks('IQ3_S', 1, 256, 7), 1, 256);
    expect(() => quantizeRef(randomF32(256, 1), 1, 256, q.scheme, 'w')).toThrow(/quantize: tensor 'w': rule iq3_s is import-only/);
  });
});
