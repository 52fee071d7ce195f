// GGUF block formats Q4_0, Q4_1 and Q8_0 (exact import into nibble's layout, src/quant/layout.ts, and export back),
// and the K-quants Q4_K, Q5_K and Q6_K of llama.cpp's Q4_K_M / Q4_K_S / Q5_K_M / Q6_K files (exact import only; Q2_K
// and Q3_K, of the Q2_K and Q3_K_* files, in src/quant/gguf_lowk.ts; the table-valued MXFP4, IQ4_NL and IQ4_XS in
// src/quant/gguf_codebook.ts; the lattice types IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S and IQ1_M in
// src/quant/gguf_iquants.ts).
// nibble repacks at load: the kernels read one layout only (codes packed along K in u32 words, scales in their own
// array), so a GGUF tensor is converted once here and the matmul/dequant kernels never see blocks.
//
// A GGUF tensor [N, K] (ne0 = K contiguous) is N rows of K/32 blocks (K/256 super-blocks for the K-quants);
// little-endian:
//   Q4_0  18 bytes: f16 d, then 16 bytes: byte j = q[j] | q[j+16] << 4 (j < 16);   value (q - 8) * d
//   Q4_1  20 bytes: f16 d, f16 m, then 16 bytes as Q4_0;                          value q * d + m
//   Q8_0  34 bytes: f16 d, then 32 int8 q;                                        value q * d
//   Q5_0  22 bytes: f16 d, u32 qh, then 16 bytes as Q4_0 (the low 4 bits);  q5 = nibble | bit j of qh << 4,
//         value (q5 - 16) * d
//   Q5_1  24 bytes: f16 d, f16 m, u32 qh, 16 bytes as Q5_0;                       value q5 * d + m
//   Q4_K  144 bytes per 256: f16 d, f16 dmin, 12 bytes of 6-bit scales sc[j] and mins mq[j] of the 8 sub-blocks
//         of 32, then 128 bytes qs. Element e: sub-block j = e / 32; byte qs[32 * (e / 64) + e % 32], its low
//         nibble where j is even, high where odd; value q * (d * sc[j]) - dmin * mq[j].
//         sc[j], mq[j] for j < 4: s[j] & 63, s[j + 4] & 63; for j >= 4: (s[j + 4] & 15) | (s[j - 4] >> 6) << 4,
//         (s[j + 4] >> 4) | (s[j] >> 6) << 4 (s = the 12 bytes).
//   Q5_K  176 bytes per 256: as Q4_K with 32 bytes qh before qs: element e's fifth bit is bit e / 32 of qh[e % 32];
//         value q5 * (d * sc[j]) - dmin * mq[j].
//   Q6_K  210 bytes per 256: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 int8 scales sc (one per 16
//         elements), f16 d. Element e: half h = e / 128, r = e % 128, quarter t = r / 32, l = r % 32;
//         low 4 bits: ql[64h + l + 32 (t & 1)], low nibble for t < 2, high for t >= 2; high 2 bits:
//         (qh[32h + l] >> 2t) & 3; value (q6 - 32) * (d * sc[e / 16]).
// In nibble's layout (src/quant/scheme.ts, import-only rules q4_k, q5_k, q6_k, q5_0, q5_1) Q4_K becomes 4-bit g32
// codes with an f32 scale d * sc[j] and an f32 float min -(dmin * mq[j]), which the GPU keeps compact as the file
// does (QuantizedTensor.k6: 4.625 bits a weight, against the file's 4.5); Q5_K the same with 8-bit codes q5
// (8.625 bits, against 5.5); Q6_K 8-bit codes q6 - 32 + 128 with an f32 scale d * sc
// per 16, which the GPU keeps compact too (QuantizedTensor.s8: 8.625 bits, against 6.56); Q5_0 8-bit codes q5 - 16 + 128 and Q5_1 8-bit codes q5, with their f16 d (and m)
// per 32 (8.5 and 9 bits, against 5.5 and 6). The K-quant products are exact in f32, so the values are the file's,
// bit for bit, computed in ggml's order (product, then the min subtracted).
import { packCodes, unpackCodes } from './layout.js';
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { checkQuantized, makeScheme, type QuantizedTensor, type QuantScheme } from './scheme.js';
import { GgufFileError } from '../io/gguf_error.js';
import { dequantizeLowK, importLowK, LOWK_BLOCKS } from './gguf_lowk.js';
import { CODEBOOK_BLOCKS, dequantizeCodebook, importCodebook } from './gguf_codebook.js';
import { dequantizeIquant, importIquant, IQUANT_BLOCKS, IQUANT_SCHEMES, type IquantType } from './gguf_iquants.js';
import { halfAt as half, k6Values, s8Values } from './gguf_words.js';

export { k6GroupsPerSuper, k6Values, s8Values } from './gguf_words.js';

/** GGUF block data nibble refuses (wrong size or type, a NaN/Inf scale): names the tensor, block, row and byte. */
export class GgufBlockError extends GgufFileError {}

export type GgufBlockType = 'Q4_0' | 'Q4_1' | 'Q8_0' | 'Q5_0' | 'Q5_1' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q3_K' | 'Q2_K' | 'MXFP4' | 'IQ4_NL' | 'IQ4_XS' | IquantType;

export const GGUF_BLOCKS: Readonly<Record<GgufBlockType, { bytes: number; elements: number }>> = {
  Q4_0: { bytes: 18, elements: 32 },
  Q4_1: { bytes: 20, elements: 32 },
  Q8_0: { bytes: 34, elements: 32 },
  Q5_0: { bytes: 22, elements: 32 },
  Q5_1: { bytes: 24, elements: 32 },
  Q4_K: { bytes: 144, elements: 256 },
  Q5_K: { bytes: 176, elements: 256 },
  Q6_K: { bytes: 210, elements: 256 },
  ...LOWK_BLOCKS,
  ...CODEBOOK_BLOCKS,
  ...IQUANT_BLOCKS,
};

/** The block types exportGguf writes (the K-quants are read only). */
export const GGUF_EXPORT_TYPES: readonly GgufBlockType[] = ['Q4_0', 'Q4_1', 'Q8_0'];

const SCHEMES: Readonly<Record<GgufBlockType, Parameters<typeof makeScheme>[0]>> = {
  Q4_0: { bits: 4, group: 32, rule: 'q4_0' },
  Q4_1: { bits: 4, group: 32, rule: 'q4_1' },
  Q8_0: { bits: 8, group: 32, rule: 'q8_0' },
  Q5_0: { bits: 8, group: 32, rule: 'q5_0' },
  Q5_1: { bits: 8, group: 32, rule: 'q5_1' },
  Q4_K: { bits: 4, group: 32, rule: 'q4_k' },
  Q5_K: { bits: 8, group: 32, rule: 'q5_k' },
  Q6_K: { bits: 8, group: 16, rule: 'q6_k' },
  Q3_K: { bits: 4, group: 16, rule: 'q3_k' },
  Q2_K: { bits: 4, group: 16, rule: 'q2_k' },
  MXFP4: { bits: 4, group: 32, rule: 'mxfp4' },
  IQ4_NL: { bits: 4, group: 32, rule: 'iq4_nl' },
  IQ4_XS: { bits: 4, group: 32, rule: 'iq4_xs' },
  ...(Object.fromEntries(Object.entries(IQUANT_SCHEMES).map(([t, { group, rule }]) => [t, { bits: 4, group, rule }])) as Record<IquantType, Parameters<typeof makeScheme>[0]>),
};

/** Byte offsets inside a 32-element block: f16 d, f16 m (float-min types), u32 qh (5-bit types), the codes. */
const LEGACY: Readonly<Record<string, { m?: number; qh?: number; qs: number }>> = {
  Q4_0: { qs: 2 },
  Q4_1: { m: 2, qs: 4 },
  Q8_0: { qs: 2 },
  Q5_0: { qh: 2, qs: 6 },
  Q5_1: { m: 2, qh: 4, qs: 8 },
};

/** nibble's scheme for a GGUF block type (group 32 and f16 scales; Q4_K, Q5_K: f32 scales and mins; Q6_K, Q3_K, Q2_K: group 16, f32). */
export function ggufScheme(t: GgufBlockType): QuantScheme {
  return makeScheme(SCHEMES[t]);
}

function checkType(t: string, tensor: string): asserts t is GgufBlockType {
  if (!(t in GGUF_BLOCKS)) throw new GgufBlockError(`tensor '${tensor}': GGUF type ${t} is not one nibble reads (block types: ${Object.keys(GGUF_BLOCKS).join(', ')})`);
}

/** Bytes a [N, K] tensor of block type `t` takes. */
export function ggufBytes(t: GgufBlockType, N: number, K: number): number {
  return N * (K / GGUF_BLOCKS[t].elements) * GGUF_BLOCKS[t].bytes;
}

function checkSize(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor: string): void {
  const E = GGUF_BLOCKS[t].elements;
  if (!Number.isInteger(K) || K % E !== 0 || K < E) throw new GgufBlockError(`tensor '${tensor}': ${t} needs K a multiple of ${E}, got shape [${N}, ${K}]`);
  const need = ggufBytes(t, N, K);
  if (bytes.length < need) {
    const B = GGUF_BLOCKS[t].bytes;
    const block = Math.floor(bytes.length / B);
    const perRow = K / E;
    throw new GgufBlockError(
      `tensor '${tensor}': ${t} data is truncated: ${bytes.length} bytes, [${N}, ${K}] needs ${need}; block ${block} (row ${Math.floor(block / perRow)}, k ${(block % perRow) * E}) ` +
        `has ${bytes.length - block * B} of its ${B} bytes`,
    );
  }
  if (bytes.length > need) throw new GgufBlockError(`tensor '${tensor}': ${t} data has ${bytes.length} bytes, [${N}, ${K}] takes exactly ${need}`);
}

/**
 * What nibble runs a GGUF tensor of `type` on: 'float' (F32, F16, BF16), the fused matmul kernels with the scheme's
 * rule and the bits a weight on the GPU against the file's, or 'not read by nibble'.
 */
export function ggufKernelUse(type: string): string {
  if (type === 'F32' || type === 'F16' || type === 'BF16') return 'float';
  if (!(type in GGUF_BLOCKS)) return 'not read by nibble';
  const s = ggufScheme(type as GgufBlockType);
  const { bytes, elements } = GGUF_BLOCKS[type as GgufBlockType];
  const kernels = s.bits === 4 ? 'matmul_w4a16' : `matmul_w4a16 bits=8${s.symmetric ? ', matmul_w8a8' : ''}`;
  // The K-quants keep their scales compact on the GPU: Q4_K / Q5_K 'k6' (16 bits a group of 32, 32 a super-block of
  // 256; Q2_K the same entries a group of 16), Q6_K and Q3_K 's8' (8 bits a group of 16, 32 a super-block), IQ4_XS
  // 's8' with groups of 32, the lattice types (IQ1-IQ3) 's8' with their groups of 32 or 16.
  const compact = s.rule === 'q4_k' || s.rule === 'q5_k' ? 16 / 32 + 32 / 256 : s.rule === 'q2_k' ? 16 / 16 + 32 / 256 : s.rule === 'q6_k' || s.rule === 'q3_k' ? 8 / 16 + 32 / 256 : s.rule === 'iq4_xs' || type in IQUANT_BLOCKS ? 8 / s.group + 32 / 256 : null;
  const scaleBits = compact ?? ((s.symmetric ? 1 : 2) * (s.scaleType === 'f16' ? 16 : 32)) / s.group;
  // (MXFP4: f16 scales where every exponent is a power of two f16 holds, as in released files; f32 otherwise)
  const bits = s.rule === 'mxfp4' ? `4.5 (5 with an exponent past f16)` : `${s.bits + scaleBits}`;
  return `${kernels} (${s.rule}: ${bits} bits a weight, the file ${((8 * bytes) / elements).toFixed(2)})`;
}

/** Q4_K's 6-bit scale and min of sub-block j (0..7) from the 12 bytes at o. */
function scaleMinK4(bytes: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [bytes[o + j] & 63, bytes[o + j + 4] & 63];
  return [(bytes[o + j + 4] & 15) | ((bytes[o + j - 4] >> 6) << 4), (bytes[o + j + 4] >> 4) | ((bytes[o + j] >> 6) << 4)];
}

/** Q6_K's 6-bit code (0..63) of element e (0..255) of the super-block at o. */
function q6(bytes: Uint8Array, o: number, e: number): number {
  const h = e >> 7;
  const r = e & 127;
  const t = r >> 5;
  const l = r & 31;
  const lo = bytes[o + 64 * h + l + 32 * (t & 1)];
  return ((t < 2 ? lo & 15 : lo >> 4) | (((bytes[o + 128 + 32 * h + l] >> (2 * t)) & 3) << 4));
}

/** Where a K-quant super-block's f16 is not finite: the error naming tensor, block, row, k and byte. */
function badHalf(tensor: string, t: GgufBlockType, what: string, blk: number, perRow: number, o: number, v: number): GgufBlockError {
  return new GgufBlockError(`tensor '${tensor}': ${t} block ${blk} (row ${Math.floor(blk / perRow)}, k ${(blk % perRow) * GGUF_BLOCKS[t].elements}, byte ${o}) has ${what} = ${v}`);
}

function importK(t: 'Q4_K' | 'Q5_K' | 'Q6_K', bytes: Uint8Array, N: number, K: number, tensor: string): QuantizedTensor {
  const B = GGUF_BLOCKS[t].bytes;
  const perRow = K / 256;
  const scheme = ggufScheme(t);
  const codes = new Uint8Array(N * K);
  // The scales as the file holds them (the GPU's compact storage), expanded to f32 values at the end.
  // Q4_K / Q5_K: the 6-bit scales and mins and the f16 d, dmin as they are.
  const k6 = t !== 'Q6_K' ? { scales: new Uint32Array((N * K) / 64), supers: new Uint32Array((N * K) / 256) } : undefined;
  // Q6_K: its int8 scales (four per word) and f16 d as they are, for the GPU's compact storage.
  const s8 = t === 'Q6_K' ? { scales: new Uint32Array((N * K) / 64), supers: new Uint32Array((N * K) / 256) } : undefined;
  for (let blk = 0; blk < N * perRow; blk++) {
    const o = blk * B;
    const c = blk * 256; // rows are whole super-blocks: element c of the tensor
    if (t !== 'Q6_K') {
      const d = half(bytes, o);
      const dmin = half(bytes, o + 2);
      if (!Number.isFinite(d)) throw badHalf(tensor, t, 'd', blk, perRow, o, d);
      if (!Number.isFinite(dmin)) throw badHalf(tensor, t, 'dmin', blk, perRow, o + 2, dmin);
      const qh = t === 'Q5_K' ? o + 16 : -1; // Q5_K: 32 bytes of fifth bits before qs
      k6!.supers[blk] = (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
      for (let j = 0; j < 8; j++) {
        const [sc, mq] = scaleMinK4(bytes, o + 4, j);
        k6!.scales[4 * blk + (j >> 1)] |= (sc | (mq << 8)) << (16 * (j & 1));
        const qo = o + (qh < 0 ? 16 : 48) + 32 * (j >> 1);
        for (let l = 0; l < 32; l++) {
          const q4 = j & 1 ? bytes[qo + l] >> 4 : bytes[qo + l] & 15;
          codes[c + 32 * j + l] = qh < 0 ? q4 : q4 | (((bytes[qh + l] >> j) & 1) << 4);
        }
      }
    } else {
      const d = half(bytes, o + 208);
      if (!Number.isFinite(d)) throw badHalf(tensor, t, 'd', blk, perRow, o + 208, d);
      for (let w = 0; w < 4; w++) s8!.scales[4 * blk + w] = (bytes[o + 192 + 4 * w] | (bytes[o + 193 + 4 * w] << 8) | (bytes[o + 194 + 4 * w] << 16) | (bytes[o + 195 + 4 * w] << 24)) >>> 0;
      s8!.supers[blk] = bytes[o + 208] | (bytes[o + 209] << 8);
      for (let e = 0; e < 256; e++) codes[c + e] = q6(bytes, o, e) - 32 + 128;
    }
  }
  const packed = packCodes(codes, N, K, scheme.bits);
  if (k6) return { scheme, N, K, codes: packed, ...k6Values(k6), k6 };
  return { scheme, N, K, codes: packed, scales: s8Values(s8!), zeros: null, s8 };
}

/** Imports GGUF blocks (exactly: codes, f16 d and m are kept bit for bit, K-quant scales as their exact f32
 *  products; NaN/Inf d, m or dmin is refused). */
export function importGguf(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor = 'weight'): QuantizedTensor {
  checkType(t, tensor);
  checkSize(t, bytes, N, K, tensor);
  if (t === 'Q4_K' || t === 'Q5_K' || t === 'Q6_K') return importK(t, bytes, N, K, tensor);
  if (t === 'Q3_K' || t === 'Q2_K') return importLowK(t, bytes, N, K, (what, blk, o, v) => badHalf(tensor, t, what, blk, K / 256, o, v));
  if (t === 'MXFP4' || t === 'IQ4_NL' || t === 'IQ4_XS') return importCodebook(t, bytes, N, K, (what, blk, o, v) => badHalf(tensor, t, what, blk, K / GGUF_BLOCKS[t].elements, o, v));
  if (t in IQUANT_BLOCKS) return importIquant(t as IquantType, bytes, N, K, (what, blk, o, v) => badHalf(tensor, t, what, blk, K / 256, o, v));
  const B = GGUF_BLOCKS[t].bytes;
  const L = LEGACY[t];
  const scheme = ggufScheme(t);
  const nb = (N * K) / 32;
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(nb);
  const zeros = L.m !== undefined ? new Float32Array(nb) : null;
  // Stored codes: Q4_0 and Q4_1 the nibble, Q8_0 q + 128, Q5_0 q5 - 16 + 128, Q5_1 q5 (src/quant/scheme.ts).
  const bias = t === 'Q5_0' ? 112 : 0;
  for (let blk = 0; blk < nb; blk++) {
    const o = blk * B;
    const d = half(bytes, o);
    if (!Number.isFinite(d)) throw badHalf(tensor, t, 'd', blk, K / 32, o, d);
    scales[blk] = d;
    if (zeros) {
      const m = half(bytes, o + L.m!);
      if (!Number.isFinite(m)) throw badHalf(tensor, t, 'm', blk, K / 32, o + L.m!, m);
      zeros[blk] = m;
    }
    const c = blk * 32;
    const qo = o + L.qs;
    if (t === 'Q8_0') {
      for (let j = 0; j < 32; j++) codes[c + j] = ((bytes[qo + j] << 24) >> 24) + 128;
      continue;
    }
    const qh = L.qh === undefined ? 0 : (bytes[o + L.qh] | (bytes[o + L.qh + 1] << 8) | (bytes[o + L.qh + 2] << 16) | (bytes[o + L.qh + 3] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      codes[c + j] = (bytes[qo + j] & 15) + (((qh >>> j) & 1) << 4) + bias;
      codes[c + j + 16] = (bytes[qo + j] >> 4) + (((qh >>> (j + 16)) & 1) << 4) + bias;
    }
  }
  return { scheme, N, K, codes: packCodes(codes, N, K, scheme.bits), scales, zeros };
}

/** Exports to GGUF blocks; the tensor's scheme must match the block type (bits, group 32, zero kind, f16 scales). */
export function exportGguf(t: GgufBlockType, q: QuantizedTensor, tensor = 'weight'): Uint8Array {
  checkType(t, tensor);
  if (!GGUF_EXPORT_TYPES.includes(t)) throw new GgufBlockError(`tensor '${tensor}': export to ${t} is not supported (nibble reads ${t} but writes ${GGUF_EXPORT_TYPES.join(', ')})`);
  checkQuantized(q, tensor);
  const want = ggufScheme(t);
  const s = q.scheme;
  if (s.bits !== want.bits || s.group !== 32 || s.symmetric !== want.symmetric || (t === 'Q4_1') !== (s.rule === 'q4_1')) {
    throw new GgufBlockError(`tensor '${tensor}': ${t} needs ${want.bits}-bit g32 ${want.symmetric ? 'symmetric' : 'float-min'} codes, the tensor is ${s.bits}-bit g${s.group} ${s.rule}`);
  }
  const { N, K } = q;
  const B = GGUF_BLOCKS[t].bytes;
  const nb = K / 32;
  const out = new Uint8Array(ggufBytes(t, N, K));
  const u = unpackCodes(q.codes, N, K, s.bits);
  const putHalf = (o: number, v: number, what: string, i: number) => {
    const h = f32ToF16Bits(v);
    if (f16BitsToF32(h) !== v) throw new GgufBlockError(`tensor '${tensor}': ${what}[${i}] = ${v} is not an f16 value`);
    out[o] = h & 255;
    out[o + 1] = h >> 8;
  };
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nb; b++) {
      const i = n * nb + b;
      const o = i * B;
      putHalf(o, q.scales[i], 'scales', i);
      const c = n * K + b * 32;
      if (t === 'Q8_0') {
        for (let j = 0; j < 32; j++) out[o + 2 + j] = (u[c + j] - 128) & 255;
      } else {
        if (t === 'Q4_1') putHalf(o + 2, q.zeros![i], 'zeros', i);
        const qo = o + (t === 'Q4_1' ? 4 : 2);
        for (let j = 0; j < 16; j++) out[qo + j] = u[c + j] | (u[c + j + 16] << 4);
      }
    }
  }
  return out;
}

/** Rows `rows` of a GGUF tensor [N, K] (its blocks as stored), decoded by dequantizeGguf: f32 [rows.length, K]. */
export function dequantizeGgufRows(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, rows: readonly number[], tensor = 'weight'): Float32Array {
  const rowBytes = ggufBytes(t, 1, K);
  if (bytes.length !== N * rowBytes) throw new GgufBlockError(`tensor '${tensor}': ${t} data has ${bytes.length} bytes, [${N}, ${K}] takes exactly ${N * rowBytes}`);
  const out = new Float32Array(rows.length * K);
  rows.forEach((n, j) => out.set(dequantizeGguf(t, bytes.subarray(n * rowBytes, (n + 1) * rowBytes), 1, K, tensor), j * K));
  return out;
}

/** Decodes GGUF blocks straight to f32 [N, K] (independent of nibble's layout: the cross-check of importGguf). */
export function dequantizeGguf(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor = 'weight'): Float32Array {
  checkType(t, tensor);
  checkSize(t, bytes, N, K, tensor);
  const B = GGUF_BLOCKS[t].bytes;
  if (t === 'Q3_K' || t === 'Q2_K') return dequantizeLowK(t, bytes, N, K);
  if (t === 'MXFP4' || t === 'IQ4_NL' || t === 'IQ4_XS') return dequantizeCodebook(t, bytes, N, K);
  if (t in IQUANT_BLOCKS) return dequantizeIquant(t as IquantType, bytes, N, K);
  const out = new Float32Array(N * K);
  if (t === 'Q4_K' || t === 'Q5_K' || t === 'Q6_K') {
    // ggml's order: the f32 scale (and min) products first, then q times the scale (minus the min).
    for (let blk = 0; blk < (N * K) / 256; blk++) {
      const o = blk * B;
      const y = blk * 256;
      if (t !== 'Q6_K') {
        const d = half(bytes, o);
        const dmin = half(bytes, o + 2);
        const q5 = t === 'Q5_K';
        for (let e = 0; e < 256; e++) {
          const j = e >> 5;
          const [sc, mq] = scaleMinK4(bytes, o + 4, j);
          const b = bytes[o + (q5 ? 48 : 16) + 32 * (e >> 6) + (e & 31)];
          const hi = q5 && bytes[o + 16 + (e & 31)] & (1 << j) ? 16 : 0;
          out[y + e] = Math.fround(Math.fround(d * sc) * ((j & 1 ? b >> 4 : b & 15) + hi)) - Math.fround(dmin * mq);
        }
      } else {
        const d = half(bytes, o + 208);
        for (let e = 0; e < 256; e++) out[y + e] = Math.fround(d * ((bytes[o + 192 + (e >> 4)] << 24) >> 24)) * (q6(bytes, o, e) - 32);
      }
    }
    return out;
  }
  const hf = (o: number) => half(bytes, o);
  for (let blk = 0; blk < (N * K) / 32; blk++) {
    const o = blk * B;
    const d = hf(o);
    const y = blk * 32;
    if (t === 'Q8_0') for (let j = 0; j < 32; j++) out[y + j] = ((bytes[o + 2 + j] << 24) >> 24) * d;
    else if (t === 'Q5_0' || t === 'Q5_1') {
      const m = t === 'Q5_1' ? hf(o + 2) : 0;
      const h = t === 'Q5_1' ? o + 4 : o + 2;
      const qh = bytes[h] + 256 * bytes[h + 1] + 65536 * bytes[h + 2] + 16777216 * bytes[h + 3];
      const bit = (i: number) => (Math.floor(qh / 2 ** i) % 2) * 16;
      for (let j = 0; j < 16; j++) {
        const b = bytes[h + 4 + j];
        const x0 = (b & 15) + bit(j);
        const x1 = (b >> 4) + bit(j + 16);
        if (t === 'Q5_0') {
          out[y + j] = (x0 - 16) * d;
          out[y + j + 16] = (x1 - 16) * d;
        } else {
          out[y + j] = Math.fround(x0 * d) + m;
          out[y + j + 16] = Math.fround(x1 * d) + m;
        }
      }
    }
    else if (t === 'Q4_0') {
      for (let j = 0; j < 16; j++) {
        out[y + j] = ((bytes[o + 2 + j] & 15) - 8) * d;
        out[y + j + 16] = ((bytes[o + 2 + j] >> 4) - 8) * d;
      }
    } else {
      const m = hf(o + 2);
      for (let j = 0; j < 16; j++) {
        out[y + j] = Math.fround((bytes[o + 4 + j] & 15) * d) + m;
        out[y + j + 16] = Math.fround((bytes[o + 4 + j] >> 4) * d) + m;
      }
    }
  }
  return out;
}
