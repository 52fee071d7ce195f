// Quantization schemes: what a group of weights becomes (bits, group size, symmetric or not, scale type, scale
// rule), and the CPU-side container of a quantized [N, K] weight in nibble's layout (src/quant/layout.ts).
//
// Scale rules (x = the values of one group, all arithmetic in f32, each step rounded to f32; rne = round half
// to even, 1/s is the f32 reciprocal; `store` rounds to the scheme's scale type (f16 or f32, ties to even)):
//   absmax   symmetric   s = max|x| / (2^(b-1) - 1); st = store(s); q = clamp(rne(x * (1/st)), -2^(b-1), 2^(b-1)-1)
//   torchao  symmetric   s = max|x| / ((2^b - 1) / 2) (int4: / 7.5); then as absmax (torchao's quantize_affine)
//   q4_0     symmetric   4-bit GGUF: m = the first x of largest |x| (signed; +0 if all are 0); d = m / -8 (may be negative);
//                        st = f16(d); u = min(15, trunc(x * (1/d) + 8.5))  (ggml: codes from the f32 d)
//   q8_0     symmetric   8-bit GGUF: d = max|x| / 127; st = f16(d); q = round-half-away(x * (1/d))  (f32 d)
//   minmax   asymmetric  lo = min(min x, 0), hi = max(max x, 0); s = (hi - lo) / (2^b - 1); st = store(s);
//                        z = clamp(-rne(lo / st), 0, 2^b-1); u = clamp(rne(x * (1/st)) + z, 0, 2^b-1) (PyTorch)
//   q4_1     asymmetric  4-bit GGUF with a float min: lo = min x, hi = max x; d = (hi - lo) / 15; st = f16(d);
//                        m = f16(lo); u = min(15, trunc((x - lo) * (1/d) + 0.5))   (ggml: f32 d and lo)
// Import-only rules (nibble reads these GGUF blocks exactly but does not quantize to them; src/quant/gguf.ts):
//   q4_k     asymmetric  4-bit, group 32, float min: value u * st + m, st = d * sc and m = -(dmin * mq) in f32
//                        (d, dmin f16 per 256; sc, mq 6-bit per 32: both products exact in f32)
//   q5_k     asymmetric  as q4_k with 5-bit values u in [0, 31], held as 8-bit codes
//   q6_k     symmetric   6-bit values q in [-32, 31] held as 8-bit codes u = q + 128, group 16, st = d * sc in f32
//                        (d f16 per 256, sc int8 per 16: exact in f32)
//   q5_0     symmetric   5-bit values q in [-16, 15] held as 8-bit codes u = q + 128, group 32, st = f16 d
//   q5_1     asymmetric  5-bit values u in [0, 31] held as 8-bit codes, group 32, float min: u * st + m, f16 d and m
//   q3_k     symmetric   3-bit values q in [-4, 3] held as 4-bit codes u = q + 8, group 16, st = d * (sc - 32) in f32
//                        (d f16 per 256, sc 6-bit per 16: exact in f32)
//   q2_k     asymmetric  2-bit values u in [0, 3] held as 4-bit codes, group 16, float min: u * st + m,
//                        st = d * sc and m = -(dmin * mq) in f32 (d, dmin f16 per 256; sc, mq 4-bit per 16)
//   mxfp4    symmetric   4-bit codes u into a table (LUT_VALUES: the E2M1 values doubled, -12..12), value T[u] * st,
//                        group 32, st = 2^(e - 128) (an E8M0 exponent e per 32) in f32, or in f16 where a tensor's
//                        every e is within 114..143 (powers of two f16 holds as normal numbers)
//   iq4_nl   symmetric   4-bit codes u into ggml's kvalues_iq4nl (-127..113), value T[u] * st, group 32, st = f16 d
//   iq4_xs   symmetric   as iq4_nl with st = d * (ls - 32) in f32 (d f16 per 256, ls 6-bit per 32: exact in f32)
//   iq2_xxs, iq2_xs, iq2_s, iq3_xxs, iq3_s, iq1_s, iq1_m   symmetric   4-bit codes u into the lattice types' tables
//                        (src/quant/gguf_iquants.ts), value T[u] * st, group 32 (iq2_xs, iq2_s, iq1_m: 16),
//                        st = d * sc in f32 (d f16 per 256, sc an odd integer 1..31 per group: exact in f32)
// A group whose scale is 0 (all zeros) gets codes of value 0 and scale 0: nothing is divided by zero.
// f32 subnormal inputs, differences and scales (|x| < 2^-126) count as a zero of their sign (GPUs may flush them;
// src/ref/quant.ts ftz). q4_0 of an all-zero group: d = +0 / -8 = -0, stored as f16 0x8000, as ggml writes it.
// q4_0, q4_1 and q8_0 give ggml's bytes (test/fixtures/gguf_py*.gguf, quantized by gguf-py's port of ggml's reference
// quantizers), except in a group of only f32 subnormals, where ggml converts an infinite 1/d to an integer (undefined
// in C); nibble flushes those values and stores zero codes (the dequantized values are zeros either way).
// (torchao/PyTorch clamp the scale to eps instead; codes and dequantized values are the same, the stored scale is not.)
// Stored codes are unsigned: symmetric u = q + 2^(b-1). Values: symmetric (u - 2^(b-1)) * st, minmax (u - z) * st,
// q4_1 u * st + m, the table rules T[u] * st; each product (and the q4_1 sum) rounded to f32.
import { wordsPerRow, type Bits } from './layout.js';
import { f32ToF16Bits, f16BitsToF32, roundF16 } from './f16.js';
import { k6GroupsPerSuper, s8GroupsPerSuper } from './gguf_words.js';

/** Rules nibble quantizes with (CPU and GPU). */
export type QuantRule = 'absmax' | 'torchao' | 'q4_0' | 'q8_0' | 'minmax' | 'q4_1';
/** Rules a scheme can carry: the quantizing ones, and those of imported GGUF K-quants (import only). */
export type ScaleRule = QuantRule | 'q4_k' | 'q5_k' | 'q6_k' | 'q5_0' | 'q5_1' | 'q3_k' | 'q2_k' | 'mxfp4' | 'iq4_nl' | 'iq4_xs' | IquantRule;
/** The GGUF lattice types' rules (src/quant/gguf_iquants.ts). */
const IQUANT_RULES = ['iq2_xxs', 'iq2_xs', 'iq2_s', 'iq3_xxs', 'iq3_s', 'iq1_s', 'iq1_m'] as const;
export type IquantRule = (typeof IQUANT_RULES)[number];
export type ScaleType = 'f16' | 'f32';
/** How an asymmetric group stores its offset: none (symmetric), an integer zero point, or a float min. */
export type ZeroKind = 'none' | 'int' | 'float';

export const RULES: readonly QuantRule[] = ['absmax', 'torchao', 'q4_0', 'q8_0', 'minmax', 'q4_1'];
/** Rules of imported tensors only (GGUF Q4_K / Q5_K / Q6_K / Q5_0 / Q5_1 / Q3_K / Q2_K / MXFP4 / IQ4_NL / IQ4_XS / the IQ1-IQ3 types): quantizing with them is refused (checkQuantizable). */
export const IMPORT_RULES: readonly ScaleRule[] = ['q4_k', 'q5_k', 'q6_k', 'q5_0', 'q5_1', 'q3_k', 'q2_k', 'mxfp4', 'iq4_nl', 'iq4_xs', ...IQUANT_RULES];
/** Group sizes the kernels support along K (0 = per channel: one group of K). */
export const GROUP_SIZES: readonly number[] = [16, 32, 64, 128];
export const BITS: readonly Bits[] = [2, 3, 4, 8];
/** The rule's id in the WGSL kernels (shaders/quant/quantize.wgsl). */
export const RULE_ID: Readonly<Record<QuantRule, number>> = { absmax: 0, torchao: 1, q4_0: 2, q8_0: 3, minmax: 4, q4_1: 5 };

export interface QuantScheme {
  bits: Bits;
  /** Group size along K; 0 = per channel (one group covers the row). */
  group: number;
  symmetric: boolean;
  scaleType: ScaleType;
  rule: ScaleRule;
}

export interface SchemeOptions {
  bits: number;
  group?: number;
  symmetric?: boolean;
  scaleType?: ScaleType;
  rule?: ScaleRule;
}

const FIXED: Partial<Record<ScaleRule, { bits: Bits; symmetric: boolean; scaleType: ScaleType; group?: number; /** also allowed */ alsoScale?: ScaleType }>> = {
  q4_0: { bits: 4, symmetric: true, scaleType: 'f16' },
  q8_0: { bits: 8, symmetric: true, scaleType: 'f16' },
  q4_1: { bits: 4, symmetric: false, scaleType: 'f16' },
  q4_k: { bits: 4, symmetric: false, scaleType: 'f32', group: 32 },
  q5_k: { bits: 8, symmetric: false, scaleType: 'f32', group: 32 },
  q6_k: { bits: 8, symmetric: true, scaleType: 'f32', group: 16 },
  q5_0: { bits: 8, symmetric: true, scaleType: 'f16', group: 32 },
  q5_1: { bits: 8, symmetric: false, scaleType: 'f16', group: 32 },
  q3_k: { bits: 4, symmetric: true, scaleType: 'f32', group: 16 },
  q2_k: { bits: 4, symmetric: false, scaleType: 'f32', group: 16 },
  mxfp4: { bits: 4, symmetric: true, scaleType: 'f32', group: 32, alsoScale: 'f16' }, // (f16 where every 2^(e - 128) is a normal f16: e in 114..143)
  iq4_nl: { bits: 4, symmetric: true, scaleType: 'f16', group: 32 },
  iq4_xs: { bits: 4, symmetric: true, scaleType: 'f32', group: 32 },
  iq2_xxs: { bits: 4, symmetric: true, scaleType: 'f32', group: 32 },
  iq2_xs: { bits: 4, symmetric: true, scaleType: 'f32', group: 16 },
  iq2_s: { bits: 4, symmetric: true, scaleType: 'f32', group: 16 },
  iq3_xxs: { bits: 4, symmetric: true, scaleType: 'f32', group: 32 },
  iq3_s: { bits: 4, symmetric: true, scaleType: 'f32', group: 32 },
  iq1_s: { bits: 4, symmetric: true, scaleType: 'f32', group: 32 },
  iq1_m: { bits: 4, symmetric: true, scaleType: 'f32', group: 16 },
};

/** Rules whose groups store a float min (u * s + m) rather than an integer zero point. */
const FLOAT_MIN: readonly ScaleRule[] = ['q4_1', 'q4_k', 'q5_k', 'q5_1', 'q2_k'];

/** Fills defaults (symmetric; absmax, or minmax when asymmetric; f32 scales; f16 for GGUF rules) and validates. */
export function makeScheme(o: SchemeOptions): QuantScheme {
  const symmetric = o.symmetric ?? (o.rule ? o.rule !== 'minmax' && !FLOAT_MIN.includes(o.rule) : true);
  const rule = o.rule ?? (symmetric ? 'absmax' : 'minmax');
  if (!RULES.includes(rule as QuantRule) && !IMPORT_RULES.includes(rule)) throw new Error(`scheme: unknown scale rule '${rule}' (rules: ${RULES.join(', ')}; imported GGUF only: ${IMPORT_RULES.join(', ')})`);
  if (!BITS.includes(o.bits as Bits)) throw new Error(`scheme: bits=${o.bits} is not supported (bits: ${BITS.join(', ')})`);
  const group = o.group ?? 0;
  if (group !== 0 && !GROUP_SIZES.includes(group)) throw new Error(`scheme: group size ${group} is not supported (groups: ${GROUP_SIZES.join(', ')}, or per channel)`);
  const fixed = FIXED[rule];
  const scaleType = o.scaleType ?? fixed?.scaleType ?? 'f32';
  if (fixed) {
    if (o.bits !== fixed.bits) throw new Error(`scheme: rule ${rule} is ${fixed.bits}-bit, not ${o.bits}-bit`);
    if (scaleType !== fixed.scaleType && scaleType !== fixed.alsoScale) throw new Error(`scheme: rule ${rule} stores ${fixed.scaleType}${fixed.alsoScale ? ` or ${fixed.alsoScale}` : ''} scales, not ${scaleType}`);
    if (fixed.group !== undefined && group !== fixed.group) throw new Error(`scheme: rule ${rule} has groups of ${fixed.group}, not ${group || 'one per row'}`);
  }
  const asymRule = rule === 'minmax' || FLOAT_MIN.includes(rule);
  if (symmetric === asymRule) throw new Error(`scheme: rule ${rule} is ${asymRule ? 'asymmetric' : 'symmetric'}, but symmetric=${symmetric}`);
  if (scaleType !== 'f16' && scaleType !== 'f32') throw new Error(`scheme: scale type ${scaleType} is not f16 or f32`);
  return { bits: o.bits as Bits, group, symmetric, scaleType, rule };
}

/** ggml's kvalues_iq4nl: the value of each 4-bit code of IQ4_NL and IQ4_XS, before the scale. */
export const IQ4NL_VALUES: readonly number[] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];
/** The E2M1 values doubled (ggml's kvalues_mxfp4), for MXFP4's codes; the scale carries the half. */
export const MXFP4_VALUES: readonly number[] = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

/**
 * The lattice types' tables (src/quant/gguf_iquants.ts): their grids' magnitudes over each type's divisor, code =
 * level | 8 * negative (IQ2: 8, 25, 43 over 8; IQ3_XXS: 4, 12, .., 52, 62 over 4; IQ3_S: 1, 3, .., 15), and IQ1's
 * grid values -1, 0, 1 shifted by -1/8 (codes 0..2) or +1/8 (4..6); unused codes 0. At most 5 significant bits.
 */
export const IQ2_VALUES: readonly number[] = [1, 3.125, 5.375, 0, 0, 0, 0, 0, -1, -3.125, -5.375, 0, 0, 0, 0, 0];
export const IQ3XXS_VALUES: readonly number[] = [1, 3, 5, 7, 9, 11, 13, 15.5, -1, -3, -5, -7, -9, -11, -13, -15.5];
export const IQ3S_VALUES: readonly number[] = [1, 3, 5, 7, 9, 11, 13, 15, -1, -3, -5, -7, -9, -11, -13, -15];
export const IQ1_VALUES: readonly number[] = [-1.125, -0.125, 0.875, 0, -0.875, 0.125, 1.125, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** The values of lutOf's tables. */
export const LUT_VALUES = { mxfp4: MXFP4_VALUES, iq4nl: IQ4NL_VALUES, iq2: IQ2_VALUES, iq3xxs: IQ3XXS_VALUES, iq3s: IQ3S_VALUES, iq1: IQ1_VALUES } as const;
export type LutTable = keyof typeof LUT_VALUES;

/** The rules whose scales the GPU may keep as compact s8 words (QuantizedTensor.s8). */
const S8_RULES: readonly ScaleRule[] = ['q6_k', 'q3_k', 'iq4_xs', ...IQUANT_RULES];

const LUT_OF: Partial<Record<ScaleRule, LutTable>> = { mxfp4: 'mxfp4', iq4_nl: 'iq4nl', iq4_xs: 'iq4nl', iq2_xxs: 'iq2', iq2_xs: 'iq2', iq2_s: 'iq2', iq3_xxs: 'iq3xxs', iq3_s: 'iq3s', iq1_s: 'iq1', iq1_m: 'iq1' };

/** The table a scheme's 4-bit codes index (the GGUF codebook and lattice rules), or undefined for the counting rules. */
export function lutOf(s: QuantScheme): LutTable | undefined {
  return LUT_OF[s.rule];
}

export function zeroKind(s: QuantScheme): ZeroKind {
  return s.symmetric ? 'none' : FLOAT_MIN.includes(s.rule) ? 'float' : 'int';
}

/** Refuses the import-only rules where a weight would be quantized (`what` names the caller and tensor). */
export function checkQuantizable(s: QuantScheme, what: string): asserts s is QuantScheme & { rule: QuantRule } {
  if (IMPORT_RULES.includes(s.rule)) {
    throw new Error(`${what}: rule ${s.rule} is import-only: nibble reads GGUF ${s.rule.toUpperCase()} blocks exactly (src/quant/gguf.ts) but does not quantize to them; quantize with ${s.rule === 'q4_k' ? 'q4_1 or minmax' : s.symmetric ? 'q8_0 or absmax' : 'minmax'}`);
  }
}

export function groupSize(s: QuantScheme, K: number): number {
  return s.group || K;
}

export function groupsPerRow(s: QuantScheme, K: number): number {
  return Math.ceil(K / groupSize(s, K));
}

export function describeScheme(s: QuantScheme): string {
  return `${s.bits}-bit ${s.group ? `g${s.group}` : 'per-channel'} ${s.symmetric ? 'symmetric' : 'asymmetric'} ${s.rule} (${s.scaleType} scales)`;
}

/** Checks that an [N, K] tensor can take the scheme: K a multiple of the group size. */
export function checkShapeFor(s: QuantScheme, N: number, K: number, tensor = 'w'): void {
  if (!Number.isInteger(N) || !Number.isInteger(K) || N < 1 || K < 1) throw new Error(`tensor '${tensor}': shape [${N}, ${K}] must be two positive integers`);
  if (s.group && K % s.group !== 0) throw new Error(`tensor '${tensor}': K = ${K} (shape [${N}, ${K}], dim 1) is not a multiple of the group size ${s.group}`);
}

/** A quantized [N, K] weight in nibble's layout, on the CPU. */
export interface QuantizedTensor {
  scheme: QuantScheme;
  N: number;
  K: number;
  /** Packed codes, N * wordsPerRow(K, bits) words (src/quant/layout.ts). */
  codes: Uint32Array;
  /** Stored scales [N, groups], as numbers (exactly representable in the scale type). */
  scales: Float32Array;
  /** Integer zero points or float mins [N, groups] (exact in the scale type); null when symmetric. */
  zeros: Float32Array | null;
  /**
   * GGUF Q4_K / Q5_K / Q2_K imports only (Q2_K: 4-bit sc and mq, groups of 16, one super per 16 groups): the same scales and mins as the file holds them, for the GPU's compact 'k6'
   * storage (uploadQuantized): `scales` two 16-bit entries per u32 (group i in half i & 1), each the 6-bit scale
   * sc | the 6-bit min mq << 8; `supers` one u32 per 8 groups (a super-block), f16 d | f16 dmin << 16. Then
   * scale = f32(d) * sc and min = -(f32(dmin) * mq), exactly `scales` and `zeros`.
   */
  k6?: { scales: Uint32Array; supers: Uint32Array };
  /**
   * GGUF Q6_K, Q3_K and IQ4_XS imports only, likewise for the GPU's compact 's8' storage: `scales` the file's int8
   * scale of each group of 16 (Q3_K's 6-bit sc - 32; IQ4_XS: of 32, its 6-bit ls - 32), four per u32 (group i in byte
   * i & 3); `supers` one u32 per super-block of 256 elements (16 groups, or 8 of 32), f16 d in the low half. Then
   * scale = f32(d) * sc, exactly `scales`.
   */
  s8?: { scales: Uint32Array; supers: Uint32Array };
  /**
   * GPTQ act-order (desc_act) imports: the stored columns are the original ones sorted by group, column j being the
   * original column kPerm[j] (W[n, kPerm[j]] = stored[n, j]). The matmuls then take x with the same order
   * (x'[m, j] = x[m, kPerm[j]]: matmulQ does it), and dequantizeRef gives the original order.
   */
  kPerm?: Uint32Array;
}

export function checkQuantized(q: QuantizedTensor, tensor = 'weight'): void {
  const ng = groupsPerRow(q.scheme, q.K);
  const need = q.N * wordsPerRow(q.K, q.scheme.bits);
  if (q.codes.length !== need) throw new Error(`tensor '${tensor}': codes hold ${q.codes.length} words, [${q.N}, ${q.K}] at ${q.scheme.bits} bits needs ${need}`);
  if (q.scales.length !== q.N * ng) throw new Error(`tensor '${tensor}': scales hold ${q.scales.length} values, [${q.N}, ${ng}] needed`);
  if ((q.zeros === null) !== q.scheme.symmetric) throw new Error(`tensor '${tensor}': zeros ${q.zeros ? 'given' : 'missing'} for a ${q.scheme.symmetric ? 'symmetric' : 'asymmetric'} scheme`);
  if (q.zeros && q.zeros.length !== q.N * ng) throw new Error(`tensor '${tensor}': zeros hold ${q.zeros.length} values, [${q.N}, ${ng}] needed`);
  if (q.k6) {
    if (q.scheme.rule !== 'q4_k' && q.scheme.rule !== 'q5_k' && q.scheme.rule !== 'q2_k') throw new Error(`tensor '${tensor}': k6 scales belong to rules q4_k, q5_k and q2_k, not ${q.scheme.rule}`);
    const gps = k6GroupsPerSuper(q.scheme.group);
    if (ng % gps !== 0 || q.k6.scales.length !== (q.N * ng) / 2 || q.k6.supers.length !== (q.N * ng) / gps) throw new Error(`tensor '${tensor}': k6 scales hold ${q.k6.scales.length} and ${q.k6.supers.length} words, [${q.N}, ${ng}] groups need ${(q.N * ng) / 2} and ${(q.N * ng) / gps}`);
  }
  if (q.kPerm) {
    if (q.kPerm.length !== q.K) throw new Error(`tensor '${tensor}': kPerm holds ${q.kPerm.length} columns, K = ${q.K}`);
    const seen = new Uint8Array(q.K);
    for (let j = 0; j < q.K; j++) {
      const k = q.kPerm[j];
      if (!(k < q.K) || seen[k]) throw new Error(`tensor '${tensor}': kPerm is not a permutation of 0..${q.K - 1} (element ${j} = ${k})`);
      seen[k] = 1;
    }
  }
  if (q.s8) {
    if (!S8_RULES.includes(q.scheme.rule)) throw new Error(`tensor '${tensor}': s8 scales belong to rules ${S8_RULES.join(', ')}, not ${q.scheme.rule}`);
    const gps = s8GroupsPerSuper(q.scheme.group);
    if (ng % gps !== 0 || q.s8.scales.length !== (q.N * ng) / 4 || q.s8.supers.length !== (q.N * ng) / gps) throw new Error(`tensor '${tensor}': s8 scales hold ${q.s8.scales.length} and ${q.s8.supers.length} words, [${q.N}, ${ng}] groups need ${(q.N * ng) / 4} and ${(q.N * ng) / gps}`);
  }
}

/** Rounds to the scale type (f16: nearest binary16, ties to even). */
export function storeScale(x: number, t: ScaleType): number {
  return t === 'f16' ? roundF16(x) : Math.fround(x);
}

/**
 * Scales (or zeros) as the GPU reads them: f32 one per u32; f16 two per u32, element 2i in the low half.
 * f16 values must be exactly representable (they are, when they come from storeScale).
 */
export function packScaleWords(values: ArrayLike<number>, t: ScaleType, tensor = 'scales'): Uint32Array {
  if (t === 'f32') return new Uint32Array(Float32Array.from(values).buffer);
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i++) {
    const h = f32ToF16Bits(values[i]);
    if (f16BitsToF32(h) !== Math.fround(values[i]) && !Number.isNaN(values[i])) throw new Error(`tensor '${tensor}': element ${i} = ${values[i]} is not an f16 value`);
    out[i >> 1] |= h << (16 * (i & 1));
  }
  return out;
}

export function unpackScaleWords(words: Uint32Array, count: number, t: ScaleType): Float32Array {
  if (t === 'f32') return new Float32Array(words.buffer, words.byteOffset, count).slice();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = f16BitsToF32((words[i >> 1] >>> (16 * (i & 1))) & 0xffff);
  return out;
}
