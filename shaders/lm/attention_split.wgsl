// Attention over the KV cache, flash-decoding style, first pass (src/kernels/lm.ts planAttentionSplit).
// q [T, heads, HEAD_DIM]; k_cache, v_cache [ctx_max, kv_heads, HEAD_DIM] (row = position), or with a ring of R rows
// [R, kv_heads, HEAD_DIM] (row = position % R: a sliding-window layer's cache, R >= the window); pos i32 [T].
// Query t attends causally to keys 0..pos[t] (with a window w > 0: keys pos[t]-w+1..pos[t], gemma3's sliding-window
// layers, as llama.cpp masks them: key j is out when pos[t] - j >= w; with a chunk c > 0: keys of pos[t]'s chunk of c
// positions only, llama4's chunked layers, key j out when j < pos[t] - pos[t] % c). With alibi = max_bias > 0 (ALiBi:
// BLOOM, MPT, JAIS, Refact, Baichuan-13B) the score of key j gains slope_h (j - pos[t]), llama.cpp's slope for head h
// of n heads: with n2 the largest power of two <= n, 2^(-max_bias (h + 1) / n2) for h < n2, else
// 2^(-max_bias (2 (h - n2) + 1) / (2 n2)). The keys are cut into n_split splits of split_keys; one invocation
// per (t, h, split) walks its split's keys with an online softmax in f32 and writes a partial
//   part[t, h, split] = (m, l, o[0..HEAD_DIM)): m the largest score, l = sum exp(s - m), o = sum exp(s - m) v
// (o not divided by l). A split that starts past pos[t] (or a row whose position is outside [0, ctx_max), such as
// padding's -1) writes m = -inf, l = 0, o = 0, which the merge skips. GQA: head h reads kv head h / group.
// No workgroup memory or barriers (SwiftShader runs it on the CPU); HEAD_DIM (a multiple of 4) is substituted at
// compile time so the per-key loops have a fixed trip count, and q, keys and values are read as vec4. With KV_F16
// the cache holds f16 values in pairs per u32 word (kv_store.wgsl), read four at a time as vec2<u32>.
struct Params {
  items: u32, // T * heads * n_split
  heads: u32,
  kv_heads: u32,
  group: u32, // heads / kv_heads
  ctx_max: u32,
  split_keys: u32,
  n_split: u32,
  row_pitch: u32,
  scale: f32,
  window: u32, // 0: every earlier key
  softcap: f32, // > 0: scores soft-capped, s -> softcap * tanh(s / softcap) (gemma2); 0: none
  ring: u32, // 0: the row of key j is j; R > 0: j % R
  chunk: u32, // 0: no chunks; c > 0: keys from pos[t] - pos[t] % c on (llama4)
  alibi: f32, // ALiBi's max_bias; 0: none
}

#include "common/alibi.wgsl"

/** The cache row of the key at position j. */
fn krow(j: u32) -> u32 {
  return select(j, j % params.ring, params.ring > 0u);
}

const D: u32 = {{HEAD_DIM}}u;
const D4: u32 = D / 4u;

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
#if KV_F16
@group(0) @binding(1) var<storage, read> k_cache: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec2<u32>>;

fn key4(i: u32) -> vec4<f32> {
  let w = k_cache[i];
  return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}

fn value4(i: u32) -> vec4<f32> {
  let w = v_cache[i];
  return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y));
}
#else
@group(0) @binding(1) var<storage, read> k_cache: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v_cache: array<vec4<f32>>;

fn key4(i: u32) -> vec4<f32> {
  return k_cache[i];
}

fn value4(i: u32) -> vec4<f32> {
  return v_cache[i];
}
#endif
@group(0) @binding(3) var<storage, read> pos: array<i32>;
@group(0) @binding(4) var<storage, read_write> part: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

var<private> qv: array<vec4<f32>, D4>;

/** scale * q . k_cache[j, kv_head], kb in vec4 units (soft-capped when softcap > 0). */
fn score(kb: u32) -> f32 {
  var s = vec4<f32>();
  for (var d = 0u; d < D4; d++) {
    s = fma(qv[d], key4(kb + d), s);
  }
  let z = (s.x + s.y + s.z + s.w) * params.scale;
  if (params.softcap > 0.0) {
    // |z / softcap| is clamped where tanh is +-1 in f32 (a tanh formed from exponentials gives NaN at +-inf).
    return params.softcap * tanh(clamp(z / params.softcap, -15.0, 15.0));
  }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.y * params.row_pitch + gid.x;
  if (k >= params.items) {
    return;
  }
  let split = k % params.n_split;
  let th = k / params.n_split; // t * heads + h
  let t = th / params.heads;
  let kvh = (th % params.heads) / params.group;
  let p = pos[t];
  var lo = split * params.split_keys;
  // Keys lo..hi-1; empty when the split starts past pos[t], ends before its window, or the row is padding.
  var hi = lo;
  if (p >= 0 && u32(p) < params.ctx_max) {
    hi = min(lo + params.split_keys, u32(p) + 1u);
    if (params.window > 0u && u32(p) + 1u > params.window) {
      lo = max(lo, u32(p) + 1u - params.window);
    }
    if (params.chunk > 0u) {
      lo = max(lo, u32(p) - u32(p) % params.chunk);
    }
  }
  let ob = k * (D + 2u);
  var o = array<vec4<f32>, D4>();
  if (hi <= lo) {
    // -inf from a runtime bit pattern (a constant -inf is not a valid WGSL expression).
    part[ob] = bitcast<f32>(0xff800000u | (params.items & 0u));
    part[ob + 1u] = 0.0;
    for (var d = 0u; d < D; d++) {
      part[ob + 2u + d] = 0.0;
    }
    return;
  }
  let qb = th * D4;
  for (var d = 0u; d < D4; d++) {
    qv[d] = q[qb + d];
  }
  // ALiBi: key j's score gains slope (j - p) (slope 0 without it)
  let slope = select(0.0, alibi_slope(th % params.heads, params.heads, params.alibi), params.alibi > 0.0);
  let pf = f32(p);
  let row = params.kv_heads * D4;
  // The first key sets the running max, so no -inf ever enters the arithmetic.
  var kb = krow(lo) * row + kvh * D4;
  var m = score(kb) + slope * (f32(lo) - pf);
  var l = 1.0;
  for (var d = 0u; d < D4; d++) {
    o[d] = value4(kb + d);
  }
  for (var j = lo + 1u; j < hi; j++) {
    kb = krow(j) * row + kvh * D4;
    let s = score(kb) + slope * (f32(j) - pf);
    let m_new = max(m, s);
    let corr = exp(m - m_new); // 1 unless the max moved
    let w = exp(s - m_new);
    l = fma(l, corr, w);
    for (var d = 0u; d < D4; d++) {
      o[d] = fma(o[d], vec4(corr), w * value4(kb + d));
    }
    m = m_new;
  }
  part[ob] = m;
  part[ob + 1u] = l;
  for (var d = 0u; d < D4; d++) {
    let b = ob + 2u + 4u * d;
    part[b] = o[d].x;
    part[b + 1u] = o[d].y;
    part[b + 2u] = o[d].z;
    part[b + 3u] = o[d].w;
  }
}
