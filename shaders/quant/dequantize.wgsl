// Dequantizes a weight in nibble's layout (src/quant/layout.ts) to f32 [N, K], or with OUT_F16 to f16 [N, K]
// (two per u32, low half first, rounded to nearest even with integer ops: no shader-f16 needed to write them).
// f32: one invocation per run of CH consecutive elements of a row (CH = 1 on GPUs: coalesced; SwiftShader
// prefers a loop per invocation, see src/kernels/tuning.ts); f16: one invocation per pair of elements.
// Values, each product rounded to f32:
//   zero_kind 0: (u - 2^(bits-1)) * s     1: (u - z) * s     2: u * s + m
struct Params {
  n: u32,
  k: u32,
  groups: u32,
  words_per_row: u32,
  row_pitch: u32,
  zero: u32,       // always 0 (see rounded())
  chunks: u32,     // f32: runs of CH elements per row = ceil(K / CH)
}

override WG: u32 = 64;
override CH: u32 = 1;
// The scheme, as constants so that each pipeline is specialised (the branches and divisions fold away).
override BITS: u32 = 4;
override GROUP: u32 = 32;        // 0: per channel
override SCALE_F16: bool = false;
// GGUF Q4_K / Q5_K / Q2_K kept compact ('k6' storage, src/kernels/quant.ts): scales holds each group's 6-bit scale sc and
// min mq as sc | mq << 8, two groups per u32; zeros one u32 per 8 groups, f16 d | f16 dmin << 16. Then
// s = d * sc and m = -(dmin * mq), both exact in f32 (ggml's own products).
override SCALE_K6: bool = false;
// Groups per k6 super-block as a shift: 3 (8 groups of 32: Q4_K, Q5_K) or 4 (16 groups of 16: Q2_K).
override K6_SUPER_SHIFT: u32 = 3u;
// GGUF Q6_K kept compact ('s8'): scales holds each group's int8 scale, four per u32; zeros (bound to the super-blocks)
// one u32 per 16 groups, f16 d in the low half. Then s = d * sc, exact in f32.
override SCALE_S8: bool = false;
override S8_SUPER_SHIFT: u32 = 4u; // log2 of s8's groups per super-block: 16 groups of 16, or 8 of 32 (IQ4_XS)
override ZERO_KIND: u32 = 0;     // 0 none, 1 integer zero point, 2 float min

#if LUT
// 4-bit codes into a table (symmetric): the one lutDefines picks (GGUF MXFP4, IQ4_NL / IQ4_XS, IQ1-IQ3).
#include "common/lut4.wgsl"
#endif

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
  if (SCALE_S8) {
    let sc = bitcast<i32>(scales[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u;
    return f16_bits_to_f32(zeros[i >> S8_SUPER_SHIFT] & 0xffffu) * f32(sc);
  }
  if (SCALE_K6) {
    let e = (scales[i >> 1u] >> (16u * (i & 1u))) & 0xffffu;
    let sup = zeros[i >> K6_SUPER_SHIFT];
    if (is_zero) {
      return -(f16_bits_to_f32(sup >> 16u) * f32(e >> 8u));
    }
    return f16_bits_to_f32(sup & 0xffffu) * f32(e & 0x3fu);
  }
  if (SCALE_F16) {
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

// The weight a code stands for: symmetric (u - 2^(BITS-1)) * s, integer zero point (u - z) * s, float min u * s + z,
// or a table's value T[u] * s (LUT).
fn code_value(u: u32, s: f32, z: f32) -> f32 {
#if LUT
  return LUT_T[u & 15u] * s;
#else
  if (ZERO_KIND == 0u) {
    return f32(i32(u) - i32(1u << (BITS - 1u))) * s;
  }
  if (ZERO_KIND == 1u) {
    return (f32(u) - z) * s;
  }
  return rounded(f32(u) * s, params.zero) + z;
#endif
}

fn dq_value(i: u32) -> f32 {
  return dq_at(i / params.k, i % params.k);
}

fn dq_at(row: u32, col: u32) -> f32 {
  let b = BITS;
  let bit = col * b;
  let word = row * params.words_per_row + (bit >> 5u);
  let sh = bit & 31u;
  var u = codes[word] >> sh;
  if (sh + b > 32u) {
    u = u | (codes[word + 1u] << (32u - sh));
  }
  u = u & ((1u << b) - 1u);
  var gi = row * params.groups;
  if (GROUP != 0u) {
    gi = gi + col / max(GROUP, 1u); // max: GROUP = 0 must not divide, even in a branch not taken
  }
  var z = 0.0;
  if (ZERO_KIND != 0u) {
    z = load_scale_word(gi, true);
  }
  return code_value(u, load_scale_word(gi, false), z);
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
  if (BITS != 3u && GROUP != 0u && CH == GROUP) {
    // Runs of exactly one group (2/4/8-bit): whole code words, one scale (the shape of a GGUF block decoder).
    let gi = row * params.groups + k0 / max(GROUP, 1u);
    let s = load_scale_word(gi, false);
    var z = 0.0;
    if (ZERO_KIND != 0u) {
      z = load_scale_word(gi, true);
    }
    let per = 32u / BITS;
    let w0 = row * params.words_per_row + ((k0 * BITS) >> 5u);
    let mask = (1u << BITS) - 1u;
    for (var wj = 0u; wj < GROUP / per; wj = wj + 1u) {
      let wv = codes[w0 + wj];
      for (var j = 0u; j < per; j = j + 1u) {
        y[row * params.k + k0 + wj * per + j] = code_value((wv >> (j * BITS)) & mask, s, z);
      }
    }
    return;
  }
  // Walk the run keeping the current code word and the current group's scale (and zero) in registers.
  var wi_cur = 0xffffffffu;
  var wv = 0u;
  var gi_cur = 0xffffffffu;
  var s = 0.0;
  var z = 0.0;
  for (var col = k0; col < k1; col = col + 1u) {
    let bit = col * BITS;
    let wi = row * params.words_per_row + (bit >> 5u);
    let sh = bit & 31u;
    if (wi != wi_cur) {
      wv = codes[wi];
      wi_cur = wi;
    }
    var u = wv >> sh;
    if (sh + BITS > 32u) {
      u = u | (codes[wi + 1u] << (32u - sh));
    }
    u = u & ((1u << BITS) - 1u);
    var gi = row * params.groups;
    if (GROUP != 0u) {
      gi = gi + col / max(GROUP, 1u);
    }
    if (gi != gi_cur) {
      s = load_scale_word(gi, false);
      if (ZERO_KIND != 0u) {
        z = load_scale_word(gi, true);
      }
      gi_cur = gi;
    }
    y[row * params.k + col] = code_value(u, s, z);
  }
#endif
}
