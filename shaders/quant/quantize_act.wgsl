// Dynamic per-token int8 quantization of activations x [M, K] (f32): the scale is computed here from the row.
// One invocation per row. Codes: 4 per u32, byte k%4 of word k/4 of the row (rows padded to whole words);
// symmetric: int8 two's complement q (dot4I8Packed-ready); asymmetric: uint8 u with zero point z
// (dot4U8Packed-ready). Formulas: src/ref/quant.ts quantizeActRef. With WRITE_DQ, also x_dq = (q - z) * s.
// status[0]: the smallest flat index of a NaN/Inf (starts at 0xffffffff).
#include "quant/numerics.wgsl"

struct Params {
  m: u32,
  k: u32,
  words_per_row: u32,
  symmetric: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> codes: array<u32>;
@group(0) @binding(2) var<storage, read_write> scales: array<f32>;
@group(0) @binding(3) var<storage, read_write> zeros: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
#if WRITE_DQ
@group(0) @binding(5) var<storage, read_write> x_dq: array<f32>;
#endif
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * params.row_pitch + gid.x;
  if (row >= params.m) {
    return;
  }
  let K = params.k;
  let base = row * K;
  var amax = 0.0;
  var lo = 0.0;
  var hi = 0.0;
  for (var i = 0u; i < K; i = i + 1u) {
    let v = ftz(x[base + i]);
    if (!is_finite_f32(v)) {
      atomicMin(&status[0], base + i);
      return;
    }
    amax = max(amax, abs(v));
    lo = min(lo, v);
    hi = max(hi, v);
  }
  let sym = params.symmetric != 0u;
  // One div_rn call site per step (each is inlined).
  var num = amax;
  var den = 127.0;
  if (!sym) {
    num = ftz(hi - lo);
    den = 255.0;
  }
  let s = ftz(div_rn(num, den));
  var inv = 0.0;
  var z = 0;
  if (s != 0.0) {
    inv = div_rn(1.0, s);
    if (!sym) {
      z = clamp(-i32(round(div_rn(lo, s))), 0, 255);
    }
  }
  scales[row] = s;
  zeros[row] = f32(z);
  var acc = 0u;
  for (var i = 0u; i < K; i = i + 1u) {
    let r = i32(round(ftz(x[base + i]) * inv));
    var c = 0;
    if (sym) {
      c = clamp(r, -128, 127);
    } else {
      c = clamp(r + z, 0, 255);
    }
    acc = acc | ((u32(c) & 0xffu) << (8u * (i & 3u)));
    if ((i & 3u) == 3u || i + 1u == K) {
      codes[row * params.words_per_row + (i >> 2u)] = acc;
      acc = 0u;
    }
#if WRITE_DQ
    x_dq[base + i] = f32(c - z) * s;
#endif
  }
}
