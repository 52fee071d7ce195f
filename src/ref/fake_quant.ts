// CPU reference for shaders/quant/fake_quant*.wgsl. The forward and the masks repeat the kernels' f32 operations
// in the same order (Math.fround after each; an f64 op on f32 operands rounded once to f32 is the correctly rounded
// f32 op), so codes match the GPU exactly. Gradient sums are accumulated in f64 and come with sum |term| for the
// error bound of DESIGN.md.
//
// Numerics are PyTorch's (fake_quantize_per_tensor_affine / per_channel_affine and the learnable variants):
//   q = round_half_even(x * inv_s) + z, inv_s = f32(1 / s); y = (clamp(q, qmin, qmax) - z) * s.
// Midrise (the `midrise` argument; symmetric weights, the zero point unused): the levels sit halfway between the
// integers, so the grid has no zero and as many levels each side (2 bits: +-0.5 s, +-1.5 s; ParetoQ's SEQ grid):
//   q = floor(x * inv_s); y = (clamp(q, qmin, qmax) + 0.5) * s; the STE's mask and LSQ's gradients use that q.
type Num = ArrayLike<number>;

const f32 = Math.fround;

export type FakeQuantGranularity =
  | { kind: 'tensor' }
  | { kind: 'channel'; axis: number }
  /** Along the last axis: scale and zero point are [rows, K / group]. */
  | { kind: 'group'; group: number }
  /** One scale per row of the last axis (activations; computed from the data by the qparams kernel). */
  | { kind: 'token' };

/** x viewed as [outer, channels, inner]; element i uses scale index floor(i / inner) % channels. */
export interface FakeQuantLayout {
  numel: number;
  outer: number;
  channels: number;
  inner: number;
}

/** Round half to even, like WGSL round(), PyTorch and std::nearbyint. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** [qmin, qmax] for `bits`: symmetric [-2^(b-1), 2^(b-1) - 1] (zero point 0), asymmetric [0, 2^b - 1]. */
export function qRange(bits: number, symmetric: boolean): { qmin: number; qmax: number } {
  checkBits(bits);
  return symmetric ? { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 } : { qmin: 0, qmax: 2 ** bits - 1 };
}

export function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new Error(`fake_quant: bits=${bits} is not an integer in 2..8`);
}

/** Validates qmin/qmax against bits: integers, qmin < qmax, at most 2^bits codes. */
export function checkQRange(bits: number, qmin: number, qmax: number): void {
  checkBits(bits);
  if (!Number.isInteger(qmin) || !Number.isInteger(qmax) || qmin >= qmax) throw new Error(`fake_quant: qmin=${qmin}, qmax=${qmax} must be integers with qmin < qmax`);
  if (qmax - qmin > 2 ** bits - 1) throw new Error(`fake_quant: [qmin, qmax] = [${qmin}, ${qmax}] holds ${qmax - qmin + 1} codes, more than 2^${bits} = ${2 ** bits}`);
  if (Math.abs(qmin) > 2 ** 24 || Math.abs(qmax) > 2 ** 24) throw new Error(`fake_quant: qmin/qmax outside the exact f32 integer range`);
}

/** The [outer, channels, inner] view of a tensor of `shape` for a granularity; checks the shape against it. */
export function fakeQuantLayout(shape: readonly number[], g: FakeQuantGranularity): FakeQuantLayout {
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`fake_quant: shape [${shape.join(', ')}] must be non-empty positive integers`);
  const numel = shape.reduce((a, b) => a * b, 1);
  const K = shape[shape.length - 1];
  switch (g.kind) {
    case 'tensor':
      return { numel, outer: 1, channels: 1, inner: numel };
    case 'channel': {
      const { axis } = g;
      if (!Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) throw new Error(`fake_quant: axis=${axis} is out of range for shape [${shape.join(', ')}]`);
      const a = axis < 0 ? axis + shape.length : axis;
      const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
      return { numel, outer: numel / (inner * shape[a]), channels: shape[a], inner };
    }
    case 'group': {
      const { group } = g;
      if (!Number.isInteger(group) || group < 1 || K % group !== 0) throw new Error(`fake_quant: group=${group} does not divide K=${K} (the last axis of shape [${shape.join(', ')}])`);
      return { numel, outer: 1, channels: numel / group, inner: group };
    }
    case 'token':
      return { numel, outer: 1, channels: numel / K, inner: K };
  }
}

/** Scales must be finite, positive f32 normals (their reciprocal must be finite); zero points in [qmin, qmax]. */
export function checkQParams(L: FakeQuantLayout, scale: Num, zeroPoint: Num | null, qmin: number, qmax: number): void {
  if (scale.length !== L.channels) throw new Error(`fake_quant: scale has ${scale.length} elements, this granularity needs ${L.channels}`);
  for (let c = 0; c < scale.length; c++) {
    const s = f32(scale[c]);
    if (!(Number.isFinite(s) && s >= 2 ** -126 && s < 2 ** 126)) throw new Error(`fake_quant: scale[${c}] = ${scale[c]} is not a positive finite f32 in [2^-126, 2^126)`);
  }
  if (!zeroPoint) return;
  if (zeroPoint.length !== L.channels) throw new Error(`fake_quant: zero_point has ${zeroPoint.length} elements, this granularity needs ${L.channels}`);
  for (let c = 0; c < zeroPoint.length; c++) {
    const z = zeroPoint[c];
    if (!(z >= qmin && z <= qmax)) throw new Error(`fake_quant: zero_point[${c}] = ${z} is outside [qmin, qmax] = [${qmin}, ${qmax}]`);
  }
}

const scaleIndex = (L: FakeQuantLayout, i: number) => Math.floor(i / L.inner) % L.channels;
/** PyTorch's _get_rounded_zero_point: round half to even, clamp to [qmin, qmax]. */
export const roundedZeroPoint = (z: number, qmin: number, qmax: number) => Math.min(qmax, Math.max(qmin, roundHalfEven(f32(z))));

/** Unclamped code round(x * inv_s) + z (midrise: floor(x * inv_s)), exactly as the kernels compute it. */
function code(x: number, invS: number, z: number, midrise = false): number {
  return midrise ? Math.floor(f32(f32(x) * invS)) : roundHalfEven(f32(f32(x) * invS)) + z;
}

/** The value of a clamped code: (q - z) * s, midrise (q + 0.5) * s (the offset a level has from its code). */
const levelOffset = (z: number, midrise: boolean) => (midrise ? -0.5 : z);

export interface FakeQuantForwardRef {
  y: Float32Array;
  /** Clamped integer codes. */
  codes: Int32Array;
  /** 1 where qmin <= round(x * inv_s) + z <= qmax (the STE mask), else 0. */
  mask: Uint8Array;
}

export function fakeQuantForwardRef(x: Num, scale: Num, zeroPoint: Num, L: FakeQuantLayout, qmin: number, qmax: number, midrise = false): FakeQuantForwardRef {
  const y = new Float32Array(L.numel);
  const codes = new Int32Array(L.numel);
  const mask = new Uint8Array(L.numel);
  for (let i = 0; i < L.numel; i++) {
    const c = scaleIndex(L, i);
    const s = f32(scale[c]);
    const z = midrise ? 0 : roundedZeroPoint(zeroPoint[c], qmin, qmax);
    const q = code(x[i], f32(1 / s), z, midrise);
    const qc = Math.min(qmax, Math.max(qmin, q));
    y[i] = f32((qc - levelOffset(z, midrise)) * s);
    codes[i] = qc;
    mask[i] = q >= qmin && q <= qmax ? 1 : 0;
  }
  return { y, codes, mask };
}

export interface FakeQuantBackwardRef {
  gradX: Float32Array;
  /** Per scale index, f64 sums, and sum |term| for the bound. */
  gradScale: Float64Array;
  gradZeroPoint: Float64Array;
  absScale: Float64Array;
  absZeroPoint: Float64Array;
  /** Elements per scale index (the K of the bound). */
  perScale: number;
}

/**
 * STE grad_x and the LSQ / LSQ+ gradients of PyTorch's _fake_quantize_learnable_per_channel_affine backward at
 * grad_factor `gradFactor`: inside the range d_scale = dy * (xfq - x) * inv_s (= round(x/s) - x/s), d_zero = 0;
 * below / above d_scale = dy * (qmin - z) / dy * (qmax - z), d_zero = -dy * s; summed per scale index.
 */
export function fakeQuantBackwardRef(x: Num, gradY: Num, scale: Num, zeroPoint: Num, L: FakeQuantLayout, qmin: number, qmax: number, gradFactor = 1, midrise = false): FakeQuantBackwardRef {
  const gradX = new Float32Array(L.numel);
  const gs = new Float64Array(L.channels);
  const gz = new Float64Array(L.channels);
  const as = new Float64Array(L.channels);
  const az = new Float64Array(L.channels);
  const g = f32(gradFactor);
  for (let i = 0; i < L.numel; i++) {
    const c = scaleIndex(L, i);
    const s = f32(scale[c]);
    const inv = f32(1 / s);
    const z = midrise ? 0 : roundedZeroPoint(zeroPoint[c], qmin, qmax);
    const off = levelOffset(z, midrise);
    const xi = f32(x[i]);
    const dy = f32(gradY[i]);
    const q = code(xi, inv, z, midrise);
    if (q < qmin || q > qmax) {
      gradX[i] = dy * 0; // ATen's mask * dy: a zero with dy's sign
      const t = dy * ((q < qmin ? qmin : qmax) - off) * g;
      gs[c] += t;
      as[c] += Math.abs(t);
      if (!midrise) {
        gz[c] += -dy * s * g;
        az[c] += Math.abs(dy * s * g);
      }
    } else {
      gradX[i] = dy;
      const xfq = (q - off) * s;
      gs[c] += dy * (xfq - xi) * inv * g;
      // The f32 terms round xfq, the difference and two products: bound by the magnitudes going in.
      as[c] += Math.abs(dy * g) * (Math.abs(xfq) + Math.abs(xi)) * inv;
    }
  }
  return { gradX, gradScale: gs, gradZeroPoint: gz, absScale: as, absZeroPoint: az, perScale: L.numel / L.channels };
}

/**
 * The STE surrogate the STE / LSQ gradients are the exact derivatives of, in f64, for finite differences: the
 * rounding offsets r_i = round(x0_i * inv_s0) - x0_i / s0 and the clamp regions are frozen at (x0, scale0, zero0), so
 *   inside: x_hat = (x / s + r) * s,  below / above: x_hat = (qmin|qmax - z) * s,  with z = zr0 + (zero - zero0)
 * (midrise: z = -0.5 throughout and r_i = floor(x0_i * inv_s0) + 0.5 - x0_i / s0).
 * Returns sum_i dy_i * x_hat_i evaluated at `at` (x, scale, zero).
 */
export function lsqSurrogateLoss(
  x0: Num, gradY: Num, scale0: Num, zero0: Num, at: { x: Num; scale: Num; zero: Num }, L: FakeQuantLayout, qmin: number, qmax: number, midrise = false,
): number {
  let loss = 0;
  for (let i = 0; i < L.numel; i++) {
    const c = scaleIndex(L, i);
    const s0 = f32(scale0[c]);
    const zr = midrise ? -0.5 : roundedZeroPoint(zero0[c], qmin, qmax);
    const q = code(x0[i], f32(1 / s0), zr, midrise);
    const s = at.scale[c];
    const z = zr + (midrise ? 0 : at.zero[c] - zero0[c]);
    let xhat: number;
    if (q < qmin) xhat = (qmin - z) * s;
    else if (q > qmax) xhat = (qmax - z) * s;
    else xhat = (at.x[i] / s + (q - zr - x0[i] / s0)) * s;
    loss += gradY[i] * xhat;
  }
  return loss;
}

/** LSQ's gradient scale g = 1 / sqrt(numel * qmax) (Esser et al. 2020), numel = elements per scale or per layer. */
export function lsqGradFactor(numel: number, qmax: number): number {
  return 1 / Math.sqrt(numel * qmax);
}

export type QParamsMode = 'asymmetric' | 'symmetric' | 'lsq';

const EPS_F32 = 2 ** -23;

/**
 * Quantizer parameters from the data per scale index, as fake_quant_qparams.wgsl: 'asymmetric' is torchao's
 * _choose_qparams_per_token_asymmetric (generalised to [qmin, qmax]), 'symmetric' torchao's choose_qparams_affine
 * SYMMETRIC, 'lsq' the LSQ initial step 2 * mean|x| / sqrt(qmax). Exact for the first two (f32 ops in order);
 * 'lsq' returns the f64 value (the GPU sums in f32) with sum|x| for the bound.
 */
export function qparamsRef(x: Num, L: FakeQuantLayout, qmin: number, qmax: number, mode: QParamsMode): { scale: Float32Array; zeroPoint: Float32Array; lsqExact: Float64Array } {
  const scale = new Float32Array(L.channels);
  const zeroPoint = new Float32Array(L.channels);
  const lsqExact = new Float64Array(L.channels);
  const lo = new Float64Array(L.channels);
  const hi = new Float64Array(L.channels);
  const ab = new Float64Array(L.channels);
  for (let i = 0; i < L.numel; i++) {
    const c = scaleIndex(L, i);
    const v = f32(x[i]);
    lo[c] = Math.min(lo[c], v);
    hi[c] = Math.max(hi[c], v);
    ab[c] += Math.abs(v);
  }
  for (let c = 0; c < L.channels; c++) {
    if (mode === 'asymmetric') {
      const s = Math.max(f32(f32(hi[c] - lo[c]) / (qmax - qmin)), EPS_F32);
      const dmin = f32(lo[c] / s);
      const dmax = f32(hi[c] / s);
      const fromMin = f32(qmin + dmin);
      const fromMax = f32(qmax + dmax);
      const zf = f32(fromMin + fromMax) > 0 ? f32(qmin - dmin) : f32(qmax - dmax);
      scale[c] = s;
      zeroPoint[c] = roundHalfEven(Math.min(qmax, Math.max(qmin, zf)));
    } else if (mode === 'symmetric') {
      scale[c] = Math.max(f32(Math.max(-lo[c], hi[c]) / ((qmax - qmin) / 2)), EPS_F32);
      zeroPoint[c] = Math.trunc((qmax + qmin + 1) / 2);
    } else {
      lsqExact[c] = (2 * ab[c]) / (L.numel / L.channels) / Math.sqrt(qmax);
      scale[c] = lsqExact[c];
      zeroPoint[c] = 0;
    }
  }
  return { scale, zeroPoint, lsqExact };
}

/** PACT forward: fake-quant with s = f32(alpha / qmax), z = 0, codes [0, qmax] (qmax = 2^bits - 1). */
export function pactForwardRef(x: Num, alpha: Num, L: FakeQuantLayout, qmax: number): FakeQuantForwardRef {
  const scale = Array.from(alpha, (a) => f32(f32(a) / qmax));
  return fakeQuantForwardRef(x, scale, new Float32Array(L.channels), L, 0, qmax);
}

/** PACT backward (STE): grad_x = dy where 0 <= x < alpha; grad_alpha = sum of dy where x >= alpha. */
export function pactBackwardRef(x: Num, gradY: Num, alpha: Num, L: FakeQuantLayout): { gradX: Float32Array; gradAlpha: Float64Array; absAlpha: Float64Array } {
  const gradX = new Float32Array(L.numel);
  const gradAlpha = new Float64Array(L.channels);
  const absAlpha = new Float64Array(L.channels);
  for (let i = 0; i < L.numel; i++) {
    const c = scaleIndex(L, i);
    const a = f32(alpha[c]);
    const xi = f32(x[i]);
    const dy = f32(gradY[i]);
    if (xi >= 0 && xi < a) gradX[i] = dy;
    if (xi >= a) {
      gradAlpha[c] += dy;
      absAlpha[c] += Math.abs(dy);
    }
  }
  return { gradX, gradAlpha, absAlpha };
}

/** The function PACT's alpha gradient is the exact derivative of: sum dy * clamp(x, 0, alpha), in f64. */
export function pactClipLoss(x: Num, gradY: Num, alpha: Num, L: FakeQuantLayout): number {
  let loss = 0;
  for (let i = 0; i < L.numel; i++) loss += gradY[i] * Math.min(Math.max(x[i], 0), alpha[scaleIndex(L, i)]);
  return loss;
}
