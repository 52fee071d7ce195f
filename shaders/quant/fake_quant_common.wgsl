// Shared by the fake_quant_* kernels (included, not a kernel of its own).
//
// Scale indexing: x is viewed as [outer, channels, inner] and element i uses scale[(i / inner) % channels].
//   per tensor: channels = 1, inner = numel      per channel (axis a): inner = prod(shape[a+1..]), channels = shape[a]
//   per group along the last axis (group G): inner = G, channels = numel / G      per token: inner = K, channels = rows
//
// div_rn: a correctly rounded f32 division (round to nearest, ties to even) built from integer long division of
// the significands. WGSL only promises 2.5 ULP for `/`, and real GPUs use approximate reciprocals; PyTorch's
// fake-quant multiplies by the f32 reciprocal `1.0f / scale`, and torchao's qparams divide in f32. Codes must match
// the CPU reference bit for bit on every adapter, so the few divisions that feed a rounding go through here.
// Normal operands with a normal quotient only; anything else (zero, subnormal, inf, NaN) falls back to `a / b`.
fn div_rn(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let ea = i32((ua >> 23u) & 0xffu);
  let eb = i32((ub >> 23u) & 0xffu);
  if (ea == 0 || ea == 255 || eb == 0 || eb == 255) {
    return a / b;
  }
  var ma = (ua & 0x7fffffu) | 0x800000u;
  let mb = (ub & 0x7fffffu) | 0x800000u;
  var e = ea - eb;
  if (ma < mb) {
    ma = ma << 1u;
    e = e - 1;
  }
  // ma / mb in [1, 2): 25 quotient bits (24 significand bits and the round bit), the remainder is the sticky bit.
  var rem = ma - mb;
  var q = 1u;
  for (var k = 0u; k < 24u; k = k + 1u) {
    rem = rem << 1u;
    q = q << 1u;
    if (rem >= mb) {
      rem = rem - mb;
      q = q | 1u;
    }
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (rem != 0u || (m & 1u) == 1u)) {
    m = m + 1u;
  }
  if (m == 0x1000000u) {
    m = 0x800000u;
    e = e + 1;
  }
  let be = e + 127;
  if (be < 1 || be > 254) {
    return a / b;
  }
  let sign = (ua ^ ub) & 0x80000000u;
  return bitcast<f32>(sign | (u32(be) << 23u) | (m & 0x7fffffu));
}

// The code range [qmin, qmax]: params.qmin / params.qmax (fixed when the pipeline is planned; every kernel that
// includes this file has them in its Params), or with RANGE the two floats of the storage buffer `qrange`, which
// the host rewrites between runs (AdaQAT moves a layer's bit-width without recompiling: src/train/adaqat.ts).
#if RANGE
@group(0) @binding(8) var<storage, read> qrange: array<f32>;
fn code_range() -> vec2<f32> {
  return vec2<f32>(qrange[0], qrange[1]);
}
#else
fn code_range() -> vec2<f32> {
  return vec2<f32>(params.qmin, params.qmax);
}
#endif

// PyTorch's learnable ops use the zero point rounded (half to even) and clamped to [qmin, qmax].
fn rounded_zero_point(z: f32, qmin: f32, qmax: f32) -> f32 {
  return clamp(round(z), qmin, qmax);
}

// The code of v before the clamp: round(v * inv_s) + z, or with MIDRISE floor(v * inv_s) (z unread). The STE
// backwards keep the gradient where it lies inside [qmin, qmax].
fn fq_raw_code(v: f32, inv_s: f32, z: f32) -> f32 {
#if MIDRISE
  return floor(v * inv_s);
#else
  return round(v * inv_s) + z;
#endif
}

// The forward's code of v: fq_raw_code clamped to [qmin, qmax].
fn fq_code(v: f32, inv_s: f32, z: f32, qmin: f32, qmax: f32) -> f32 {
  return clamp(fq_raw_code(v, inv_s, z), qmin, qmax);
}

// The level of code q: (q - z) * s, or with MIDRISE (q + 0.5) * s.
fn fq_level(q: f32, s: f32, z: f32) -> f32 {
#if MIDRISE
  return (q + 0.5) * s;
#else
  return (q - z) * s;
#endif
}

// dy * 0 for finite dy without a multiply a compiler might fold: +0 or -0 with dy's sign (ATen's mask * dy).
fn signed_zero(v: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(v) & 0x80000000u);
}
