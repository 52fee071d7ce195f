// Causal self-attention for training without the [B, heads, T, T] scores in memory (FlashAttention-2's forward and
// backward, one invocation per row: src/ops/flash_attention.ts). q [B, T, heads, HEAD_DIM], k and v
// [B, T, kv_heads, HEAD_DIM] are the projections' own rows (no permute, no GQA repeat: query head h reads KV head
// h / group); o [B, T, heads, HEAD_DIM]; lse and delta [B, heads, T]. Query t reads keys 0..t, s = scale * q . k.
//   FORWARD  one invocation per (b, h, t): an online softmax over the keys (running max m, l = sum exp(s - m),
//            acc = sum exp(s - m) v); o = acc / l and lse = m + log(l), which the backward re-derives p from.
//   BWD_Q    per (b, h, t): delta = dO . o (written for BWD_KV), then dq = scale * sum_j p (dO . v_j - delta) k_j with
//            p = exp(s - lse).
//   BWD_KV   per (b, kv head, j): over the group's query heads and queries t >= j, dv = sum p dO_t and
//            dk = scale * sum p (dO_t . v_j - delta_t) q_t. Runs after BWD_Q (it reads delta).
// ALIBI (BLOOM, MPT, ...): the score of key j for query t gains slope_h (j - t), llama.cpp's slope of head h from
// max_bias = params.alibi (as shaders/lm/attention_split.wgsl); a constant, so the backward's dS rule is unchanged
// (not with SOFTCAP, whose derivative reads the capped score). Without it the term is 0.0 and folds away.
// No workgroup memory or barriers (SwiftShader runs invocations on CPU lanes). A head's row is a `Row`: with REGS
// (head dim <= 16; <= 32 with REGS8, <= 64 with REGS8 and REGS16) a struct of vec4 registers, else an array of
// HEAD_DIM / 4 vec4s. SwiftShader runs a private array indexed in a loop lane by lane; the registers make the forward
// 2.3x faster at head dim 16.
// HEAD_DIM (a multiple of 4) is substituted at compile time, so register components past it are never loaded.
// ROPE_OUT (BWD_Q, BWD_KV): q and k were rotated by RoPE before attention (ops.ropePair); dq and dk are stored rotated
// back (R^T, at the query's / key's position), the gradients of the unrotated q and k, with rope.wgsl's arithmetic
// and its table cs [T, HEAD_DIM / 2, 2] (cos, sin): the executor fuses the rope_pair_bwd dispatch away
// (src/graph/fuse.ts fuseRopeBackward). rope_norm: rope.wgsl's `norm` (pairs 2j, 2j + 1; else j, j + HEAD_DIM / 2).
// QUAD (CPU adapters with subgroups; T a multiple of 4): the four invocations of a quad are four adjacent rows of
// one (b, head), so every row of k and v the forward and BWD_Q read (and of q and dO in BWD_KV) is the same for the
// four: each lane loads a quarter of it (vec4 c of the row where c % 4 is its quad lane) and quadBroadcast gives the
// rest. SwiftShader gathers each component of a storage load lane by lane (rr::Gather), so a row costs a quarter of
// the gathers. The quad runs its rows' loop from the lowest row's first key to the highest's last, each lane doing
// its own row's arithmetic only where its row reads that key: the same operations in the same order, the same bits.
#if QUAD
enable subgroups;
// Uniform by construction (the loops' bounds are the quad's, the same for its four lanes), which the analysis cannot see.
diagnostic(off, subgroup_uniformity);
#endif
struct Params {
  rows: u32, // invocations: B * heads * T (FORWARD, BWD_Q) or B * kv_heads * T (BWD_KV)
  T: u32,
  heads: u32,
  kv_heads: u32,
  group: u32, // heads / kv_heads
  row_pitch: u32,
  scale: f32,
  rope_norm: u32, // ROPE_OUT
  softcap: f32, // SOFTCAP
  alibi: f32, // ALIBI: max_bias
}

const D4: u32 = {{HEAD_DIM}}u / 4u;

// SOFTCAP (gemma2): each score capped after the scale, s -> cap tanh(s / cap) (tanh's argument clamped to +-15, where
// it is +-1 in f32); the backward multiplies each dS by the cap's derivative at the capped score, 1 - (s / cap)^2.
// Without it both are the identity (the same bits as before).
fn score(raw: f32) -> f32 {
#if SOFTCAP
  return params.softcap * tanh(clamp(raw / params.softcap, -15.0, 15.0));
#else
  return raw;
#endif
}

#if ALIBI
#include "common/alibi.wgsl"
#endif

// ALiBi's term of key j for query t in head h (0 without ALIBI).
fn bias(h: u32, j: u32, t: u32) -> f32 {
#if ALIBI
  return alibi_slope(h, params.heads, params.alibi) * (f32(j) - f32(t));
#else
  return 0.0;
#endif
}

fn dscore(s: f32) -> f32 {
#if SOFTCAP
  let u = s / params.softcap;
  return 1.0 - u * u;
#else
  return 1.0;
#endif
}

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
#if ROPE_OUT
@group(0) @binding(10) var<storage, read> cs: array<f32>;
#endif

// Where a row is read from or written to (a constant at every call, so the switches fold away).
const SRC_Q = 0u;
const SRC_K = 1u;
const SRC_V = 2u;
const SRC_O = 3u;  // o (BWD_Q reads it)
const SRC_DO = 4u; // d_o (the backward)
const DST_A = 0u;  // o (FORWARD), dq (BWD_Q), dk (BWD_KV)
const DST_B = 1u;  // dv (BWD_KV)

fn ld(src: u32, i: u32) -> vec4<f32> {
  switch src {
    case 0u: { return q[i]; }
    case 1u: { return k[i]; }
    case 2u: { return v[i]; }
#if BWD_Q
    case 3u: { return o[i]; }
#endif
#if !FORWARD
    case 4u: { return d_o[i]; }
#endif
    default: { return vec4<f32>(); }
  }
}

fn st(dst: u32, i: u32, x: vec4<f32>) {
#if BWD_KV
  if (dst == DST_A) {
    dk[i] = x;
  } else {
    dv[i] = x;
  }
#elif BWD_Q
  dq[i] = x;
#else
  o[i] = x;
#endif
}

#include "ops/flash_attention_rows.wgsl"

#if ROPE_OUT
#if REGS
fn chunk(r: Row, c: u32) -> vec4<f32> {
  switch c {
    case 0u: { return r.c0; }
    case 1u: { return r.c1; }
    case 2u: { return r.c2; }
    case 3u: { return r.c3; }
#if REGS8
    case 4u: { return r.c4; }
    case 5u: { return r.c5; }
    case 6u: { return r.c6; }
    case 7u: { return r.c7; }
#endif
#if REGS16
    case 8u: { return r.c8; }
    case 9u: { return r.c9; }
    case 10u: { return r.c10; }
    case 11u: { return r.c11; }
    case 12u: { return r.c12; }
    case 13u: { return r.c13; }
    case 14u: { return r.c14; }
    case 15u: { return r.c15; }
#endif
    default: { return vec4<f32>(); }
  }
}
#else
fn chunk(r: Row, c: u32) -> vec4<f32> {
  return r[c];
}
#endif

// Stores row r at b rotated back by RoPE at position t: element d of a pair (a, b) is x[a] cos - x[b] sn (first of
// the pair) or x[b] cos + x[a] sn, sn = -sin, op for op as rope.wgsl with sign -1.
fn store_unrope(dst: u32, b: u32, r: Row, t: u32) {
  let half = D4 * 2u;
  for (var c = 0u; c < D4; c++) {
    var y = vec4<f32>();
    for (var e = 0u; e < 4u; e++) {
      let d = 4u * c + e;
      var j = d % half;
      var pa = j;
      var pb = j + half;
      var first = d < half;
      if (params.rope_norm == 1u) {
        j = d / 2u;
        pa = 2u * j;
        pb = pa + 1u;
        first = (d & 1u) == 0u;
      }
      let k = 2u * (t * half + j);
      let cv = cs[k];
      let sn = -1.0 * cs[k + 1u];
      let xa = chunk(r, pa / 4u)[pa % 4u];
      let xb = chunk(r, pb / 4u)[pb % 4u];
      if (first) {
        y[e] = xa * cv - xb * sn;
      } else {
        y[e] = xb * cv + xa * sn;
      }
    }
    st(dst, b + c, y);
  }
}

fn store_a(b: u32, r: Row, t: u32) {
  store_unrope(DST_A, b, r, t);
}
#else
fn store_a(b: u32, r: Row, t: u32) {
  store(DST_A, b, r);
}
#endif

@compute @workgroup_size(WG)
#if QUAD
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) sl: u32) {
  ql = sl & 3u;
#else
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
#endif
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.rows) {
    return;
  }
  let T = params.T;
  let t = i % T; // BWD_KV: the key's position
  let bh = i / T;
  let scale = params.scale;
  // The rows the loops run over: this row's, or the quad's (its four rows t0 .. t0 + 3 of one (b, head)).
#if QUAD
  let t_lo = t & ~3u;
  let t_hi = t | 3u;
#else
  let t_lo = t;
  let t_hi = t;
#endif
#if BWD_KV
  let kvh = bh % params.kv_heads;
  let b = bh / params.kv_heads;
  let kb = ((b * T + t) * params.kv_heads + kvh) * D4;
  let kj = row(SRC_K, kb);
  let vj = row(SRC_V, kb);
  var gk = Row(); // dk, dv of this key
  var gv = Row();
  for (var g = 0u; g < params.group; g++) {
    let h = kvh * params.group + g;
    let sb = (b * params.heads + h) * T; // lse / delta of (b, h, 0)
    for (var tq = t_lo; tq < T; tq++) {
      let qb = ((b * T + tq) * params.heads + h) * D4;
      let qt = row_shared(SRC_Q, qb);
      let dot_ = row_shared(SRC_DO, qb);
      if (tq >= t) {
        let sc = score(dot_rows(kj, qt) * scale) + bias(h, t, tq);
        let p = exp(sc - lse[sb + tq]);
        gv = axpy(p, dot_, gv);
        gk = axpy(p * (dot_rows(dot_, vj) - delta[sb + tq]) * dscore(sc), qt, gk);
      }
    }
  }
  store_a(kb, times(gk, scale), t);
  store(DST_B, kb, gv);
#else
  let h = bh % params.heads;
  let b = bh / params.heads;
  let kvh = h / params.group;
  let qb = ((b * T + t) * params.heads + h) * D4;
  let qi = row(SRC_Q, qb);
  let stride = params.kv_heads * D4; // one position of k / v
  let kb0 = b * T * stride + kvh * D4;
#if BWD_Q
  let doi = row(SRC_DO, qb);
  let dl = dot_rows(doi, row(SRC_O, qb));
  delta[i] = dl;
  let li = lse[i];
  var acc = Row();
  for (var j = 0u; j <= t_hi; j++) {
    let kb = kb0 + j * stride;
    let kj = row_shared(SRC_K, kb);
    let vj = row_shared(SRC_V, kb);
    if (j <= t) {
      let sc = score(dot_rows(qi, kj) * scale) + bias(h, j, t);
      let p = exp(sc - li);
      acc = axpy(p * (dot_rows(doi, vj) - dl) * dscore(sc), kj, acc);
    }
  }
  store_a(qb, times(acc, scale), t);
#else
  // The first key sets the running max, so no -inf enters the arithmetic.
  var m = score(dot_rows(qi, row_shared(SRC_K, kb0)) * scale) + bias(h, 0u, t);
  var l = 1.0;
  var acc = row_shared(SRC_V, kb0);
  for (var j = 1u; j <= t_hi; j++) {
    let kb = kb0 + j * stride;
    let kj = row_shared(SRC_K, kb);
    let vj = row_shared(SRC_V, kb);
    if (j <= t) {
      let s = score(dot_rows(qi, kj) * scale) + bias(h, j, t);
      let m_new = max(m, s);
      let corr = exp(m - m_new); // 1 unless the max moved
      let w = exp(s - m_new);
      l = fma(l, corr, w);
      acc = rescale(acc, corr, w, vj);
      m = m_new;
    }
  }
  store(DST_A, qb, times(acc, 1.0 / l));
  lse[i] = m + log(l);
#endif
#endif
}
