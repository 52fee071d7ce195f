// f32 matmul, register-blocked for CPU adapters (SwiftShader): the same product as matmul_f32.wgsl,
//   C[b] = op(A[b]) * op(B[b]), C [M, N] row-major; A [M, K] or [K, M] (TRANS_A); B [K, N] or [N, K] (TRANS_B);
//   batch strides in elements, 0 broadcasts (grid z).
// One invocation per block of 4 rows and RC adjacent columns (RC a multiple of 4), no workgroup memory, no barriers
// (SwiftShader emulates them): the shape of the quantized matmuls' rows path. K advances 4 at a time and each
// operand is read along its contiguous dimension, 16 bytes a load where its shape allows (A_VEC / B_VEC: the
// planner checks that the contiguous dimension and the batch stride are multiples of 4), so every layout of
// training's three products (x W, dY W^T, X^T dY) reads whole vec4s without a transpose in memory:
//   A [M, K]: a vec4 per row along K;   A [K, M]: a vec4 per k along the block's rows;
//   B [K, N]: a vec4 per k along columns;   B [N, K]: a vec4 per column along K.
// The block's rows are the components of a vec4 accumulator per column (acc[c]): each loaded B value feeds four
// products, each A value RC. The products are summed in k order, one fma each, as the naive shape of
// matmul_f32.wgsl does: the results are the same bits. Rows past M and columns past N repeat the last one and are
// not written.
struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_a: u32,
  batch_b: u32,
  batch_c: u32,
}

const RC: u32 = {{COLS}}u; // adjacent output columns per invocation

override WG_X: u32 = 8;
override WG_Y: u32 = 2;

#if A_VEC
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(0) var<storage, read> a: array<f32>;
#endif
#if B_VEC
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
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
#if B_VEC
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
#if B_VEC
  return b[i / 4u];
#else
  return vec4<f32>(b[i], b[i + 1u], b[i + 2u], b[i + 3u]);
#endif
}

// A's block at k .. k + 3: kj holds rows m0 .. m0 + 3 at column k + j.
struct ABlock {
  k0: vec4<f32>,
  k1: vec4<f32>,
  k2: vec4<f32>,
  k3: vec4<f32>,
}

#if TRANS_A
// A [K, M]: row k of the stored matrix holds the block's rows side by side.
fn a_rows(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M;
#if A_VEC
  return a[(o + m0) / 4u]; // M is a multiple of 4, so m0 + 3 < M
#else
  let ml = params.M - 1u;
  return vec4<f32>(a[o + m0], a[o + min(m0 + 1u, ml)], a[o + min(m0 + 2u, ml)], a[o + min(m0 + 3u, ml)]);
#endif
}

fn load_a(base: u32, m0: u32, k: u32) -> ABlock {
  return ABlock(a_rows(base, m0, k), a_rows(base, m0, k + 1u), a_rows(base, m0, k + 2u), a_rows(base, m0, k + 3u));
}

fn a_col(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M;
  let ml = params.M - 1u;
  return vec4<f32>(a_at(o + m0), a_at(o + min(m0 + 1u, ml)), a_at(o + min(m0 + 2u, ml)), a_at(o + min(m0 + 3u, ml)));
}
#else
// A [M, K]: a vec4 along K per row, transposed in registers (free: a vec4 is four registers on SwiftShader).
fn load_a(base: u32, m0: u32, k: u32) -> ABlock {
  let ml = params.M - 1u;
  let r0 = a4(base + m0 * params.K + k);
  let r1 = a4(base + min(m0 + 1u, ml) * params.K + k);
  let r2 = a4(base + min(m0 + 2u, ml) * params.K + k);
  let r3 = a4(base + min(m0 + 3u, ml) * params.K + k);
  return ABlock(vec4<f32>(r0.x, r1.x, r2.x, r3.x), vec4<f32>(r0.y, r1.y, r2.y, r3.y), vec4<f32>(r0.z, r1.z, r2.z, r3.z), vec4<f32>(r0.w, r1.w, r2.w, r3.w));
}

fn a_col(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let ml = params.M - 1u;
  return vec4<f32>(a_at(base + m0 * params.K + k), a_at(base + min(m0 + 1u, ml) * params.K + k), a_at(base + min(m0 + 2u, ml) * params.K + k), a_at(base + min(m0 + 3u, ml) * params.K + k));
}
#endif

#if TRANS_B
fn b_one(base: u32, k: u32, n: u32) -> f32 {
  return b_at(base + n * params.K + k);
}
#else
// B [K, N]: columns n .. n + 3 of row k; past N the last ones (the last whole vec4 under B_VEC, N a multiple of 4).
fn b_cols(base: u32, k: u32, n: u32) -> vec4<f32> {
  let o = base + k * params.N;
#if B_VEC
  return b[(o + min(n, params.N - 4u)) / 4u];
#else
  let nl = params.N - 1u;
  return vec4<f32>(b[o + min(n, nl)], b[o + min(n + 1u, nl)], b[o + min(n + 2u, nl)], b[o + min(n + 3u, nl)]);
#endif
}

fn b_one(base: u32, k: u32, n: u32) -> f32 {
  return b_at(base + k * params.N + n);
}
#endif

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * RC;
  let m0 = gid.y * 4u;
  if (n0 >= params.N || m0 >= params.M) {
    return;
  }
  let base_a = gid.z * params.batch_a;
  let base_b = gid.z * params.batch_b;
  let nl = params.N - 1u;
  var acc = array<vec4<f32>, RC>();
  let k4 = params.K & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    let av = load_a(base_a, m0, k);
#if TRANS_B
    for (var j = 0u; j < RC; j++) {
      let bv = b4(base_b + min(n0 + j, nl) * params.K + k); // B[n, k .. k + 3]
      acc[j] = fma(av.k0, vec4<f32>(bv.x), acc[j]);
      acc[j] = fma(av.k1, vec4<f32>(bv.y), acc[j]);
      acc[j] = fma(av.k2, vec4<f32>(bv.z), acc[j]);
      acc[j] = fma(av.k3, vec4<f32>(bv.w), acc[j]);
    }
#else
    for (var j = 0u; j < RC; j += 4u) {
      let b0 = b_cols(base_b, k, n0 + j);
      let b1 = b_cols(base_b, k + 1u, n0 + j);
      let b2 = b_cols(base_b, k + 2u, n0 + j);
      let b3 = b_cols(base_b, k + 3u, n0 + j);
      acc[j] = fma(av.k3, vec4<f32>(b3.x), fma(av.k2, vec4<f32>(b2.x), fma(av.k1, vec4<f32>(b1.x), fma(av.k0, vec4<f32>(b0.x), acc[j]))));
      acc[j + 1u] = fma(av.k3, vec4<f32>(b3.y), fma(av.k2, vec4<f32>(b2.y), fma(av.k1, vec4<f32>(b1.y), fma(av.k0, vec4<f32>(b0.y), acc[j + 1u]))));
      acc[j + 2u] = fma(av.k3, vec4<f32>(b3.z), fma(av.k2, vec4<f32>(b2.z), fma(av.k1, vec4<f32>(b1.z), fma(av.k0, vec4<f32>(b0.z), acc[j + 2u]))));
      acc[j + 3u] = fma(av.k3, vec4<f32>(b3.w), fma(av.k2, vec4<f32>(b2.w), fma(av.k1, vec4<f32>(b1.w), fma(av.k0, vec4<f32>(b0.w), acc[j + 3u]))));
    }
#endif
  }
  // K's last K % 4 steps, one k at a time.
  for (var k = k4; k < params.K; k++) {
    let av = a_col(base_a, m0, k);
    for (var j = 0u; j < RC; j++) {
      acc[j] = fma(av, vec4<f32>(b_one(base_b, k, min(n0 + j, nl))), acc[j]);
    }
  }
  let base_c = gid.z * params.batch_c;
  for (var r = 0u; r < 4u; r++) {
    if (m0 + r < params.M) {
      for (var j = 0u; j < RC; j++) {
        if (n0 + j < params.N) {
          c[base_c + (m0 + r) * params.N + n0 + j] = acc[j][r];
        }
      }
    }
  }
}
