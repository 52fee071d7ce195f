// CPU reference for quantization (the oracle of the quant kernels). Every step is an f32 operation, rounded with
// Math.fround in the same order as shaders/quant/*.wgsl, so the GPU must agree to the last bit: codes exactly,
// dequantized values bit for bit. Rules and their formulas: src/quant/scheme.ts.
import { packCodes, unpackCodes } from '../quant/layout.js';
import { checkQuantizable, checkQuantized, checkShapeFor, groupSize, groupsPerRow, LUT_VALUES, lutOf, storeScale, zeroKind, type QuantizedTensor, type QuantScheme } from '../quant/scheme.js';
import { roundF16 } from '../quant/f16.js';

const f = Math.fround;

/** Round half to even (WGSL round(), PyTorch, numpy), for values already rounded to f32. */
export function roundHalfEven(x: number): number {
  const r = Math.floor(x);
  const d = x - r;
  if (d > 0.5) return r + 1;
  if (d < 0.5) return r;
  return r % 2 === 0 ? r : r + 1;
}

/** Round half away from zero (C roundf, ggml's Q8_0). x - trunc(x) is exact in f32, so no x + 0.5 rounding trap. */
export function roundHalfAway(x: number): number {
  const t = Math.trunc(x);
  return Math.abs(x - t) >= 0.5 ? t + Math.sign(x) : t;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * f32 subnormals (|x| < 2^-126) become +0: GPUs may flush them (SwiftShader does), so the kernels flush them
 * explicitly (by their bits) and the reference does the same, on every input and every computed scale.
 */
export function ftz(x: number): number {
  // A zero of the value's sign, as a GPU flushes (and as ggml's q4_0 stores d = -0 for an all-zero block).
  return Math.abs(x) < 2 ** -126 ? (x < 0 || Object.is(x, -0) ? -0 : 0) : x;
}

/** Throws naming the first NaN or Inf of an [N, K] tensor. */
export function checkFinite(x: ArrayLike<number>, N: number, K: number, tensor: string): void {
  for (let i = 0; i < N * K; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`tensor '${tensor}': element [${Math.floor(i / K)}, ${i % K}] (flat index ${i}) is ${x[i]}`);
  }
}

interface GroupResult {
  scale: number;
  zero: number; // integer zero point, float min, or 0
}

/** Quantizes one group x[0..len) into `u` (unsigned stored codes); returns the stored scale and zero/min. */
export function quantizeGroup(x: ArrayLike<number>, off: number, len: number, s: QuantScheme, u: Uint8Array, uOff: number): GroupResult {
  const b = s.bits;
  const half = 2 ** (b - 1);
  const umax = 2 ** b - 1;
  let amax = 0;
  let first = 0; // the signed value of largest magnitude, first one wins (ggml q4_0)
  let lo = 0;
  let hi = 0;
  let mn = Infinity;
  let mx = -Infinity;
  for (let i = 0; i < len; i++) {
    const v = ftz(x[off + i]);
    const a = Math.abs(v);
    if (amax < a) {
      amax = a;
      first = v;
    }
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  switch (s.rule) {
    case 'absmax':
    case 'torchao': {
      const div = s.rule === 'absmax' ? half - 1 : (2 ** b - 1) / 2;
      const st = storeScale(ftz(f(amax / div)), s.scaleType);
      const inv = st !== 0 ? f(1 / st) : 0;
      for (let i = 0; i < len; i++) u[uOff + i] = clamp(roundHalfEven(f(ftz(x[off + i]) * inv)), -half, half - 1) + half;
      return { scale: st, zero: 0 };
    }
    case 'q4_0': {
      const d = ftz(f(first / -8));
      const id = d !== 0 ? f(1 / d) : 0;
      for (let i = 0; i < len; i++) u[uOff + i] = clamp(Math.trunc(f(f(ftz(x[off + i]) * id) + 8.5)), 0, 15);
      return { scale: roundF16(d), zero: 0 };
    }
    case 'q8_0': {
      const d = ftz(f(amax / 127));
      const id = d !== 0 ? f(1 / d) : 0;
      for (let i = 0; i < len; i++) u[uOff + i] = clamp(roundHalfAway(f(ftz(x[off + i]) * id)), -128, 127) + 128;
      return { scale: roundF16(d), zero: 0 };
    }
    case 'minmax': {
      const st = storeScale(ftz(f(ftz(f(hi - lo)) / umax)), s.scaleType);
      if (st === 0) {
        u.fill(0, uOff, uOff + len);
        return { scale: 0, zero: 0 };
      }
      const inv = f(1 / st);
      const z = clamp(-roundHalfEven(f(lo / st)), 0, umax);
      for (let i = 0; i < len; i++) u[uOff + i] = clamp(roundHalfEven(f(ftz(x[off + i]) * inv)) + z, 0, umax);
      return { scale: st, zero: z };
    }
    case 'q4_1': {
      const d = ftz(f(ftz(f(mx - mn)) / 15));
      const id = d !== 0 ? f(1 / d) : 0;
      for (let i = 0; i < len; i++) u[uOff + i] = clamp(Math.trunc(f(f(f(ftz(x[off + i]) - mn) * id) + 0.5)), 0, 15);
      return { scale: roundF16(d), zero: roundF16(mn) };
    }
    default:
      checkQuantizable(s, 'quantize');
      throw new Error(`quantize: rule ${s.rule} has no quantizer`);
  }
}

export interface QuantizeResult extends QuantizedTensor {
  /** The unsigned stored codes [N, K], unpacked. */
  unpacked: Uint8Array;
}

/** Quantizes w [N, K] (row-major f32) with `scheme`. Throws naming the tensor and position of bad input. */
export function quantizeRef(w: ArrayLike<number>, N: number, K: number, scheme: QuantScheme, tensor = 'w'): QuantizeResult {
  checkQuantizable(scheme, `quantize: tensor '${tensor}'`);
  checkShapeFor(scheme, N, K, tensor);
  if (w.length !== N * K) throw new Error(`tensor '${tensor}': ${w.length} elements, shape [${N}, ${K}] needs ${N * K}`);
  checkFinite(w, N, K, tensor);
  const G = groupSize(scheme, K);
  const ng = groupsPerRow(scheme, K);
  const unpacked = new Uint8Array(N * K);
  const scales = new Float32Array(N * ng);
  const zeros = scheme.symmetric ? null : new Float32Array(N * ng);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < ng; g++) {
      const off = n * K + g * G;
      const r = quantizeGroup(w, off, Math.min(G, K - g * G), scheme, unpacked, off);
      if (!Number.isFinite(r.scale)) throw new Error(`tensor '${tensor}': row ${n}, group ${g} (k ${g * G}..${g * G + G - 1}): scale ${r.scale} overflows ${scheme.scaleType}`);
      scales[n * ng + g] = r.scale;
      if (zeros) zeros[n * ng + g] = r.zero;
    }
  }
  return { scheme, N, K, codes: packCodes(unpacked, N, K, scheme.bits), scales, zeros, unpacked };
}

/** Dequantizes to f32 [N, K]: (u - 2^(b-1)) * s, (u - z) * s, u * s + m, or T[u] * s (lutOf), each step rounded to f32. */
export function dequantizeRef(q: QuantizedTensor, tensor = 'weight'): Float32Array {
  checkQuantized(q, tensor);
  const { N, K, scheme } = q;
  const u = unpackCodes(q.codes, N, K, scheme.bits);
  const G = groupSize(scheme, K);
  const ng = groupsPerRow(scheme, K);
  const zk = zeroKind(scheme);
  const half = 2 ** (scheme.bits - 1);
  const lut = lutOf(scheme); // the GGUF codebook rules: the code's value from the table
  const table = lut ? LUT_VALUES[lut] : null;
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const gi = n * ng + Math.floor(k / G);
      const s = q.scales[gi];
      const c = u[n * K + k];
      // GPTQ act-order: stored column k is the original column kPerm[k].
      const at = n * K + (q.kPerm ? q.kPerm[k] : k);
      out[at] = table ? f(table[c] * s) : zk === 'none' ? f((c - half) * s) : zk === 'int' ? f((c - q.zeros![gi]) * s) : f(f(c * s) + q.zeros![gi]);
    }
  }
  return out;
}

/** Signed codes q = u - 2^(b-1) of a symmetric scheme (what PyTorch/torchao hold), else the unsigned codes. */
export function signedCodes(unpacked: Uint8Array, s: QuantScheme): Int8Array | Uint8Array {
  if (!s.symmetric) return unpacked;
  const half = 2 ** (s.bits - 1);
  return Int8Array.from(unpacked, (u) => u - half);
}

export interface ActQuantResult {
  /** int8 codes (symmetric) or uint8 codes (asymmetric), [M, K]. */
  codes: Int8Array | Uint8Array;
  /** Per-row scale [M], f32. */
  scales: Float32Array;
  /** Per-row zero point [M] (asymmetric), integer in [0, 255]. */
  zeros: Float32Array | null;
  /** Dequantized x [M, K]: q * s or (u - z) * s, rounded to f32. */
  xdq: Float32Array;
}

/**
 * Dynamic per-token int8 quantization of activations x [M, K].
 *   symmetric:  s = max|x| / 127; q = clamp(rne(x * (1/s)), -128, 127)                     (int8)
 *   asymmetric: lo = min(min x, 0), hi = max(max x, 0); s = (hi - lo) / 255; z = clamp(-rne(lo / s), 0, 255);
 *               u = clamp(rne(x * (1/s)) + z, 0, 255)                                          (uint8)
 * A row whose scale is 0 gets codes of value 0.
 */
export function quantizeActRef(x: ArrayLike<number>, M: number, K: number, symmetric: boolean, tensor = 'x'): ActQuantResult {
  if (x.length !== M * K) throw new Error(`tensor '${tensor}': ${x.length} elements, shape [${M}, ${K}] needs ${M * K}`);
  checkFinite(x, M, K, tensor);
  const codes = symmetric ? new Int8Array(M * K) : new Uint8Array(M * K);
  const scales = new Float32Array(M);
  const zeros = symmetric ? null : new Float32Array(M);
  const xdq = new Float32Array(M * K);
  for (let m = 0; m < M; m++) {
    let amax = 0;
    let lo = 0;
    let hi = 0;
    for (let k = 0; k < K; k++) {
      const v = ftz(x[m * K + k]);
      amax = Math.max(amax, Math.abs(v));
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const s = ftz(symmetric ? f(amax / 127) : f(ftz(f(hi - lo)) / 255));
    const inv = s !== 0 ? f(1 / s) : 0;
    const z = symmetric || s === 0 ? 0 : clamp(-roundHalfEven(f(lo / s)), 0, 255);
    scales[m] = s;
    if (zeros) zeros[m] = z;
    for (let k = 0; k < K; k++) {
      const i = m * K + k;
      const r = roundHalfEven(f(ftz(x[i]) * inv));
      const c = symmetric ? clamp(r, -128, 127) : clamp(r + z, 0, 255);
      codes[i] = c;
      xdq[i] = f((codes[i] - z) * s); // from the stored integer: never -0 - 0

    }
  }
  return { codes, scales, zeros, xdq };
}
