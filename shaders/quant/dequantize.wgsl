// Dequantizes a weight in nibble's layout (src/quant/layout.ts) to f32 [N, K], or with OUT_F16 to f16 [N, K]
// (two per u32, low half first, rounded to nearest even with integer ops: no shader-f16 needed to write them).
// One invocation per output element (per pair of elements with OUT_F16). Values, each product rounded to f32:
//   zero_kind 0: (u - 2^(bits-1)) * s     1: (u - z) * s     2: u * s + m
struct Params {
  n: u32,
  k: u32,
  group: u32,
  groups: u32,
  words_per_row: u32,
  bits: u32,
  scale_f16: u32,
  zero_kind: u32,
  row_pitch: u32,
  zero: u32,       // always 0 (see rounded())
}

override WG: u32 = 64;

#include "quant/numerics.wgsl"

@group(0) @binding(0) var<storage, read> codes: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<u32>;
@group(0) @binding(2) var<storage, read> zeros: array<u32>;
#if OUT_F16
@group(0) @binding(3) var<storage, read_write> y: array<u32>;
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(4) var<uniform> params: Params;

fn load_scale_word(i: u32, is_zero: bool) -> f32 {
  var wd = 0u;
  if (params.scale_f16 != 0u) {
    if (is_zero) {
      wd = zeros[i >> 1u];
    } else {
      wd = scales[i >> 1u];
    }
    return f16_bits_to_f32((wd >> (16u * (i & 1u))) & 0xffffu);
  }
  if (is_zero) {
    return bitcast<f32>(zeros[i]);
  }
  return bitcast<f32>(scales[i]);
}

fn dq_value(i: u32) -> f32 {
  let row = i / params.k;
  let col = i % params.k;
  let b = params.bits;
  let bit = col * b;
  let word = row * params.words_per_row + (bit >> 5u);
  let sh = bit & 31u;
  var u = codes[word] >> sh;
  if (sh + b > 32u) {
    u = u | (codes[word + 1u] << (32u - sh));
  }
  u = u & ((1u << b) - 1u);
  let gi = row * params.groups + col / params.group;
  let s = load_scale_word(gi, false);
  if (params.zero_kind == 0u) {
    return f32(i32(u) - i32(1u << (b - 1u))) * s;
  }
  let z = load_scale_word(gi, true);
  if (params.zero_kind == 1u) {
    return (f32(u) - z) * s;
  }
  return rounded(f32(u) * s, params.zero) + z;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * params.row_pitch + gid.x;
  let total = params.n * params.k;
#if OUT_F16
  let i = 2u * t;
  if (i >= total) {
    return;
  }
  var h = f32_to_f16_bits(dq_value(i));
  if (i + 1u < total) {
    h = h | (f32_to_f16_bits(dq_value(i + 1u)) << 16u);
  }
  y[t] = h;
#else
  if (t >= total) {
    return;
  }
  y[t] = dq_value(t);
#endif
}
