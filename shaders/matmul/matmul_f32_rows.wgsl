// f32 matmul, register-blocked for CPU adapters (SwiftShader): the same product as matmul_f32.wgsl,
//   C[b] = op(A[b]) * op(B[b]), C [M, N] row-major; A [M, K] or [K, M] (TRANS_A); B [K, N] or [N, K] (TRANS_B);
//   batch strides in elements, 0 broadcasts (grid z).
// One invocation per block of RPI (4 or 8) rows and RC (4 ..= 16, a multiple of 4) adjacent columns, no workgroup
// memory, no barriers (SwiftShader emulates them): the shape of the quantized matmuls' rows path. K advances 4 at a
// time and each operand is read along its contiguous dimension, 16 bytes a load where its shape allows (A_VEC / B_VEC: the
// planner checks that the contiguous dimension and the batch stride are multiples of 4), so every layout of
// training's three products (x W, dY W^T, X^T dY) reads whole vec4s without a transpose in memory:
//   A [M, K]: a vec4 per row along K;   A [K, M]: a vec4 per k along the block's rows;
//   B [K, N]: a vec4 per k along columns;   B [N, K]: a vec4 per column along K.
// Four rows of the block are the components of a vec4 accumulator per column: each loaded B value feeds RPI
// products, each A value RC. The products are summed in k order, one fma each, as the naive shape of
// matmul_f32.wgsl does: the results are the same bits. Rows past M and columns past N repeat the last one and are
// not written.
// ACCUM: C = op(A) op(B) + R, R (binding `addend`) laid out as C (a gradient summed into, a residual added): one
// rounding after the product's, as a separate add would round.
// B16: B holds 16-bit floats (F16, or BF16 under B_BF16), two per u32 word, low half first, in the same element order
// (common/w16.wgsl): a language model's F16 / BF16 weights at 2 bytes a parameter, half the bytes each load brings;
// unpacked to f32, the same fma sequence (B_VEC: 8 bytes per 4 values).
struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_a: u32,
  batch_b: u32,
  batch_c: u32,
  ldc: u32, // row stride of C (N unless C is a column block of a wider matrix)
  c0: u32,  // index of C[0, 0] in c (a column block's first column)
}

const RC: u32 = {{COLS}}u; // adjacent output columns per invocation: 4 (g0), 8 (G1), 12 (G2) or 16 (G3)
const RPI: u32 = {{ROWS}}u; // rows per invocation: 4, or 8 (ROWS8)

override WG_X: u32 = 8;
override WG_Y: u32 = 2;

#if A_VEC
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(0) var<storage, read> a: array<f32>;
#endif
#if B16
#if B_VEC
@group(0) @binding(1) var<storage, read> b: array<vec2<u32>>;
#else
@group(0) @binding(1) var<storage, read> b: array<u32>;
#endif
#include "common/w16.wgsl"
#elif B_VEC
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
#if C_VEC
@group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
#if ACCUM
@group(0) @binding(4) var<storage, read> addend: array<vec4<f32>>;
#endif
#else
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
#if ACCUM
@group(0) @binding(4) var<storage, read> addend: array<f32>;
#endif
#endif
@group(0) @binding(3) var<uniform> params: Params;

// Element i of A or B, whichever way the binding is typed (the K tail only).
fn a_at(i: u32) -> f32 {
#if A_VEC
  return a[i / 4u][i % 4u];
#else
  return a[i];
#endif
}

fn b_at(i: u32) -> f32 {
#if B16
#if B_VEC
  return w16_pair(b[i >> 2u][(i >> 1u) & 1u])[i & 1u];
#else
  return w16_pair(b[i >> 1u])[i & 1u];
#endif
#elif B_VEC
  return b[i / 4u][i % 4u];
#else
  return b[i];
#endif
}

// The four contiguous elements of A or B from element i (i a multiple of 4 under A_VEC / B_VEC).
fn a4(i: u32) -> vec4<f32> {
#if A_VEC
  return a[i / 4u];
#else
  return vec4<f32>(a[i], a[i + 1u], a[i + 2u], a[i + 3u]);
#endif
}

fn b4(i: u32) -> vec4<f32> {
#if B16
#if B_VEC
  return w16_quad(b[i / 4u]);
#else
  // Four values from any element: two words from an even one, else the high half, a word, the low half.
  let w = i >> 1u;
  if ((i & 1u) == 0u) {
    return w16_quad(vec2<u32>(b[w], b[w + 1u]));
  }
  let u = b[w + 1u];
  return w16_quad(vec2<u32>((b[w] >> 16u) | (u << 16u), (u >> 16u) | (b[w + 2u] << 16u)));
#endif
#elif B_VEC
  return b[i / 4u];
#else
  return vec4<f32>(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
#endif
}

// A 4 x 4 block of an operand at k .. k + 3: kj holds its 4 rows (A) or 4 columns (B) at k + j.
struct Block {
  k0: vec4<f32>,
  k1: vec4<f32>,
  k2: vec4<f32>,
  k3: vec4<f32>,
}

// 4 rows x 4 columns of C: cj holds the rows at column j.
struct Acc {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
}

// A 4x4 block given as four vec4s along the other dimension, transposed (free: a vec4 is four registers on SwiftShader).
fn transpose4(r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>) -> Block {
  return Block(vec4<f32>(r0.x, r1.x, r2.x, r3.x), vec4<f32>(r0.y, r1.y, r2.y, r3.y), vec4<f32>(r0.z, r1.z, r2.z, r3.z), vec4<f32>(r0.w, r1.w, r2.w, r3.w));
}

#if TRANS_A
// A [K, M]: row k of the stored matrix holds the block's rows side by side.
fn a_rows(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M;
#if A_VEC
  return a[(o + min(m0, params.M - 4u)) / 4u]; // M is a multiple of 4: a block past M is a whole one, not written
#else
  let ml = params.M - 1u;
  return vec4<f32>(a[o + min(m0, ml)], a[o + min(m0 + 1u, ml)], a[o + min(m0 + 2u, ml)], a[o + min(m0 + 3u, ml)]);
#endif
}

fn load_a(base: u32, m0: u32, k: u32) -> Block {
  return Block(a_rows(base, m0, k), a_rows(base, m0, k + 1u), a_rows(base, m0, k + 2u), a_rows(base, m0, k + 3u));
}

fn a_col(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M;
  let ml = params.M - 1u;
  return vec4<f32>(a_at(o + min(m0, ml)), a_at(o + min(m0 + 1u, ml)), a_at(o + min(m0 + 2u, ml)), a_at(o + min(m0 + 3u, ml)));
}
#else
// A [M, K]: a vec4 along K per row.
fn load_a(base: u32, m0: u32, k: u32) -> Block {
  let ml = params.M - 1u;
  let K = params.K;
  return transpose4(a4(base + min(m0, ml) * K + k), a4(base + min(m0 + 1u, ml) * K + k), a4(base + min(m0 + 2u, ml) * K + k), a4(base + min(m0 + 3u, ml) * K + k));
}

fn a_col(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let ml = params.M - 1u;
  let K = params.K;
  return vec4<f32>(a_at(base + min(m0, ml) * K + k), a_at(base + min(m0 + 1u, ml) * K + k), a_at(base + min(m0 + 2u, ml) * K + k), a_at(base + min(m0 + 3u, ml) * K + k));
}
#endif

#if TRANS_B
// B [N, K]: a vec4 along K per column; columns past N repeat the last.
fn load_b(base: u32, k: u32, n: u32) -> Block {
  let nl = params.N - 1u;
  let K = params.K;
  return Block(b4(base + min(n, nl) * K + k), b4(base + min(n + 1u, nl) * K + k), b4(base + min(n + 2u, nl) * K + k), b4(base + min(n + 3u, nl) * K + k));
}

fn b_one(base: u32, k: u32, n: u32) -> f32 {
  return b_at(base + n * params.K + k);
}
#else
// B [K, N]: columns n .. n + 3 of row k; past N the last ones (the last whole vec4 under B_VEC, N a multiple of 4).
fn b_cols(base: u32, k: u32, n: u32) -> vec4<f32> {
  let o = base + k * params.N;
#if B_VEC
  return b4(o + min(n, params.N - 4u));
#else
  let nl = params.N - 1u;
  return vec4<f32>(b_at(o + min(n, nl)), b_at(o + min(n + 1u, nl)), b_at(o + min(n + 2u, nl)), b_at(o + min(n + 3u, nl)));
#endif
}

fn load_b(base: u32, k: u32, n: u32) -> Block {
  return transpose4(b_cols(base, k, n), b_cols(base, k + 1u, n), b_cols(base, k + 2u, n), b_cols(base, k + 3u, n));
}

fn b_one(base: u32, k: u32, n: u32) -> f32 {
  return b_at(base + k * params.N + n);
}
#endif

// acc + a * b: one fma, as the naive shape rounds.
fn mad(a: vec4<f32>, b: f32, acc: vec4<f32>) -> vec4<f32> {
  return fma(a, vec4<f32>(b), acc);
}

// One column's 4 steps of k: rows av (Block over k) times the column's values bc at k .. k + 3, in k order.
fn mad4(av: Block, bc: vec4<f32>, acc: vec4<f32>) -> vec4<f32> {
  return mad(av.k3, bc.w, mad(av.k2, bc.z, mad(av.k1, bc.y, mad(av.k0, bc.x, acc))));
}

fn step(acc: Acc, av: Block, bv: Block) -> Acc {
  return Acc(mad4(av, bv.k0, acc.c0), mad4(av, bv.k1, acc.c1), mad4(av, bv.k2, acc.c2), mad4(av, bv.k3, acc.c3));
}

// The K tail: one k, rows av, columns n .. n + 3 (past N: the last).
fn step1(acc: Acc, av: vec4<f32>, base_b: u32, k: u32, n: u32) -> Acc {
  let nl = params.N - 1u;
  return Acc(mad(av, b_one(base_b, k, min(n, nl)), acc.c0), mad(av, b_one(base_b, k, min(n + 1u, nl)), acc.c1), mad(av, b_one(base_b, k, min(n + 2u, nl)), acc.c2), mad(av, b_one(base_b, k, min(n + 3u, nl)), acc.c3));
}

#if !C_VEC
// x plus R's element i under ACCUM.
fn plus(i: u32, x: f32) -> f32 {
#if ACCUM
  return x + addend[i];
#else
  return x;
#endif
}
#endif

// Row m of C at columns n .. n + 3, those before N: one 16-byte store under C_VEC (N and the batch stride multiples
// of 4, so the four are inside the row or all past it).
fn store_row(base_c: u32, m: u32, n: u32, v: vec4<f32>) {
  let o = base_c + m * params.ldc + n;
#if C_VEC
  if (n < params.N) {
#if ACCUM
    c[o / 4u] = v + addend[o / 4u];
#else
    c[o / 4u] = v;
#endif
  }
#else
  if (n < params.N) {
    c[o] = plus(o, v.x);
  }
  if (n + 1u < params.N) {
    c[o + 1u] = plus(o + 1u, v.y);
  }
  if (n + 2u < params.N) {
    c[o + 2u] = plus(o + 2u, v.z);
  }
  if (n + 3u < params.N) {
    c[o + 3u] = plus(o + 3u, v.w);
  }
#endif
}

// The 4 x 4 block at rows m0 .. m0 + 3 (those before M), columns n .. n + 3, stored a row at a time.
fn store(base_c: u32, m0: u32, n: u32, acc: Acc) {
  let t = transpose4(acc.c0, acc.c1, acc.c2, acc.c3); // t.kj: row m0 + j
  if (m0 < params.M) {
    store_row(base_c, m0, n, t.k0);
  }
  if (m0 + 1u < params.M) {
    store_row(base_c, m0 + 1u, n, t.k1);
  }
  if (m0 + 2u < params.M) {
    store_row(base_c, m0 + 2u, n, t.k2);
  }
  if (m0 + 3u < params.M) {
    store_row(base_c, m0 + 3u, n, t.k3);
  }
}

// The block's 4-column groups are written out (g0 .. g3, and h0 .. h3 for rows 4 .. 7 under ROWS8), not an array
// indexed in a loop, which SwiftShader would run lane by lane with a mask per iteration.
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * RC;
  let m0 = gid.y * RPI;
  if (n0 >= params.N || m0 >= params.M) {
    return;
  }
  let base_a = gid.z * params.batch_a;
  let base_b = gid.z * params.batch_b;
  var g0 = Acc();
  var g1 = Acc();
  var g2 = Acc();
  var g3 = Acc();
#if ROWS8
  var h0 = Acc();
  var h1 = Acc();
  var h2 = Acc();
  var h3 = Acc();
#endif
  let k4 = params.K & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    let av = load_a(base_a, m0, k);
#if ROWS8
    let av2 = load_a(base_a, m0 + 4u, k);
#endif
    let b0 = load_b(base_b, k, n0);
    g0 = step(g0, av, b0);
#if ROWS8
    h0 = step(h0, av2, b0);
#endif
#if G1
    let b1 = load_b(base_b, k, n0 + 4u);
    g1 = step(g1, av, b1);
#if ROWS8
    h1 = step(h1, av2, b1);
#endif
#endif
#if G2
    let b2 = load_b(base_b, k, n0 + 8u);
    g2 = step(g2, av, b2);
#if ROWS8
    h2 = step(h2, av2, b2);
#endif
#endif
#if G3
    let b3 = load_b(base_b, k, n0 + 12u);
    g3 = step(g3, av, b3);
#if ROWS8
    h3 = step(h3, av2, b3);
#endif
#endif
  }
  // K's last K % 4 steps, one k at a time.
  for (var k = k4; k < params.K; k++) {
    let av = a_col(base_a, m0, k);
    g0 = step1(g0, av, base_b, k, n0);
    g1 = step1(g1, av, base_b, k, n0 + 4u);
    g2 = step1(g2, av, base_b, k, n0 + 8u);
    g3 = step1(g3, av, base_b, k, n0 + 12u);
#if ROWS8
    let av2 = a_col(base_a, m0 + 4u, k);
    h0 = step1(h0, av2, base_b, k, n0);
    h1 = step1(h1, av2, base_b, k, n0 + 4u);
    h2 = step1(h2, av2, base_b, k, n0 + 8u);
    h3 = step1(h3, av2, base_b, k, n0 + 12u);
#endif
  }
  let base_c = gid.z * params.batch_c + params.c0;
  store(base_c, m0, n0, g0);
#if G1
  store(base_c, m0, n0 + 4u, g1);
#endif
#if G2
  store(base_c, m0, n0 + 8u, g2);
#endif
#if G3
  store(base_c, m0, n0 + 12u, g3);
#endif
#if ROWS8
  store(base_c, m0 + 4u, n0, h0);
#if G1
  store(base_c, m0 + 4u, n0 + 4u, h1);
#endif
#if G2
  store(base_c, m0 + 4u, n0 + 8u, h2);
#endif
#if G3
  store(base_c, m0 + 4u, n0 + 12u, h3);
#endif
#endif
}
