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
// No workgroup memory or barriers (SwiftShader runs invocations on CPU lanes). A head's row is a `Row`: with REGS
// (head dim <= 16; <= 32 with REGS8, <= 64 with REGS8 and REGS16) a struct of vec4 registers, else an array of
// HEAD_DIM / 4 vec4s. SwiftShader runs a private array indexed in a loop lane by lane; the registers make the forward
// 2.3x faster at head dim 16.
// HEAD_DIM (a multiple of 4) is substituted at compile time, so register components past it are never loaded.
// ROPE_OUT (BWD_Q, BWD_KV): q and k were rotated by RoPE before attention (ops.ropePair); dq and dk are stored rotated
// back (R^T, at the query's / key's position), the gradients of the unrotated q and k, with rope.wgsl's arithmetic
// and its table cs [T, HEAD_DIM / 2, 2] (cos, sin): the executor fuses the rope_pair_bwd dispatch away
// (src/graph/fuse.ts fuseRopeBackward). rope_norm: rope.wgsl's `norm` (pairs 2j, 2j + 1; else j, j + HEAD_DIM / 2).
struct Params {
  rows: u32, // invocations: B * heads * T (FORWARD, BWD_Q) or B * kv_heads * T (BWD_KV)
  T: u32,
  heads: u32,
  kv_heads: u32,
  group: u32, // heads / kv_heads
  row_pitch: u32,
  scale: f32,
  rope_norm: u32, // ROPE_OUT
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

#if REGS
struct Row {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
#if REGS8
  c4: vec4<f32>,
  c5: vec4<f32>,
  c6: vec4<f32>,
  c7: vec4<f32>,
#endif
#if REGS16
  c8: vec4<f32>,
  c9: vec4<f32>,
  c10: vec4<f32>,
  c11: vec4<f32>,
  c12: vec4<f32>,
  c13: vec4<f32>,
  c14: vec4<f32>,
  c15: vec4<f32>,
#endif
}

fn row(src: u32, b: u32) -> Row {
  var r = Row();
  r.c0 = ld(src, b);
  if (D4 > 1u) { r.c1 = ld(src, b + 1u); }
  if (D4 > 2u) { r.c2 = ld(src, b + 2u); }
  if (D4 > 3u) { r.c3 = ld(src, b + 3u); }
#if REGS8
  if (D4 > 4u) { r.c4 = ld(src, b + 4u); }
  if (D4 > 5u) { r.c5 = ld(src, b + 5u); }
  if (D4 > 6u) { r.c6 = ld(src, b + 6u); }
  if (D4 > 7u) { r.c7 = ld(src, b + 7u); }
#endif
#if REGS16
  if (D4 > 8u) { r.c8 = ld(src, b + 8u); }
  if (D4 > 9u) { r.c9 = ld(src, b + 9u); }
  if (D4 > 10u) { r.c10 = ld(src, b + 10u); }
  if (D4 > 11u) { r.c11 = ld(src, b + 11u); }
  if (D4 > 12u) { r.c12 = ld(src, b + 12u); }
  if (D4 > 13u) { r.c13 = ld(src, b + 13u); }
  if (D4 > 14u) { r.c14 = ld(src, b + 14u); }
  if (D4 > 15u) { r.c15 = ld(src, b + 15u); }
#endif
  return r;
}

fn store(dst: u32, b: u32, r: Row) {
  st(dst, b, r.c0);
  if (D4 > 1u) { st(dst, b + 1u, r.c1); }
  if (D4 > 2u) { st(dst, b + 2u, r.c2); }
  if (D4 > 3u) { st(dst, b + 3u, r.c3); }
#if REGS8
  if (D4 > 4u) { st(dst, b + 4u, r.c4); }
  if (D4 > 5u) { st(dst, b + 5u, r.c5); }
  if (D4 > 6u) { st(dst, b + 6u, r.c6); }
  if (D4 > 7u) { st(dst, b + 7u, r.c7); }
#endif
#if REGS16
  if (D4 > 8u) { st(dst, b + 8u, r.c8); }
  if (D4 > 9u) { st(dst, b + 9u, r.c9); }
  if (D4 > 10u) { st(dst, b + 10u, r.c10); }
  if (D4 > 11u) { st(dst, b + 11u, r.c11); }
  if (D4 > 12u) { st(dst, b + 12u, r.c12); }
  if (D4 > 13u) { st(dst, b + 13u, r.c13); }
  if (D4 > 14u) { st(dst, b + 14u, r.c14); }
  if (D4 > 15u) { st(dst, b + 15u, r.c15); }
#endif
}

// x . y: four lanes of fma in d order, then the lanes summed.
fn dot_rows(x: Row, y: Row) -> f32 {
  var s = fma(x.c3, y.c3, fma(x.c2, y.c2, fma(x.c1, y.c1, x.c0 * y.c0)));
#if REGS8
  s = fma(x.c7, y.c7, fma(x.c6, y.c6, fma(x.c5, y.c5, fma(x.c4, y.c4, s))));
#endif
#if REGS16
  s = fma(x.c11, y.c11, fma(x.c10, y.c10, fma(x.c9, y.c9, fma(x.c8, y.c8, s))));
  s = fma(x.c15, y.c15, fma(x.c14, y.c14, fma(x.c13, y.c13, fma(x.c12, y.c12, s))));
#endif
  return (s.x + s.y) + (s.z + s.w);
}

// a * x + acc, or acc * c + w * x (the online softmax's rescale).
fn axpy(a: f32, x: Row, acc: Row) -> Row {
  let s = vec4(a);
#if REGS16
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3), fma(s, x.c4, acc.c4), fma(s, x.c5, acc.c5), fma(s, x.c6, acc.c6), fma(s, x.c7, acc.c7),
    fma(s, x.c8, acc.c8), fma(s, x.c9, acc.c9), fma(s, x.c10, acc.c10), fma(s, x.c11, acc.c11), fma(s, x.c12, acc.c12), fma(s, x.c13, acc.c13), fma(s, x.c14, acc.c14), fma(s, x.c15, acc.c15));
#elif REGS8
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3), fma(s, x.c4, acc.c4), fma(s, x.c5, acc.c5), fma(s, x.c6, acc.c6), fma(s, x.c7, acc.c7));
#else
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3));
#endif
}

fn rescale(acc: Row, c: f32, w: f32, x: Row) -> Row {
  let cv = vec4(c);
#if REGS16
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3), fma(acc.c4, cv, w * x.c4), fma(acc.c5, cv, w * x.c5), fma(acc.c6, cv, w * x.c6), fma(acc.c7, cv, w * x.c7),
    fma(acc.c8, cv, w * x.c8), fma(acc.c9, cv, w * x.c9), fma(acc.c10, cv, w * x.c10), fma(acc.c11, cv, w * x.c11), fma(acc.c12, cv, w * x.c12), fma(acc.c13, cv, w * x.c13), fma(acc.c14, cv, w * x.c14), fma(acc.c15, cv, w * x.c15));
#elif REGS8
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3), fma(acc.c4, cv, w * x.c4), fma(acc.c5, cv, w * x.c5), fma(acc.c6, cv, w * x.c6), fma(acc.c7, cv, w * x.c7));
#else
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3));
#endif
}

fn times(x: Row, a: f32) -> Row {
  let s = vec4(a);
#if REGS16
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s, x.c4 * s, x.c5 * s, x.c6 * s, x.c7 * s, x.c8 * s, x.c9 * s, x.c10 * s, x.c11 * s, x.c12 * s, x.c13 * s, x.c14 * s, x.c15 * s);
#elif REGS8
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s, x.c4 * s, x.c5 * s, x.c6 * s, x.c7 * s);
#else
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s);
#endif
}
#else
alias Row = array<vec4<f32>, D4>;

fn row(src: u32, b: u32) -> Row {
  var r = Row();
  for (var d = 0u; d < D4; d++) {
    r[d] = ld(src, b + d);
  }
  return r;
}

fn store(dst: u32, b: u32, r: Row) {
  for (var d = 0u; d < D4; d++) {
    st(dst, b + d, r[d]);
  }
}

fn dot_rows(x: Row, y: Row) -> f32 {
  var s = x[0] * y[0];
  for (var d = 1u; d < D4; d++) {
    s = fma(x[d], y[d], s);
  }
  return (s.x + s.y) + (s.z + s.w);
}

fn axpy(a: f32, x: Row, acc0: Row) -> Row {
  var acc = acc0;
  for (var d = 0u; d < D4; d++) {
    acc[d] = fma(vec4(a), x[d], acc[d]);
  }
  return acc;
}

fn rescale(acc0: Row, c: f32, w: f32, x: Row) -> Row {
  var acc = acc0;
  for (var d = 0u; d < D4; d++) {
    acc[d] = fma(acc[d], vec4(c), w * x[d]);
  }
  return acc;
}

fn times(x0: Row, a: f32) -> Row {
  var x = x0;
  for (var d = 0u; d < D4; d++) {
    x[d] = x[d] * a;
  }
  return x;
}
#endif

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
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.rows) {
    return;
  }
  let T = params.T;
  let t = i % T; // BWD_KV: the key's position
  let bh = i / T;
  let scale = params.scale;
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
    for (var tq = t; tq < T; tq++) {
      let qb = ((b * T + tq) * params.heads + h) * D4;
      let qt = row(SRC_Q, qb);
      let dot_ = row(SRC_DO, qb);
      let p = exp(dot_rows(kj, qt) * scale - lse[sb + tq]);
      gv = axpy(p, dot_, gv);
      gk = axpy(p * (dot_rows(dot_, vj) - delta[sb + tq]), qt, gk);
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
  for (var j = 0u; j <= t; j++) {
    let kb = kb0 + j * stride;
    let kj = row(SRC_K, kb);
    let p = exp(dot_rows(qi, kj) * scale - li);
    acc = axpy(p * (dot_rows(doi, row(SRC_V, kb)) - dl), kj, acc);
  }
  store_a(qb, times(acc, scale), t);
#else
  // The first key sets the running max, so no -inf enters the arithmetic.
  var m = dot_rows(qi, row(SRC_K, kb0)) * scale;
  var l = 1.0;
  var acc = row(SRC_V, kb0);
  for (var j = 1u; j <= t; j++) {
    let kb = kb0 + j * stride;
    let s = dot_rows(qi, row(SRC_K, kb)) * scale;
    let m_new = max(m, s);
    let corr = exp(m - m_new); // 1 unless the max moved
    let w = exp(s - m_new);
    l = fma(l, corr, w);
    acc = rescale(acc, corr, w, row(SRC_V, kb));
    m = m_new;
  }
  store(DST_A, qb, times(acc, 1.0 / l));
  lse[i] = m + log(l);
#endif
#endif
}
