// Group quantization of a weight w [N, K] (f32, row-major) into nibble's layout (src/quant/layout.ts), with the
// scale rules of src/quant/scheme.ts. One invocation per (row, group); codes (and f16 scale halves) are OR-ed
// into zeroed words with atomics because a word may hold codes or scales of two groups (3-bit, f16 pairs).
// status[0]: the smallest flat index of a NaN/Inf weight; status[1]: the first group whose stored scale
// overflows (both start at 0xffffffff).
#include "quant/numerics.wgsl"

struct Params {
  n: u32,
  k: u32,
  group: u32,       // G (K for per channel)
  groups: u32,      // groups per row = K / G
  words_per_row: u32,
  bits: u32,
  rule: u32,        // 0 absmax, 1 torchao, 2 q4_0, 3 q8_0, 4 minmax, 5 q4_1
  scale_f16: u32,   // scales (and zeros) stored as f16 pairs
  zero_kind: u32,   // 0 none, 1 integer zero point, 2 float min
  row_pitch: u32,   // invocations per grid row
  zero: u32,        // always 0 (see rounded())
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> codes: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read_write> scales: array<atomic<u32>>;
@group(0) @binding(3) var<storage, read_write> zeros: array<atomic<u32>>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

fn store_scale(x: f32) -> f32 {
  if (params.scale_f16 != 0u) {
    return round_f16(x);
  }
  return x;
}

fn put(arr_is_zeros: bool, i: u32, v: f32) {
  if (params.scale_f16 != 0u) {
    let h = f32_to_f16_bits(v) << (16u * (i & 1u));
    if (arr_is_zeros) {
      atomicOr(&zeros[i >> 1u], h);
    } else {
      atomicOr(&scales[i >> 1u], h);
    }
  } else if (arr_is_zeros) {
    atomicStore(&zeros[i], bitcast<u32>(v));
  } else {
    atomicStore(&scales[i], bitcast<u32>(v));
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * params.row_pitch + gid.x;
  if (t >= params.n * params.groups) {
    return;
  }
  let row = t / params.groups;
  let g = t % params.groups;
  let base = row * params.k + g * params.group;
  let len = min(params.group, params.k - g * params.group);
  let b = params.bits;
  let hq = i32(1u << (b - 1u));
  let umax = i32((1u << b) - 1u);

  var amax = 0.0;
  var first = 0.0;
  var lo = 0.0;
  var hi = 0.0;
  var mn = 0.0;
  var mx = 0.0;
  for (var i = 0u; i < len; i = i + 1u) {
    let v = ftz(w[base + i]);
    if (!is_finite_f32(v)) {
      atomicMin(&status[0], base + i);
      return;
    }
    let a = abs(v);
    if (amax < a) {
      amax = a;
      first = v;
    }
    lo = min(lo, v);
    hi = max(hi, v);
    if (i == 0u) {
      mn = v;
      mx = v;
    } else {
      mn = min(mn, v);
      mx = max(mx, v);
    }
  }

  // The stored scale and zero, the multiplier the codes use, and for rule 4 the integer zero point.
  let rule = params.rule;
  var num = amax;
  var den = f32(hq - 1);                  // absmax
  if (rule == 1u) {
    den = f32(umax) * 0.5;                // torchao
  } else if (rule == 2u) {
    num = first;
    den = -8.0;                           // q4_0
  } else if (rule == 3u) {
    den = 127.0;                          // q8_0
  } else if (rule == 4u) {
    num = ftz(hi - lo);
    den = f32(umax);                      // minmax
  } else if (rule == 5u) {
    num = ftz(mx - mn);
    den = 15.0;                           // q4_1
  }
  // The three divisions (scale, reciprocal, zero point) share one div_rn call site: each site is inlined, and
  // one site compiles much faster. GGUF rules store f16(d) but compute codes from the f32 d (ggml); the others
  // use the stored scale.
  let gguf = rule == 2u || rule == 3u || rule == 5u;
  var d = 0.0;
  var st = 0.0;
  var mul = 0.0;
  var zq = 0.0;
  var a = num;
  var dv = den;
  for (var step = 0u; step < 3u; step = step + 1u) {
    let qv = div_rn(a, dv);
    if (step == 0u) {
      d = ftz(qv);
      st = store_scale(d);
      var basis = st;
      if (gguf) {
        st = round_f16(d);
        basis = d;
      }
      if (basis == 0.0) {
        break;
      }
      a = 1.0;
      dv = basis;
    } else if (step == 1u) {
      mul = qv;
      if (rule != 4u || st == 0.0) {
        break;
      }
      a = lo;
      dv = st;
    } else {
      zq = qv;
    }
  }
  var z = 0;
  var zv = 0.0;
  if (rule == 4u && st != 0.0) {
    z = clamp(-i32(round(zq)), 0, umax);
  }
  if (rule == 4u) {
    zv = f32(z);
  } else if (rule == 5u) {
    zv = round_f16(mn);
  }
  if (!is_finite_f32(st)) {
    atomicMin(&status[1], t);
    return;
  }
  put(false, t, st);
  if (params.zero_kind != 0u) {
    put(true, t, zv);
  }

  // Codes, streamed LSB-first into the row's words (the row is one contiguous bit stream for every bit width).
  let start = g * params.group * b;
  var word = row * params.words_per_row + (start >> 5u);
  var sh = start & 31u;
  var acc = 0u;
  for (var i = 0u; i < len; i = i + 1u) {
    let x = ftz(w[base + i]);
    var c = 0;
    if (rule == 0u || rule == 1u) {
      c = clamp(i32(round(x * mul)), -hq, hq - 1) + hq;
    } else if (rule == 2u) {
      c = clamp(i32(trunc(rounded(x * mul, params.zero) + 8.5)), 0, 15);
    } else if (rule == 3u) {
      c = clamp(i32(round_away(x * mul)), -128, 127) + 128;
    } else if (rule == 4u) {
      if (st != 0.0) {
        c = clamp(i32(round(x * mul)) + z, 0, umax);
      }
    } else {
      c = clamp(i32(trunc(rounded((x - mn) * mul, params.zero) + 0.5)), 0, 15);
    }
    let u = u32(c);
    acc = acc | (u << sh);
    let end = sh + b;
    if (end >= 32u) {
      atomicOr(&codes[word], acc);
      word = word + 1u;
      acc = 0u;
      if (end > 32u) {
        acc = u >> (32u - sh);
      }
      sh = end - 32u;
    } else {
      sh = end;
    }
  }
  if (sh > 0u) {
    atomicOr(&codes[word], acc);
  }
}
