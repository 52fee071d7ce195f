// GGUF's lattice ("i-quant") block types of 1 to 3 bits, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and IQ1_M
// (exact import only; the formats as ggml's reference dequantize_row_iq* read them). Each super-block of 256 holds
// an f16 d (IQ1_M: spread over its scales' top nibbles), a small odd integer scale per group of 32 or 16, and per
// run of 8 (IQ3: 4) elements an index into a grid of ggml's (src/quant/iq_grids.ts) whose entries are small
// magnitudes, plus signs or (IQ1) a shift:
//   IQ2_XXS  66 bytes: d, then per group of 32 two u32: four 8-bit grid indices (iq2xxs_grid, values 8 / 25 / 43),
//            and four 7-bit sign indices (ksigns: the 8th sign makes the count of minus signs even) under a 4-bit ls
//            (bits 28..31). Value d (0.5 + ls) / 4 * grid * sign.
//   IQ2_XS   74 bytes: d, 32 u16 (9-bit index into iq2xs_grid, 7-bit sign index), 8 bytes of two 4-bit ls (groups of 16).
//   IQ2_S    82 bytes: d, 32 bytes of the indices' low 8 bits, 32 bytes of explicit signs, 8 bytes qh (2 high bits
//            a run), 8 bytes of two 4-bit ls (groups of 16); iq2s_grid.
//   IQ3_XXS  98 bytes: d, 64 8-bit indices of 4-element runs (iq3xxs_grid: 4, 12, .., 52, 62), then per group of
//            32 a u32: four 7-bit sign indices and ls in bits 28..31. Value d (0.5 + ls) / 2 * grid * sign.
//   IQ3_S    110 bytes: d, 64 bytes of the indices' low 8 bits, 8 bytes qh (their 9th bits), 32 bytes of signs,
//            4 bytes of two 4-bit ls (groups of 32); iq3s_grid (1, 3, .., 15). Value d (1 + 2 ls) * grid * sign.
//   IQ1_S    50 bytes: d, 32 bytes of the indices' low 8 bits, then per group of 32 a u16: 3 high bits per run of 8,
//            a 3-bit ls (bits 12..14) and the shift's sign (bit 15). iq1s_grid (-1, 0, 1): value
//            d (2 ls + 1) (grid + delta), delta -1/8 where bit 15 is set, else +1/8.
//   IQ1_M    56 bytes: 32 bytes of low index bits, 16 bytes qh (3 high bits and a shift sign per run), 8 bytes of
//            3-bit ls (groups of 16), d's 16 bits in the top nibbles of the four u16 of those.
// Every group scale is d times an odd integer sc (2 ls + 1, or 1 + 2 ls) and every grid value over the group's fixed
// divisor (8, 4, 1) is one of at most 16 values (signed, or shifted): so nibble keeps 4-bit codes into a table of
// those values (scheme.ts LUT_VALUES 'iq2', 'iq3xxs', 'iq3s', 'iq1': code = grid level | 8 * negative, IQ1's level | 4 * shift up) and the file's d and sc as the GPU's compact
// s8 storage (int8 sc per group, f16 d per 256): 4.375 bits a weight with groups of 32, 4.625 with groups of 16,
// against the files' 1.56 to 3.44 (the lattice indices are not kept: a kernel reading them would look each one up in
// the type's grid, 2 to 16 KB in ggml's form).
// d * sc is exact in f32, and so is each table value (at most 5 significant bits): the one rounding is the product's,
// as in ggml, so the values are the file's bit for bit.
import { packCodes } from './layout.js';
import { makeScheme, type QuantizedTensor } from './scheme.js';
import { f16BitsToF32 } from './f16.js';
import { s8Values } from './gguf_words.js';
import { IQ1S_GRID, IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID, IQ3S_GRID, IQ3XXS_GRID } from './iq_grids.js';
import type { BadHalf } from './gguf_lowk.js';

export type IquantType = 'IQ2_XXS' | 'IQ2_XS' | 'IQ2_S' | 'IQ3_XXS' | 'IQ3_S' | 'IQ1_S' | 'IQ1_M';

export const IQUANT_BLOCKS: Readonly<Record<IquantType, { bytes: number; elements: number }>> = {
  IQ2_XXS: { bytes: 66, elements: 256 },
  IQ2_XS: { bytes: 74, elements: 256 },
  IQ2_S: { bytes: 82, elements: 256 },
  IQ3_XXS: { bytes: 98, elements: 256 },
  IQ3_S: { bytes: 110, elements: 256 },
  IQ1_S: { bytes: 50, elements: 256 },
  IQ1_M: { bytes: 56, elements: 256 },
};

/** Each type's scale group (16: IQ2_XS, IQ2_S, IQ1_M) and table (LUT_VALUES key). */
export const IQUANT_SCHEMES: Readonly<Record<IquantType, { group: 16 | 32; lut: 'iq2' | 'iq3xxs' | 'iq3s' | 'iq1'; rule: 'iq2_xxs' | 'iq2_xs' | 'iq2_s' | 'iq3_xxs' | 'iq3_s' | 'iq1_s' | 'iq1_m' }>> = {
  IQ2_XXS: { group: 32, lut: 'iq2', rule: 'iq2_xxs' },
  IQ2_XS: { group: 16, lut: 'iq2', rule: 'iq2_xs' },
  IQ2_S: { group: 16, lut: 'iq2', rule: 'iq2_s' },
  IQ3_XXS: { group: 32, lut: 'iq3xxs', rule: 'iq3_xxs' },
  IQ3_S: { group: 32, lut: 'iq3s', rule: 'iq3_s' },
  IQ1_S: { group: 32, lut: 'iq1', rule: 'iq1_s' },
  IQ1_M: { group: 16, lut: 'iq1', rule: 'iq1_m' },
};

/** The grids' magnitudes (level indices of iq_grids.ts; IQ1's values), as ggml's grids hold them. */
export const GRID_LEVELS = { iq2: [8, 25, 43], iq3xxs: [4, 12, 20, 28, 36, 44, 52, 62], iq3s: [1, 3, 5, 7, 9, 11, 13, 15], iq1: [-1, 0, 1] } as const;

type Grid = { entries: number; width: number; bits: number; data: string };
const decoded = new Map<Grid, Uint8Array>();
/** A grid's level indices, entry i's element j at i * width + j. */
function levels(g: Grid): Uint8Array {
  let out = decoded.get(g);
  if (out) return out;
  const raw = Uint8Array.from(atob(g.data), (c) => c.charCodeAt(0));
  out = new Uint8Array(g.entries * g.width);
  for (let i = 0; i < g.entries; i++) {
    const e = raw[2 * i] | (raw[2 * i + 1] << 8);
    for (let j = 0; j < g.width; j++) out[i * g.width + j] = (e >> (g.bits * j)) & ((1 << g.bits) - 1);
  }
  decoded.set(g, out);
  return out;
}

/** ggml's ksigns_iq2xs: 7 sign bits and the 8th that makes their count even. */
const ksigns = (i: number) => i | (((i ^ (i >> 1) ^ (i >> 2) ^ (i >> 3) ^ (i >> 4) ^ (i >> 5) ^ (i >> 6)) & 1) << 7);
const u16 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/**
 * Decodes the super-block at o: each element's 4-bit table code into codes[c .. c + 256), each group's integer
 * scale sc into sc[g0 ..); returns d's f16 bits.
 */
function decodeBlock(t: IquantType, b: Uint8Array, o: number, codes: Uint8Array, c: number, sc: Uint8Array, g0: number): number {
  // A run of `w` elements from grid entry `idx`, sign bits `signs` (bit j: element j negative) or IQ1's shift.
  const run = (grid: Grid, idx: number, e: number, signs: number, shiftUp = false) => {
    const lv = levels(grid);
    for (let j = 0; j < grid.width; j++) codes[c + e + j] = lv[idx * grid.width + j] | (grid === IQ1S_GRID ? (shiftUp ? 4 : 0) : ((signs >> j) & 1) << 3);
  };
  if (t === 'IQ2_XXS') {
    for (let g = 0; g < 8; g++) {
      const a = u32(b, o + 2 + 8 * g);
      const s = u32(b, o + 6 + 8 * g);
      sc[g0 + g] = 2 * (s >>> 28) + 1;
      for (let l = 0; l < 4; l++) run(IQ2XXS_GRID, (a >>> (8 * l)) & 255, 32 * g + 8 * l, ksigns((s >>> (7 * l)) & 127));
    }
  } else if (t === 'IQ2_XS' || t === 'IQ2_S') {
    const xs = t === 'IQ2_XS';
    const scales = o + (xs ? 66 : 74);
    for (let g = 0; g < 8; g++) {
      sc[g0 + 2 * g] = 2 * (b[scales + g] & 15) + 1;
      sc[g0 + 2 * g + 1] = 2 * (b[scales + g] >> 4) + 1;
      for (let l = 0; l < 4; l++) {
        const e = 32 * g + 8 * l;
        if (xs) {
          const q = u16(b, o + 2 + 2 * (4 * g + l));
          run(IQ2XS_GRID, q & 511, e, ksigns(q >> 9));
        } else run(IQ2S_GRID, b[o + 2 + 4 * g + l] | ((b[o + 66 + g] << (8 - 2 * l)) & 0x300), e, b[o + 34 + 4 * g + l]);
      }
    }
  } else if (t === 'IQ3_XXS') {
    for (let g = 0; g < 8; g++) {
      const s = u32(b, o + 66 + 4 * g);
      sc[g0 + g] = 2 * (s >>> 28) + 1;
      for (let l = 0; l < 4; l++) {
        const signs = ksigns((s >>> (7 * l)) & 127);
        run(IQ3XXS_GRID, b[o + 2 + 8 * g + 2 * l], 32 * g + 8 * l, signs);
        run(IQ3XXS_GRID, b[o + 3 + 8 * g + 2 * l], 32 * g + 8 * l + 4, signs >> 4);
      }
    }
  } else if (t === 'IQ3_S') {
    for (let g = 0; g < 8; g++) {
      sc[g0 + g] = 1 + 2 * ((b[o + 106 + (g >> 1)] >> (4 * (g & 1))) & 15);
      const qh = b[o + 66 + g];
      for (let l = 0; l < 4; l++) {
        const signs = b[o + 74 + 4 * g + l];
        run(IQ3S_GRID, b[o + 2 + 8 * g + 2 * l] | ((qh << (8 - 2 * l)) & 256), 32 * g + 8 * l, signs);
        run(IQ3S_GRID, b[o + 3 + 8 * g + 2 * l] | ((qh << (7 - 2 * l)) & 256), 32 * g + 8 * l + 4, signs >> 4);
      }
    }
  } else if (t === 'IQ1_S') {
    for (let g = 0; g < 8; g++) {
      const qh = u16(b, o + 34 + 2 * g);
      sc[g0 + g] = 2 * ((qh >> 12) & 7) + 1;
      for (let l = 0; l < 4; l++) run(IQ1S_GRID, b[o + 2 + 4 * g + l] | (((qh >> (3 * l)) & 7) << 8), 32 * g + 8 * l, 0, !(qh & 0x8000));
    }
  } else {
    // IQ1_M
    const s = [0, 1, 2, 3].map((i) => u16(b, o + 48 + 2 * i));
    for (let g = 0; g < 8; g++) {
      const w = s[g >> 1] >> (6 * (g & 1));
      sc[g0 + 2 * g] = 2 * (w & 7) + 1;
      sc[g0 + 2 * g + 1] = 2 * ((w >> 3) & 7) + 1;
      for (let l = 0; l < 4; l++) {
        const qh = b[o + 32 + 2 * g + (l >> 1)] >> (4 * (l & 1));
        run(IQ1S_GRID, b[o + 4 * g + l] | ((qh & 7) << 8), 32 * g + 8 * l, 0, !(qh & 8));
      }
    }
    return (s[0] >> 12) | ((s[1] >> 8) & 0xf0) | ((s[2] >> 4) & 0xf00) | (s[3] & 0xf000);
  }
  return u16(b, o);
}

/** Writes d's f16 bits h into the super-block at o (IQ1_M: the top nibbles of its four scale u16). */
export function putIquantD(t: IquantType, b: Uint8Array, o: number, h: number): void {
  if (t !== 'IQ1_M') {
    b[o] = h & 255;
    b[o + 1] = h >> 8;
    return;
  }
  for (let i = 0; i < 4; i++) b[o + 49 + 2 * i] = (b[o + 49 + 2 * i] & 15) | (((h >> (4 * i)) & 15) << 4);
}

/** The tensor [N, K] of type t (sizes checked by the caller) in nibble's layout: 4-bit table codes, s8 scales. */
export function importIquant(t: IquantType, bytes: Uint8Array, N: number, K: number, bad: BadHalf): QuantizedTensor {
  const { bytes: B } = IQUANT_BLOCKS[t];
  const { group, rule } = IQUANT_SCHEMES[t];
  const blocks = (N * K) / 256;
  const gps = 256 / group;
  const codes = new Uint8Array(N * K);
  const sc = new Uint8Array(blocks * gps);
  const s8 = { scales: new Uint32Array((blocks * gps) / 4), supers: new Uint32Array(blocks) };
  for (let blk = 0; blk < blocks; blk++) {
    const o = blk * B;
    const d = decodeBlock(t, bytes, o, codes, 256 * blk, sc, gps * blk);
    if (!Number.isFinite(f16BitsToF32(d))) throw bad('d', blk, t === 'IQ1_M' ? o + 48 : o, f16BitsToF32(d));
    s8.supers[blk] = d;
  }
  for (let i = 0; i < sc.length; i++) s8.scales[i >> 2] |= sc[i] << (8 * (i & 3));
  const scheme = makeScheme({ bits: 4, group, rule });
  return { scheme, N, K, codes: packCodes(codes, N, K, 4), scales: s8Values(s8, group), zeros: null, s8 };
}

/**
 * Decodes the blocks straight to f32 [N, K] in ggml's order (the group's f32 scale db, then db * grid * sign, or
 * dl * (grid + delta)), from the grids' magnitudes, not nibble's tables: the cross-check of importIquant's tables and
 * scales (the grid lookups are decodeBlock's, shared with the import; gguf-py's decoder on
 * test/fixtures/gguf_blocks.gguf is the independent check of those).
 */
export function dequantizeIquant(t: IquantType, bytes: Uint8Array, N: number, K: number): Float32Array {
  const { bytes: B } = IQUANT_BLOCKS[t];
  const { group, lut } = IQUANT_SCHEMES[t];
  const out = new Float32Array(N * K);
  const codes = new Uint8Array(256);
  const sc = new Uint8Array(256 / group);
  const f = Math.fround;
  for (let blk = 0; blk < (N * K) / 256; blk++) {
    const d = f16BitsToF32(decodeBlock(t, bytes, blk * B, codes, 0, sc, 0));
    for (let e = 0; e < 256; e++) {
      const ls = (sc[Math.floor(e / group)] - 1) / 2; // the file's 4- or 3-bit scale
      const c = codes[e];
      let v: number;
      if (lut === 'iq1') v = f(f(d * (2 * ls + 1)) * ((c & 3) - 1 + (c & 4 ? 0.125 : -0.125)));
      else {
        const db = lut === 'iq2' ? f(f(d * (0.5 + ls)) * 0.25) : lut === 'iq3xxs' ? f(f(d * (0.5 + ls)) * 0.5) : f(d * (1 + 2 * ls));
        v = f(db * GRID_LEVELS[lut][c & 7]) * (c & 8 ? -1 : 1);
      }
      out[256 * blk + e] = v;
    }
  }
  return out;
}
