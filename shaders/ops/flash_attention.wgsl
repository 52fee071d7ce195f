// Causal self-attention for training without the [B, heads, T, T] scores in memory (FlashAttention-2's forward and
// backward, one invocation per row: src/ops/flash_attention.ts). q [B, T, heads, HEAD_DIM], k and v
// [B, T, kv_heads, HEAD_DIM] are the projections' own rows (no permute, no GQA repeat: query head h reads KV head
// h / group); o [B, T, heads, HEAD_DIM]; lse and delta [B, heads, T]. Query t reads keys 0..t, s = scale * q . k.
//   default (forward), one invocation per (b, h, t): an online softmax over the keys (running max m, l = sum exp(s - m),
//            acc = sum exp(s - m) v); o = acc / l and lse = m + log(l), which the backward re-derives p from.
//   BWD_Q    per (b, h, t): delta = dO . o (written for BWD_KV), then dq = scale * sum_j p (dO . v_j - delta) k_j with
//            p = exp(s - lse).
//   BWD_KV   per (b, kv head, j): over the group's query heads and queries t >= j, dv = sum p dO_t and
//            dk = scale * sum p (dO_t . v_j - delta_t) q_t. Runs after BWD_Q (it reads delta).
// No workgroup memory or barriers (SwiftShader runs invocations on CPU lanes); HEAD_DIM (a multiple of 4) is
// substituted at compile time so the per-key loops have a fixed trip count, and rows are read as vec4.
struct Params {
  rows: u32, // invocations: B * heads * T (default, BWD_Q) or B * kv_heads * T (BWD_KV)
  T: u32,
  heads: u32,
  kv_heads: u32,
  group: u32, // heads / kv_heads
  row_pitch: u32,
  scale: f32,
}

const D4: u32 = {{HEAD_DIM}}u / 4u;

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> k: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
#if BWD_Q
@group(0) @binding(3) var<storage, read> o: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> d_o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<vec4<f32>>;
#elif BWD_KV
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> d_o: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read> delta: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> dv: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read_write> o: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
#endif
@group(0) @binding(9) var<uniform> params: Params;

// The invocation's own row: q (default, BWD_Q) or k (BWD_KV).
var<private> mine: array<vec4<f32>, D4>;

// x . y over a row pair, four lanes of fma in d order, then the lanes summed.
fn lanes(acc: vec4<f32>) -> f32 {
  return (acc.x + acc.y) + (acc.z + acc.w);
}

// scale * (own row) . k[kb..] (default, BWD_Q) or . q[kb..] (BWD_KV).
fn score(kb: u32) -> f32 {
  var s = vec4<f32>();
  for (var d = 0u; d < D4; d++) {
#if BWD_KV
    s = fma(mine[d], q[kb + d], s);
#else
    s = fma(mine[d], k[kb + d], s);
#endif
  }
  return lanes(s) * params.scale;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.rows) {
    return;
  }
  let T = params.T;
  let t = i % T; // BWD_KV: the key's position
  let bh = i / T;
#if BWD_KV
  let kvh = bh % params.kv_heads;
  let b = bh / params.kv_heads;
  let kb = ((b * T + t) * params.kv_heads + kvh) * D4;
  var vj = array<vec4<f32>, D4>();
  var dkj = array<vec4<f32>, D4>();
  var dvj = array<vec4<f32>, D4>();
  for (var d = 0u; d < D4; d++) {
    mine[d] = k[kb + d];
    vj[d] = v[kb + d];
  }
  for (var g = 0u; g < params.group; g++) {
    let h = kvh * params.group + g;
    let sb = (b * params.heads + h) * T; // lse / delta of (b, h, 0)
    for (var tq = t; tq < T; tq++) {
      let qb = ((b * T + tq) * params.heads + h) * D4;
      let p = exp(score(qb) - lse[sb + tq]);
      var dp = vec4<f32>();
      for (var d = 0u; d < D4; d++) {
        let gd = d_o[qb + d];
        dvj[d] = fma(vec4(p), gd, dvj[d]);
        dp = fma(gd, vj[d], dp);
      }
      let ds = p * (lanes(dp) - delta[sb + tq]);
      for (var d = 0u; d < D4; d++) {
        dkj[d] = fma(vec4(ds), q[qb + d], dkj[d]);
      }
    }
  }
  for (var d = 0u; d < D4; d++) {
    dk[kb + d] = dkj[d] * params.scale;
    dv[kb + d] = dvj[d];
  }
#else
  let h = bh % params.heads;
  let b = bh / params.heads;
  let kvh = h / params.group;
  let qb = ((b * T + t) * params.heads + h) * D4;
  for (var d = 0u; d < D4; d++) {
    mine[d] = q[qb + d];
  }
  let row = params.kv_heads * D4; // one position of k / v
  let kb0 = b * T * row + kvh * D4;
#if BWD_Q
  var dov = array<vec4<f32>, D4>();
  var dd = vec4<f32>();
  for (var d = 0u; d < D4; d++) {
    dov[d] = d_o[qb + d];
    dd = fma(dov[d], o[qb + d], dd);
  }
  let dl = lanes(dd);
  delta[i] = dl;
  let li = lse[i];
  var acc = array<vec4<f32>, D4>();
  for (var j = 0u; j <= t; j++) {
    let kb = kb0 + j * row;
    let p = exp(score(kb) - li);
    var dp = vec4<f32>();
    for (var d = 0u; d < D4; d++) {
      dp = fma(dov[d], v[kb + d], dp);
    }
    let ds = p * (lanes(dp) - dl);
    for (var d = 0u; d < D4; d++) {
      acc[d] = fma(vec4(ds), k[kb + d], acc[d]);
    }
  }
  for (var d = 0u; d < D4; d++) {
    dq[qb + d] = acc[d] * params.scale;
  }
#else
  // The first key sets the running max, so no -inf enters the arithmetic.
  var m = score(kb0);
  var l = 1.0;
  var acc = array<vec4<f32>, D4>();
  for (var d = 0u; d < D4; d++) {
    acc[d] = v[kb0 + d];
  }
  for (var j = 1u; j <= t; j++) {
    let kb = kb0 + j * row;
    let s = score(kb);
    let m_new = max(m, s);
    let corr = exp(m - m_new); // 1 unless the max moved
    let w = exp(s - m_new);
    l = fma(l, corr, w);
    for (var d = 0u; d < D4; d++) {
      acc[d] = fma(acc[d], vec4(corr), w * v[kb + d]);
    }
    m = m_new;
  }
  let inv = 1.0 / l;
  for (var d = 0u; d < D4; d++) {
    o[qb + d] = acc[d] * inv;
  }
  lse[i] = m + log(l);
#endif
#endif
}
