// f32 matmul, batched: C[b] = op(A[b]) * op(B[b]), C [M, N] row-major.
//   A is [M, K], or [K, M] with TRANS_A;  B is [K, N], or [N, K] with TRANS_B (the y = x W^T layout).
//   Batch strides are in elements; a stride of 0 broadcasts that operand across the batch (grid z).
// Three shapes of the same math, picked per adapter by the tuning table in src/kernels/tuning.ts:
//   TILED:  workgroup tile (WG_Y*4) x (WG_X*4) staged through workgroup memory in BK-deep slices, each
//           invocation a 4x4 register tile (real GPUs).
//   BLOCK4: one invocation per 4x4 block of outputs, no workgroup memory, no barriers: each loaded element of A
//           and B feeds four products (CPU adapters such as SwiftShader, where barriers are emulated and costly,
//           for M >= 3). The block's rows are the components of vec4s, one per column: written out, not a private
//           array, which SwiftShader would index lane by lane. Same fma sequence as the naive shape.
//   else:   one invocation per output element, no workgroup memory, no barriers (CPU adapters, M < 3).
// ACCUM: C = op(A) op(B) + R, R (binding `addend`) laid out as C (a gradient summed into, a residual added): one rounding
// after the product's, as a separate add would round.
// B16: B holds 16-bit floats (F16, or BF16 under B_BF16), two per u32 word, low half first, in the same element order
// (common/w16.wgsl): a language model's F16 / BF16 weights at 2 bytes a parameter; the math stays f32.
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

override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override BK: u32 = 16;

@group(0) @binding(0) var<storage, read> a: array<f32>;
#if B16
@group(0) @binding(1) var<storage, read> b: array<u32>;
#include "common/w16.wgsl"

fn b_at(i: u32) -> f32 {
  return w16_pair(b[i >> 1u])[i & 1u];
}
#else
@group(0) @binding(1) var<storage, read> b: array<f32>;

fn b_at(i: u32) -> f32 {
  return b[i];
}
#endif
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#if ACCUM
@group(0) @binding(4) var<storage, read> addend: array<f32>;
#endif

// Element i of C (its flat index in c) takes v, plus R's element i under ACCUM.
fn put(i: u32, v: f32) {
#if ACCUM
  c[i] = v + addend[i];
#else
  c[i] = v;
#endif
}

fn load_a(base: u32, m: u32, k: u32) -> f32 {
  if (m >= params.M || k >= params.K) {
    return 0.0;
  }
#if TRANS_A
  return a[base + k * params.M + m];
#else
  return a[base + m * params.K + k];
#endif
}

fn load_b(base: u32, k: u32, n: u32) -> f32 {
  if (k >= params.K || n >= params.N) {
    return 0.0;
  }
#if TRANS_B
  return b_at(base + n * params.K + k);
#else
  return b_at(base + k * params.N + n);
#endif
}

#if TILED
const TM: u32 = 4u;
const TN: u32 = 4u;
var<workgroup> As: array<f32, BK * WG_Y * 4u>; // [BK][BM]
var<workgroup> Bs: array<f32, BK * WG_X * 4u>; // [BK][BN]

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let BM = WG_Y * TM;
  let BN = WG_X * TN;
  let threads = WG_X * WG_Y;
  let lid = lid3.y * WG_X + lid3.x;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let base_a = wid.z * params.batch_a;
  let base_b = wid.z * params.batch_b;
  let base_c = wid.z * params.batch_c + params.c0;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    for (var i = lid; i < BM * BK; i += threads) {
      let row = i / BK;
      let kk = i % BK;
      As[kk * BM + row] = load_a(base_a, m0 + row, k0 + kk);
    }
    for (var i = lid; i < BN * BK; i += threads) {
      let kk = i / BN;
      let col = i % BN;
      Bs[kk * BN + col] = load_b(base_b, k0 + kk, n0 + col);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var r = 0u; r < TM; r++) {
        av[r] = As[kk * BM + lid3.y + r * WG_Y];
      }
      for (var q = 0u; q < TN; q++) {
        bv[q] = Bs[kk * BN + lid3.x + q * WG_X];
      }
      for (var r = 0u; r < TM; r++) {
        for (var q = 0u; q < TN; q++) {
          acc[r][q] = fma(av[r], bv[q], acc[r][q]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid3.y + r * WG_Y;
    for (var q = 0u; q < TN; q++) {
      let n = n0 + lid3.x + q * WG_X;
      if (m < params.M && n < params.N) {
        put(base_c + m * params.ldc + n, acc[r][q]);
      }
    }
  }
}
#elif BLOCK4
// Column n of the block (rows m0 .. m0 + 3 in v's components), where inside C.
fn store4(base_c: u32, m0: u32, n: u32, v: vec4<f32>) {
  if (n >= params.N) {
    return;
  }
  for (var r = 0u; r < 4u && m0 + r < params.M; r++) {
    put(base_c + (m0 + r) * params.ldc + n, v[r]);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (m0 >= params.M || n0 >= params.N) {
    return;
  }
  let base_a = gid.z * params.batch_a;
  let base_b = gid.z * params.batch_b;
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
  for (var k = 0u; k < params.K; k++) {
    let a = vec4<f32>(load_a(base_a, m0, k), load_a(base_a, m0 + 1u, k), load_a(base_a, m0 + 2u, k), load_a(base_a, m0 + 3u, k));
    c0 = fma(a, vec4<f32>(load_b(base_b, k, n0)), c0);
    c1 = fma(a, vec4<f32>(load_b(base_b, k, n0 + 1u)), c1);
    c2 = fma(a, vec4<f32>(load_b(base_b, k, n0 + 2u)), c2);
    c3 = fma(a, vec4<f32>(load_b(base_b, k, n0 + 3u)), c3);
  }
  let base_c = gid.z * params.batch_c + params.c0;
  store4(base_c, m0, n0, c0);
  store4(base_c, m0, n0 + 1u, c1);
  store4(base_c, m0, n0 + 2u, c2);
  store4(base_c, m0, n0 + 3u, c3);
}
#else
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= params.M || n >= params.N) {
    return;
  }
  let base_a = gid.z * params.batch_a;
  let base_b = gid.z * params.batch_b;
  var acc = 0.0;
  for (var k = 0u; k < params.K; k++) {
    acc = fma(load_a(base_a, m, k), load_b(base_b, k, n), acc);
  }
  put(gid.z * params.batch_c + params.c0 + m * params.ldc + n, acc);
}
#endif
