// The GGUF block types whose 4-bit codes index a table of values instead of counting steps of the scale (exact
// import only; the formats as ggml's reference dequantize_row_mxfp4 / _iq4_nl / _iq4_xs read them, checked against
// gguf-py's decoder in test/fixtures/gguf_blocks.gguf). In every block the 16 bytes of codes qs of a group of 32
// hold element j in the low nibble of qs[j] and element j + 16 in the high one (j < 16).
//   MXFP4   17 bytes per 32 (OpenAI's gpt-oss experts; the OCP microscaling format): u8 e (an E8M0 exponent), then
//           qs. Value FP4[q] * 2^(e - 128), FP4 = the E2M1 values doubled, {0, 1, 2, 3, 4, 6, 8, 12} and their
//           negatives for q >= 8 (ggml's kvalues_mxfp4 with its GGML_E8M0_TO_FP32_HALF).
//   IQ4_NL  18 bytes per 32: f16 d, then qs. Value d * NL[q], NL = ggml's kvalues_iq4nl (-127 .. 113, non-uniform).
//   IQ4_XS  136 bytes per 256: f16 d, u16 scales_h, 4 bytes scales_l, then 128 bytes qs (16 per group of 32).
//           Group g's 6-bit scale ls = (scales_l[g / 2] >> 4 (g % 2)) & 15 | ((scales_h >> 2g) & 3) << 4;
//           value (d * (ls - 32)) * NL[q].
// In nibble's layout (src/quant/scheme.ts rules mxfp4, iq4_nl, iq4_xs) each keeps its 4-bit codes, repacked along K,
// with a scale per 32: 2^(e - 128) (f16 where the tensor's every e is within 114..143, powers of two f16 holds as
// normal numbers, else f32), d (f16) or d * (ls - 32) (f32; on the GPU the file's ls - 32 and d as they are: the
// compact s8 storage); the W4A16 kernels read the code's value
// from the table (their LUT variants) and multiply by the scale. The table's values are integers of at most 127 in
// magnitude, and every product is exact in f32 up to its final rounding, so the values are the file's bit for bit,
// in ggml's order. On the GPU that is 4.5 bits a weight for MXFP4 (in range) and IQ4_NL, 4.375 for IQ4_XS, against
// the files' 4.25, 4.5 and 4.25; before 2026-12-07 they were 8-bit codes of the values (9 bits, 8.5).
// MXFP4's e = 255 (NaN in the OCP format; ggml would multiply by 2^127) is refused, and so are 253 and 254, whose
// largest values (12 * 2^125) pass f32's range (ggml's decoder gives infinities); e < 2 gives scales below 2^-126,
// which GPUs may flush to zero (values under 2^-122 in magnitude).
import { packCodes } from './layout.js';
import { IQ4NL_VALUES, makeScheme, MXFP4_VALUES, type QuantizedTensor } from './scheme.js';
import { halfAt as half } from './gguf_words.js';
import type { BadHalf } from './gguf_lowk.js';

export type CodebookType = 'MXFP4' | 'IQ4_NL' | 'IQ4_XS';

export const CODEBOOK_BLOCKS: Readonly<Record<CodebookType, { bytes: number; elements: number }>> = {
  MXFP4: { bytes: 17, elements: 32 },
  IQ4_NL: { bytes: 18, elements: 32 },
  IQ4_XS: { bytes: 136, elements: 256 },
};

export { IQ4NL_VALUES, MXFP4_VALUES };

/** 2^(e - 128): an E8M0 exponent with the half of MXFP4's doubled values folded in (ggml's GGML_E8M0_TO_FP32_HALF). */
export function e8m0Half(e: number): number {
  return 2 ** (e - 128);
}

/** IQ4_XS's 6-bit scale of group g (0..7) of the super-block at o. */
function scaleIq4Xs(bytes: Uint8Array, o: number, g: number): number {
  const lo = (bytes[o + 4 + (g >> 1)] >> (4 * (g & 1))) & 15;
  const hi = ((bytes[o + 2] | (bytes[o + 3] << 8)) >> (2 * g)) & 3;
  return lo | (hi << 4);
}

/** The scale of each group of 32 of a tensor [N, K] of type t, checked finite (bad names the block and byte). */
function groupScales(t: CodebookType, bytes: Uint8Array, N: number, K: number, bad: BadHalf): Float32Array {
  const { bytes: B, elements: E } = CODEBOOK_BLOCKS[t];
  const out = new Float32Array((N * K) / 32);
  for (let blk = 0; blk < (N * K) / E; blk++) {
    const o = blk * B;
    if (t === 'MXFP4') {
      if (bytes[o] > 252) throw bad(bytes[o] === 255 ? 'e (NaN in E8M0)' : 'e (values past f32)', blk, o, bytes[o]);
      out[blk] = e8m0Half(bytes[o]);
      continue;
    }
    const d = half(bytes, o);
    if (!Number.isFinite(d)) throw bad('d', blk, o, d);
    if (t === 'IQ4_NL') out[blk] = d;
    else for (let g = 0; g < 8; g++) out[8 * blk + g] = Math.fround(d * (scaleIq4Xs(bytes, o, g) - 32));
  }
  return out;
}

/** Byte offset of group i's 16 bytes of codes. */
function codesAt(t: CodebookType, i: number): number {
  if (t === 'MXFP4') return 17 * i + 1;
  if (t === 'IQ4_NL') return 18 * i + 2;
  return 136 * (i >> 3) + 8 + 16 * (i & 7);
}

/** The tensor [N, K] of type t (sizes checked by the caller) in nibble's layout: the file's 4-bit codes along K. */
export function importCodebook(t: CodebookType, bytes: Uint8Array, N: number, K: number, bad: BadHalf): QuantizedTensor {
  const scales = groupScales(t, bytes, N, K, bad);
  // MXFP4: f16 scales where every exponent gives a normal f16 power of two (2^-14 .. 2^15; a GPU may flush subnormals)
  const f16 = t === 'MXFP4' && scales.every((s) => s >= 2 ** -14 && s <= 2 ** 15);
  const scheme = makeScheme({ bits: 4, group: 32, rule: t === 'MXFP4' ? 'mxfp4' : t === 'IQ4_NL' ? 'iq4_nl' : 'iq4_xs', ...(f16 ? { scaleType: 'f16' as const } : {}) });
  const codes = new Uint8Array(N * K);
  for (let i = 0; i < scales.length; i++) {
    const qo = codesAt(t, i);
    for (let j = 0; j < 16; j++) {
      codes[32 * i + j] = bytes[qo + j] & 15;
      codes[32 * i + j + 16] = bytes[qo + j] >> 4;
    }
  }
  // IQ4_XS: its int8 ls - 32 per 32 and f16 d per 256 kept as they are for the GPU's compact s8 storage
  const s8 = t === 'IQ4_XS' ? iq4xsWords(bytes, (N * K) / 256) : undefined;
  return { scheme, N, K, codes: packCodes(codes, N, K, 4), scales, zeros: null, ...(s8 ? { s8 } : {}) };
}

/** IQ4_XS's scales as s8 words (QuantizedTensor.s8): ls - 32 of each group of 32, four per u32, and d per super-block. */
function iq4xsWords(bytes: Uint8Array, blocks: number): { scales: Uint32Array; supers: Uint32Array } {
  const scales = new Uint32Array(blocks * 2);
  const supers = new Uint32Array(blocks);
  for (let blk = 0; blk < blocks; blk++) {
    const o = 136 * blk;
    supers[blk] = bytes[o] | (bytes[o + 1] << 8);
    for (let g = 0; g < 8; g++) scales[2 * blk + (g >> 2)] |= ((scaleIq4Xs(bytes, o, g) - 32) & 255) << (8 * (g & 3));
  }
  return { scales, supers };
}

/** Decodes the blocks straight to f32 (ggml's order: the group's scale, then times the table value). */
export function dequantizeCodebook(t: CodebookType, bytes: Uint8Array, N: number, K: number): Float32Array {
  const table = t === 'MXFP4' ? MXFP4_VALUES : IQ4NL_VALUES;
  const out = new Float32Array(N * K);
  const { bytes: B, elements: E } = CODEBOOK_BLOCKS[t];
  for (let blk = 0; blk < (N * K) / E; blk++) {
    const o = blk * B;
    for (let g = 0; g < E / 32; g++) {
      const s = t === 'MXFP4' ? e8m0Half(bytes[o]) : t === 'IQ4_NL' ? half(bytes, o) : Math.fround(half(bytes, o) * (scaleIq4Xs(bytes, o, g) - 32));
      const i = (blk * E) / 32 + g;
      const qo = codesAt(t, i);
      for (let j = 0; j < 16; j++) {
        out[32 * i + j] = Math.fround(table[bytes[qo + j] & 15] * s);
        out[32 * i + j + 16] = Math.fround(table[bytes[qo + j] >> 4] * s);
      }
    }
  }
  return out;
}
