// W8A8 pre-pass: dynamic symmetric int8 quantization of activations, one token (row of x) per workgroup.
//   scale = absmax(x[m, :]) / 127,  inv = 1 / scale (0 for an all-zero row),  q = clamp(round(x * inv), -127, 127)
// all in f32, round() half to even: the CPU reference quantizeRowsI8Ref in src/ref/matmul.ts does the same.
// WGSL's f32 division may be off by 2.5 ULP (SwiftShader's is), so both divisions use div_rn below, a correctly
// rounded division by long division of the mantissas: the codes then match the reference bit for bit everywhere.
// Writes xq [M, ceil(K/4)] (four int8 per u32, LSB first, rows padded to whole words) and xs [M] (the scales).
// x is f32, or f16 pairs read through unpack2x16float (X_F16; exact in f32, so no shader-f16 variant is needed).
// The absmax is reduced in a workgroup tree of WG (a power of two) invocations, on the bits of |x| (for non-negative
// floats the u32 order is the float order, and inf and NaN bits lie above every finite value): a row holding an inf
// or a NaN, which int8 cannot carry, gets scale NaN and codes 0, so all its outputs are NaN, never finite garbage
// (a float max() may drop a NaN, and round() / i32() of inf or NaN are undefined).
struct Params {
  M: u32,
  K: u32,
  kw: u32,     // words per row of xq
  grid_x: u32,
  x0: u32,     // index of x[0, 0] in the x binding, in elements of x (0 unless the planner splits M: matmul.ts)
  xq0: u32,    // index of xq[0, 0] in the xq binding (likewise)
  xs0: u32,    // index of xs[0] in the xs binding (likewise)
}

override WG: u32 = 64u;

#if X_F16
@group(0) @binding(0) var<storage, read> x: array<u32>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
#endif
@group(0) @binding(1) var<storage, read_write> xq: array<u32>;
@group(0) @binding(2) var<storage, read_write> xs: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> red: array<u32, WG>;

fn xv(m: u32, k: u32) -> f32 {
  if (k >= params.K) {
    return 0.0;
  }
  let i = params.x0 + m * params.K + k;
#if X_F16
  return unpack2x16float(x[i >> 1u])[i & 1u];
#else
  return x[i];
#endif
}

// a / b rounded to nearest even, for positive normal a, b with a normal quotient (else the plain division).
fn div_rn(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let ea = i32((ua >> 23u) & 0xffu);
  let eb = i32((ub >> 23u) & 0xffu);
  var e = ea - eb;
  let mb = (ub & 0x7fffffu) | 0x800000u;
  var r = (ua & 0x7fffffu) | 0x800000u;
  if (r < mb) {
    r <<= 1u;
    e -= 1;
  }
  if (ea == 0 || ea == 255 || eb == 0 || eb == 255 || e + 127 <= 0 || e + 127 >= 254) {
    return a / b;
  }
  // mb <= r < 2 mb: the quotient is in [1, 2). 25 bits of it: 24 of mantissa and a guard bit.
  var q = 0u;
  for (var i = 0u; i < 25u; i++) {
    q <<= 1u;
    if (r >= mb) {
      r -= mb;
      q |= 1u;
    }
    r <<= 1u;
  }
  var m = q >> 1u;
  if ((q & 1u) == 1u && (r != 0u || (m & 1u) == 1u)) {
    m += 1u;
  }
  if (m == 0x1000000u) {
    m = 0x800000u;
    e += 1;
  }
  return bitcast<f32>((u32(e + 127) << 23u) | (m & 0x7fffffu));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let m = wid.y * params.grid_x + wid.x;
  if (m >= params.M) {
    return;
  }
  var amax = 0u; // bits of the largest |x|
  for (var k = lid; k < params.K; k += WG) {
    amax = max(amax, bitcast<u32>(xv(m, k)) & 0x7fffffffu);
  }
  red[lid] = amax;
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    workgroupBarrier();
    if (lid < h) {
      red[lid] = max(red[lid], red[lid + h]);
    }
  }
  let top = workgroupUniformLoad(&red[0]);
  let finite = top < 0x7f800000u;
  let scale = select(bitcast<f32>(top | 0x7fc00000u), div_rn(bitcast<f32>(top), 127.0), finite); // a runtime NaN (a constant one does not compile)
  let inv = select(div_rn(1.0, scale), 0.0, scale == 0.0 || !finite);
  for (var wi = lid; wi < params.kw; wi += WG) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let q = i32(clamp(round(xv(m, wi * 4u + j) * inv), -127.0, 127.0));
      word |= (u32(q) & 0xffu) << (8u * j);
    }
    xq[params.xq0 + m * params.kw + wi] = select(0u, word, finite); // inf * 0 and NaN * 0 are NaN: no codes from them
  }
  if (lid == 0u) {
    xs[params.xs0 + m] = scale;
  }
}
