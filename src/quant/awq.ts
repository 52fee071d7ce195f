// AWQ (GEMM, int4) checkpoints <-> nibble's layout. Repacked once at load: the kernels only read nibble's layout.
//   qweight int32 [K, N/8]: word [k, c] holds 8 columns of row k; nibble i (bits 4i..) holds column 8c + ORDER[i],
//           ORDER = 0, 2, 4, 6, 1, 3, 5, 7 (so column 8c + j sits in nibble INVERSE[j] = 0, 4, 1, 5, 2, 6, 3, 7)
//   qzeros  int32 [K/G, N/8]: the zero points z, packed like qweight;   scales f16 [K/G, N]
//   value = (q - z) * s
import { packCodes, unpackCodes } from './layout.js';
import { f32ToF16Bits } from './f16.js';
import { checkQuantized, zeroKind, type QuantizedTensor } from './scheme.js';
import { checkInt4Shape, checkLength, int4Tensors, scaleValues, schemeForGroup, transpose, type Int4Checkpoint, type Int4Shape } from './gptq.js';

export const AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7] as const;
export const AWQ_INVERSE = [0, 4, 1, 5, 2, 6, 3, 7] as const;

const nib = (word: number, j: number) => (word >>> (4 * AWQ_INVERSE[j])) & 15;

export function importAwq(t: Omit<Int4Checkpoint, 'g_idx'>, shape: Int4Shape, prefix = 'weight'): QuantizedTensor {
  const { N, K } = shape;
  const G = checkInt4Shape('awq', shape, prefix);
  const ng = K / G;
  const C = N / 8;
  checkLength(`${prefix}.qweight`, t.qweight.length, K * C, `[${K}, ${C}]`);
  checkLength(`${prefix}.qzeros`, t.qzeros.length, ng * C, `[${ng}, ${C}]`);
  checkLength(`${prefix}.scales`, t.scales.length, ng * N, `[${ng}, ${N}]`);
  const { values, type } = scaleValues(`${prefix}.scales`, t.scales, N);
  const u = new Uint8Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) u[n * K + k] = nib(t.qweight[k * C + (n >> 3)], n & 7);
  const zeros = new Float32Array(N * ng);
  for (let g = 0; g < ng; g++) for (let n = 0; n < N; n++) zeros[n * ng + g] = nib(t.qzeros[g * C + (n >> 3)], n & 7);
  return { scheme: schemeForGroup(G, K, type), N, K, codes: packCodes(u, N, K, 4), scales: transpose(values, ng, N), zeros };
}

export function exportAwq(q: QuantizedTensor, prefix = 'weight'): Omit<Required<Int4Checkpoint>, 'g_idx'> {
  checkQuantized(q, prefix);
  const { N, K, scheme } = q;
  if (scheme.bits !== 4 || zeroKind(scheme) !== 'int') throw new Error(`awq '${prefix}': needs 4-bit codes with integer zero points, got ${scheme.bits}-bit ${scheme.rule}`);
  const G = scheme.group || K;
  checkInt4Shape('awq', { N, K, group: G }, prefix);
  const ng = K / G;
  const C = N / 8;
  const u = unpackCodes(q.codes, N, K, 4);
  const put = (arr: Int32Array, row: number, n: number, v: number) => {
    arr[row * C + (n >> 3)] |= v << (4 * AWQ_INVERSE[n & 7]);
  };
  const qweight = new Int32Array(K * C);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) put(qweight, k, n, u[n * K + k]);
  const qzeros = new Int32Array(ng * C);
  for (let g = 0; g < ng; g++) {
    for (let n = 0; n < N; n++) {
      const z = q.zeros![n * ng + g];
      if (!(Number.isInteger(z) && z >= 0 && z <= 15)) throw new Error(`awq '${prefix}': zero point [${n}, ${g}] = ${z} does not fit 4 bits`);
      put(qzeros, g, n, z);
    }
  }
  const st = transpose(q.scales, N, ng);
  return { qweight, qzeros, scales: scheme.scaleType === 'f16' ? Uint16Array.from(st, f32ToF16Bits) : st };
}

/** Imports `prefix.qweight/qzeros/scales` of an AWQ (GEMM) checkpoint (e.g. from parseSafetensors). */
export function importAwqTensors(tensors: Readonly<Record<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>>, prefix: string): QuantizedTensor {
  const { t, shape } = int4Tensors('awq', tensors, prefix);
  return importAwq(t, shape, prefix);
}
