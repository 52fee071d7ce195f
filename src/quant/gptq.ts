// GPTQ (v1, int4) checkpoints <-> nibble's layout. Repacked once at load: the kernels only read nibble's layout.
//   qweight int32 [K/8, N]: word [i, n] holds the codes of k = 8i..8i+7 of column n, code k at bits 4*(k%8)
//           (so column n of qweight is exactly row n of nibble's 4-bit codes: the import is a transpose)
//   qzeros  int32 [K/G, N/8]: word [g, c] holds z-1 of column n = 8c+j at bits 4j (v1 stores zero - 1, mod 16,
//           so a stored 15 reads back as z = 16; nibble keeps that value, its zeros are not limited to 4 bits)
//   scales  f16 [K/G, N];  g_idx int32 [K] (optional): the group of each column, k / G, or for act-order (desc_act)
//           checkpoints any assignment of exactly G columns to each group; nibble then stores the columns sorted by
//           group (stable) and keeps the order in QuantizedTensor.kPerm (the matmuls permute x to match)
//   value = (q - z) * s
import { wordsPerRow } from './layout.js';
import { f16BitsToF32, f32ToF16Bits } from './f16.js';
import { checkQuantized, zeroKind, makeScheme, type QuantizedTensor } from './scheme.js';

export interface Int4Checkpoint {
  qweight: Int32Array;
  qzeros: Int32Array;
  /** f16 bits (Uint16Array) or f32 values. */
  scales: Uint16Array | Float32Array;
  g_idx?: Int32Array;
}

export interface Int4Shape {
  N: number;
  K: number;
  /** Group size along K; -1 or K: per channel. */
  group: number;
}

export function checkInt4Shape(fmt: string, s: Int4Shape, prefix: string): number {
  const G = s.group === -1 ? s.K : s.group;
  if (!(s.N > 0 && s.K > 0 && s.N % 8 === 0 && s.K % 8 === 0)) throw new Error(`${fmt} '${prefix}': shape [N=${s.N}, K=${s.K}] must have N and K multiples of 8`);
  if (!(G > 0 && s.K % G === 0)) throw new Error(`${fmt} '${prefix}': K = ${s.K} is not a multiple of the group size ${G}`);
  return G;
}

export function checkLength(name: string, got: number, want: number, shape: string): void {
  if (got !== want) throw new Error(`tensor '${name}': ${got} elements, shape ${shape} needs ${want}`);
}

/** Scale values as numbers; f16 bits are decoded exactly. Refuses NaN/Inf naming the position. */
export function scaleValues(name: string, s: Uint16Array | Float32Array, cols: number): { values: Float32Array; type: 'f16' | 'f32' } {
  const values = s instanceof Uint16Array ? Float32Array.from(s, f16BitsToF32) : Float32Array.from(s);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`tensor '${name}': element [${Math.floor(i / cols)}, ${i % cols}] is ${values[i]}`);
  }
  return { values, type: s instanceof Uint16Array ? 'f16' : 'f32' };
}

export function schemeForGroup(G: number, K: number, type: 'f16' | 'f32') {
  return makeScheme({ bits: 4, group: G === K && !(G <= 128 && [16, 32, 64, 128].includes(G)) ? 0 : G, symmetric: false, rule: 'minmax', scaleType: type });
}

/** Transposes [rows, cols] to [cols, rows]. */
export function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c];
  return out;
}

export function importGptq(t: Int4Checkpoint, shape: Int4Shape, prefix = 'weight'): QuantizedTensor {
  const { N, K } = shape;
  const G = checkInt4Shape('gptq', shape, prefix);
  const ng = K / G;
  checkLength(`${prefix}.qweight`, t.qweight.length, (K / 8) * N, `[${K / 8}, ${N}]`);
  checkLength(`${prefix}.qzeros`, t.qzeros.length, ng * (N / 8), `[${ng}, ${N / 8}]`);
  checkLength(`${prefix}.scales`, t.scales.length, ng * N, `[${ng}, ${N}]`);
  let perm: Uint32Array | null = null;
  if (t.g_idx) {
    checkLength(`${prefix}.g_idx`, t.g_idx.length, K, `[${K}]`);
    const count = new Int32Array(ng);
    for (let k = 0; k < K; k++) {
      const g = t.g_idx[k];
      if (!(Number.isInteger(g) && g >= 0 && g < ng)) throw new Error(`tensor '${prefix}.g_idx': element ${k} = ${g} is not a group index in 0..${ng - 1}`);
      count[g]++;
    }
    const off = count.findIndex((c) => c !== G);
    if (off >= 0) throw new Error(`tensor '${prefix}.g_idx': group ${off} has ${count[off]} columns, not ${G} (act-order checkpoints give every group exactly G)`);
    let ordered = true;
    for (let k = 0; k < K && ordered; k++) ordered = t.g_idx[k] === Math.floor(k / G);
    if (!ordered) {
      // Act-order: the columns sorted by group, stably (column j of the stored weight is the original column perm[j]).
      perm = Uint32Array.from([...Array(K).keys()].sort((a, b) => t.g_idx![a] - t.g_idx![b] || a - b));
    }
  }
  const { values, type } = scaleValues(`${prefix}.scales`, t.scales, N);
  const wpr = wordsPerRow(K, 4);
  const codes = new Uint32Array(N * wpr);
  if (perm) {
    const code = (n: number, k: number) => (t.qweight[(k >> 3) * N + n] >>> (4 * (k & 7))) & 15;
    for (let n = 0; n < N; n++) for (let j = 0; j < K; j++) codes[n * wpr + (j >> 3)] |= code(n, perm[j]) << (4 * (j & 7));
  } else {
    for (let i = 0; i < K / 8; i++) for (let n = 0; n < N; n++) codes[n * wpr + i] = t.qweight[i * N + n] >>> 0;
  }
  const zeros = new Float32Array(N * ng);
  for (let g = 0; g < ng; g++) {
    for (let n = 0; n < N; n++) zeros[n * ng + g] = ((t.qzeros[g * (N / 8) + (n >> 3)] >>> (4 * (n & 7))) & 15) + 1;
  }
  return { scheme: schemeForGroup(G, K, type), N, K, codes, scales: transpose(values, ng, N), zeros, ...(perm ? { kPerm: perm } : {}) };
}

/** Exports to GPTQ v1 (scales as f16 bits when the scheme's scales are f16). Zero points must be in [1, 16]. */
export function exportGptq(q: QuantizedTensor, prefix = 'weight'): Required<Int4Checkpoint> {
  checkQuantized(q, prefix);
  const { N, K, scheme } = q;
  if (scheme.bits !== 4 || zeroKind(scheme) !== 'int') throw new Error(`gptq '${prefix}': needs 4-bit codes with integer zero points, got ${scheme.bits}-bit ${scheme.rule}`);
  const G = scheme.group || K;
  checkInt4Shape('gptq', { N, K, group: G }, prefix);
  const ng = K / G;
  const wpr = wordsPerRow(K, 4);
  const qweight = new Int32Array((K / 8) * N);
  if (q.kPerm) {
    // Act-order: each stored column j goes back to its original column kPerm[j], and g_idx says its group.
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < K; j++) {
        const k = q.kPerm[j];
        qweight[(k >> 3) * N + n] |= ((q.codes[n * wpr + (j >> 3)] >>> (4 * (j & 7))) & 15) << (4 * (k & 7));
      }
    }
  } else {
    for (let i = 0; i < K / 8; i++) for (let n = 0; n < N; n++) qweight[i * N + n] = q.codes[n * wpr + i] | 0;
  }
  const qzeros = new Int32Array(ng * (N / 8));
  for (let g = 0; g < ng; g++) {
    for (let n = 0; n < N; n++) {
      const z = q.zeros![n * ng + g];
      if (!(Number.isInteger(z) && z >= 1 && z <= 16)) throw new Error(`gptq '${prefix}': zero point [${n}, ${g}] = ${z} cannot be stored as z-1 in 4 bits (v1 needs 1..16)`);
      qzeros[g * (N / 8) + (n >> 3)] |= (z - 1) << (4 * (n & 7));
    }
  }
  const st = transpose(q.scales, N, ng);
  const scales = scheme.scaleType === 'f16' ? Uint16Array.from(st, f32ToF16Bits) : st;
  const g_idx = Int32Array.from({ length: K }, (_, k) => Math.floor(k / G));
  if (q.kPerm) q.kPerm.forEach((k, j) => (g_idx[k] = Math.floor(j / G)));
  return { qweight, qzeros, scales, g_idx };
}

type TensorLike = { dtype: string; shape: number[]; data: ArrayLike<number> };

/** Shapes and dtypes of a GPTQ/AWQ tensor set `prefix.qweight`, `.qzeros`, `.scales` (and GPTQ's `.g_idx`). */
export function int4Tensors(fmt: 'gptq' | 'awq', tensors: Readonly<Record<string, TensorLike>>, prefix: string): { t: Int4Checkpoint; shape: Int4Shape } {
  const get = (n: string, dtypes: string[], optional = false) => {
    const t = tensors[`${prefix}.${n}`];
    if (!t) {
      if (optional) return undefined;
      throw new Error(`${fmt} '${prefix}': tensor '${prefix}.${n}' is missing`);
    }
    if (!dtypes.includes(t.dtype) || t.shape.length !== (n === 'g_idx' ? 1 : 2)) throw new Error(`tensor '${prefix}.${n}': ${t.dtype} [${t.shape.join(', ')}], expected ${dtypes.join(' or ')} ${n === 'g_idx' ? '1-D' : '2-D'}`);
    return t;
  };
  const qweight = get('qweight', ['I32'])!;
  const qzeros = get('qzeros', ['I32'])!;
  const scales = get('scales', ['F16', 'F32'])!;
  const g_idx = fmt === 'gptq' ? get('g_idx', ['I32'], true) : undefined;
  const N = scales.shape[1];
  const K = fmt === 'gptq' ? qweight.shape[0] * 8 : qweight.shape[0];
  const groups = scales.shape[0];
  if (!(groups > 0 && K % groups === 0)) throw new Error(`tensor '${prefix}.scales': ${groups} groups do not divide K = ${K}`);
  return {
    t: { qweight: qweight.data as Int32Array, qzeros: qzeros.data as Int32Array, scales: scales.data as Uint16Array | Float32Array, ...(g_idx ? { g_idx: g_idx.data as Int32Array } : {}) },
    shape: { N, K, group: K / groups },
  };
}

/** Imports `prefix.qweight/qzeros/scales[/g_idx]` of a GPTQ v1 checkpoint (e.g. from parseSafetensors). */
export function importGptqTensors(tensors: Readonly<Record<string, TensorLike>>, prefix: string): QuantizedTensor {
  const { t, shape } = int4Tensors('gptq', tensors, prefix);
  return importGptq(t, shape, prefix);
}
