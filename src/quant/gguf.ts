// GGUF block formats Q4_0, Q4_1 and Q8_0: exact import into nibble's layout (src/quant/layout.ts) and export back.
// nibble repacks at load: the kernels read one layout only (codes packed along K in u32 words, scales in their own
// array), so a GGUF tensor is converted once here and the matmul/dequant kernels never see blocks.
//
// A GGUF tensor [N, K] (ne0 = K contiguous) is N rows of K/32 blocks; little-endian:
//   Q4_0  18 bytes: f16 d, then 16 bytes: byte j = q[j] | q[j+16] << 4 (j < 16);   value (q - 8) * d
//   Q4_1  20 bytes: f16 d, f16 m, then 16 bytes as Q4_0;                          value q * d + m
//   Q8_0  34 bytes: f16 d, then 32 int8 q;                                        value q * d
import { packCodes, unpackCodes } from './layout.js';
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { checkQuantized, makeScheme, type QuantizedTensor, type QuantScheme } from './scheme.js';

export type GgufBlockType = 'Q4_0' | 'Q4_1' | 'Q8_0';

export const GGUF_BLOCKS: Readonly<Record<GgufBlockType, { bytes: number; elements: number }>> = {
  Q4_0: { bytes: 18, elements: 32 },
  Q4_1: { bytes: 20, elements: 32 },
  Q8_0: { bytes: 34, elements: 32 },
};

/** nibble's scheme for a GGUF block type (group 32, f16 scales). */
export function ggufScheme(t: GgufBlockType): QuantScheme {
  return t === 'Q4_0' ? makeScheme({ bits: 4, group: 32, rule: 'q4_0' }) : t === 'Q4_1' ? makeScheme({ bits: 4, group: 32, rule: 'q4_1' }) : makeScheme({ bits: 8, group: 32, rule: 'q8_0' });
}

function checkType(t: string): asserts t is GgufBlockType {
  if (!(t in GGUF_BLOCKS)) throw new Error(`gguf: block type '${t}' is not supported (Q4_0, Q4_1, Q8_0)`);
}

/** Bytes a [N, K] tensor of block type `t` takes. */
export function ggufBytes(t: GgufBlockType, N: number, K: number): number {
  return N * (K / 32) * GGUF_BLOCKS[t].bytes;
}

function checkSize(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor: string): void {
  if (!Number.isInteger(K) || K % 32 !== 0 || K < 32) throw new Error(`tensor '${tensor}': ${t} needs K a multiple of 32, got shape [${N}, ${K}]`);
  const need = ggufBytes(t, N, K);
  if (bytes.length < need) {
    const B = GGUF_BLOCKS[t].bytes;
    const block = Math.floor(bytes.length / B);
    const perRow = K / 32;
    throw new Error(
      `tensor '${tensor}': ${t} data is truncated: ${bytes.length} bytes, [${N}, ${K}] needs ${need}; block ${block} (row ${Math.floor(block / perRow)}, k ${(block % perRow) * 32}) ` +
        `has ${bytes.length - block * B} of its ${B} bytes`,
    );
  }
  if (bytes.length > need) throw new Error(`tensor '${tensor}': ${t} data has ${bytes.length} bytes, [${N}, ${K}] takes exactly ${need}`);
}

/** Imports GGUF blocks (exactly: codes, f16 d and m are kept bit for bit; NaN/Inf d is refused). */
export function importGguf(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor = 'weight'): QuantizedTensor {
  checkType(t);
  checkSize(t, bytes, N, K, tensor);
  const B = GGUF_BLOCKS[t].bytes;
  const nb = K / 32;
  const codes = new Uint8Array(N * K);
  const scales = new Float32Array(N * nb);
  const zeros = t === 'Q4_1' ? new Float32Array(N * nb) : null;
  const half = (o: number) => bytes[o] | (bytes[o + 1] << 8);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < nb; b++) {
      const o = (n * nb + b) * B;
      const d = f16BitsToF32(half(o));
      if (!Number.isFinite(d)) throw new Error(`tensor '${tensor}': ${t} block ${n * nb + b} (row ${n}, k ${b * 32}, byte ${o}) has d = ${d}`);
      scales[n * nb + b] = d;
      const c = n * K + b * 32;
      if (t === 'Q8_0') {
        for (let j = 0; j < 32; j++) codes[c + j] = ((bytes[o + 2 + j] << 24) >> 24) + 128;
      } else {
        const qo = o + (t === 'Q4_1' ? 4 : 2);
        if (zeros) {
          const m = f16BitsToF32(half(o + 2));
          if (!Number.isFinite(m)) throw new Error(`tensor '${tensor}': Q4_1 block ${n * nb + b} (row ${n}, k ${b * 32}, byte ${o + 2}) has m = ${m}`);
          zeros[n * nb + b] = m;
        }
        for (let j = 0; j < 16; j++) {
          codes[c + j] = bytes[qo + j] & 15;
          codes[c + j + 16] = bytes[qo + j] >> 4;
        }
      }
    }
  }
  return { scheme: ggufScheme(t), N, K, codes: packCodes(codes, N, K, t === 'Q8_0' ? 8 : 4), scales, zeros };
}

/** Exports to GGUF blocks; the tensor's scheme must match the block type (bits, group 32, zero kind, f16 scales). */
export function exportGguf(t: GgufBlockType, q: QuantizedTensor, tensor = 'weight'): Uint8Array {
  checkType(t);
  checkQuantized(q, tensor);
  const want = ggufScheme(t);
  const s = q.scheme;
  if (s.bits !== want.bits || s.group !== 32 || s.symmetric !== want.symmetric || (t === 'Q4_1') !== (s.rule === 'q4_1')) {
    throw new Error(`tensor '${tensor}': ${t} needs ${want.bits}-bit g32 ${want.symmetric ? 'symmetric' : 'float-min'} codes, the tensor is ${s.bits}-bit g${s.group} ${s.rule}`);
  }
  const { N, K } = q;
  const B = GGUF_BLOCKS[t].bytes;
  const nb = K / 32;
  const out = new Uint8Array(ggufBytes(t, N, K));
  const u = unpackCodes(q.codes, N, K, s.bits);
  const putHalf = (o: number, v: number, what: string, i: number) => {
    const h = f32ToF16Bits(v);
    if (f16BitsToF32(h) !== v) throw new Error(`tensor '${tensor}': ${what}[${i}] = ${v} is not an f16 value`);
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

/** Decodes GGUF blocks straight to f32 [N, K] (independent of nibble's layout: the cross-check of importGguf). */
export function dequantizeGguf(t: GgufBlockType, bytes: Uint8Array, N: number, K: number, tensor = 'weight'): Float32Array {
  checkType(t);
  checkSize(t, bytes, N, K, tensor);
  const B = GGUF_BLOCKS[t].bytes;
  const out = new Float32Array(N * K);
  const half = (o: number) => f16BitsToF32(bytes[o] | (bytes[o + 1] << 8));
  for (let blk = 0; blk < (N * K) / 32; blk++) {
    const o = blk * B;
    const d = half(o);
    const y = blk * 32;
    if (t === 'Q8_0') for (let j = 0; j < 32; j++) out[y + j] = ((bytes[o + 2 + j] << 24) >> 24) * d;
    else if (t === 'Q4_0') {
      for (let j = 0; j < 16; j++) {
        out[y + j] = ((bytes[o + 2 + j] & 15) - 8) * d;
        out[y + j + 16] = ((bytes[o + 2 + j] >> 4) - 8) * d;
      }
    } else {
      const m = half(o + 2);
      for (let j = 0; j < 16; j++) {
        out[y + j] = Math.fround((bytes[o + 4 + j] & 15) * d) + m;
        out[y + j + 16] = Math.fround((bytes[o + 4 + j] >> 4) * d) + m;
      }
    }
  }
  return out;
}
