// Dequantizes a weight in nibble's layout (src/quant/layout.ts) to f32 [N, K], or with OUT_F16 to f16 [N, K]
// (two per u32, low half first, rounded to nearest even with integer ops: no shader-f16 needed to write them).
// f32: one invocation per run of CH consecutive elements of a row (CH = 1 on GPUs: coalesced; SwiftShader
// prefers a loop per invocation, see src/kernels/tuning.ts); f16: one invocation per pair of elements.
// Values, each product rounded to f32:
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
  chunks: u32,     // f32: runs of CH elements per row = ceil(K / CH)
}

override WG: u32 = 64;
override CH: u32 = 1;

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
  return dq_at(i / params.k, i % params.k);
}

fn dq_at(row: u32, col: u32) -> f32 {
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
  if (t >= params.n * params.chunks) {
    return;
  }
  let row = t / params.chunks;
  let k0 = (t % params.chunks) * CH;
  let k1 = min(k0 + CH, params.k);
  for (var col = k0; col < k1; col = col + 1u) {
    y[row * params.k + col] = dq_at(row, col);
  }
#endif
}
