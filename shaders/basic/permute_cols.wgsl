// Column permutation (a gather along the rows): y[m, j] = x[m, perm[j]] for M rows of K elements, row-major.
// GPTQ act-order weights are stored with their columns (K) sorted by group; the matmul then takes x with the same
// order: x'[m, j] = x[m, perm[j]] (src/kernels/matmul.ts). Also dequantize's way back to the original order.
// Elements are f32, or under HALF f16 pairs in u32 words (flat half index m * K + k: rows of odd K start mid-word).
// One invocation per output u32 word; the grid may be 2-D (row_pitch).
struct Params {
  K: u32,
  total: u32,     // elements in y (M * K)
  words: u32,     // u32 words of y
  row_pitch: u32, // invocations per grid row = workgroups.x * WG
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read> perm: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

// Index into x of y's element e (flat): row e / K, column perm[e % K].
fn src(e: u32) -> u32 {
  let m = e / params.K;
  return m * params.K + perm[e - m * params.K];
}

#if HALF
fn half_at(e: u32) -> u32 {
  let i = src(e);
  return (x[i >> 1u] >> (16u * (i & 1u))) & 0xffffu;
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let w = gid.y * params.row_pitch + gid.x;
  if (w >= params.words) {
    return;
  }
#if HALF
  var v = half_at(2u * w);
  if (2u * w + 1u < params.total) {
    v = v | (half_at(2u * w + 1u) << 16u);
  }
  y[w] = v;
#else
  y[w] = x[src(w)];
#endif
}
