// Dequant-fused matmul: y[M, N] = x[M, K] · dequant(W)[N, K]^T, then the fused epilogue (bias, SiLU/GELU, residual).
// W is 4-bit (or 8-bit under W8: the W8A16 kernel) in the layout of src/quant/layout.ts: codes packed LSB-first
// along K, rows padded to whole words; scales (and zeros) [N, ngroups] f32. A weight is
//   symmetric (no ZP / FMIN): (u - 2^(bits-1)) * s;   ZP: (u - z) * s, z an integer;   FMIN: u * s + m (GGUF Q4_1);
//   LUT (4-bit, symmetric): T[u] * s, T a table of 16 values (common/lut4.wgsl: GGUF MXFP4, IQ4_NL / IQ4_XS and the
//   IQ1-IQ3 lattice types), at most 127 in magnitude (exact in f16 and f32); their products with activations run in
//   f32 (127 |x| passes f16's range at |x| > 515).
// It is never materialised in memory: each invocation decodes the words it reads.
// Groups must not straddle a word (group % codes-per-word == 0, or one group per row): checked by the planner.
//
// Activations x [M, K], row-major, one of:
//   ACT_F16   f16 data, `enable f16`: products in f16, accumulated in f32 (adapters with shader-f16)
//   ACT_F16P  the same f16 data read as u32 pairs through unpack2x16float, computed in f32 (no shader-f16)
//   else      f32 data, computed in f32 (training)
// Three shapes of the same math, picked per adapter and shape by src/kernels/tuning.ts:
//   PATH_ROWS   (ROW_BLOCK) one invocation per block of one row (ROWS4: four, ROWS8: eight) and RC adjacent columns;
//               no workgroup memory, no barriers.
//               (CPU adapters: SwiftShader emulates barriers at great cost.)
//   PATH_SPLIT  GEMV (M <= MAXM): one workgroup per output column, K split across its WG invocations (adjacent
//               invocations read adjacent words), reduced with subgroupAdd (SUBGROUPS) or a workgroup tree.
//   PATH_COLS   GEMV (M <= MAXM): COLS output columns per workgroup, K split across its WG invocations in 16-byte
//               chunks of codes ('splitcols', the GPUs' GEMV).
//   PATH_TILED  GEMM: (WG_Y*4) x (WG_X*4) output tile per workgroup, 4x4 per invocation; x and the dequantized
//               W staged through workgroup memory BK deep, in f32 (also under ACT_F16: a scaled weight may pass 65504).
// y is f32, or f16 (Y_F16N native, Y_F16P packed pairs; common/matmul_q_out.wgsl); every path accumulates in f32.
// Each path's code is its own file, included below: matmul_w4a16_rows / _split / _cols / _tiled.wgsl.
// Each dispatch covers the columns [n0, n0 + N) of y (the planner splits W along N when it exceeds a binding).
#if ACT_F16
enable f16;
#elif Y_F16N
enable f16;
#endif
#if SUBGROUPS
enable subgroups;
#elif SUB_X
enable subgroups;
#endif

struct Params {
  M: u32,
  N: u32,      // columns (weight rows) in this dispatch
  K: u32,
  wpr: u32,    // u32 words per weight row
  ngroups: u32,
  group: u32,  // group size along K (K for per-channel)
  n0: u32,     // first column of y this dispatch writes
  ldy: u32,    // row stride of y and residual (the full N)
  grid_x: u32, // workgroups per grid row, for grids folded onto 2-D
  x0: u32,     // index of x[0, 0] in the x binding, in elements of x (0 unless the planner splits M)
  y0: u32,     // index of y[0, n0] in the y / residual binding (likewise)
}

#if ACT_F16
alias XS = f16;
#else
alias XS = f32;
#endif

#if W8
const CPW: u32 = 4u;
#else
const CPW: u32 = 8u;
#endif
#if ROW_BLOCK
const MAXM: u32 = 1u; // PATH_ROWS with blocks of 1, 4 or 8 rows (RPI) and RC columns: CPU adapters
#else
const MAXM: u32 = 8u;
#endif

override WG: u32 = 64u;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 32u;

#if X_VEC
// GEMV paths with K a multiple of the codes per word: x read in whole vectors, one (bounds-checked) load per weight
// word and row (CPU adapters pay for every load; GPUs issue fewer instructions).
#if ACT_F16
@group(0) @binding(0) var<storage, read> x: array<vec4<f16>>;
#elif ACT_F16P
#if W8
@group(0) @binding(0) var<storage, read> x: array<vec2<u32>>;
#else
@group(0) @binding(0) var<storage, read> x: array<vec4<u32>>;
#endif
#else
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
#endif
#elif ACT_F16
@group(0) @binding(0) var<storage, read> x: array<f16>;
#elif ACT_F16P
@group(0) @binding(0) var<storage, read> x: array<u32>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
#endif
#if W_V4
// PATH_COLS with rows of a multiple of 4 words: codes read 16 bytes (one chunk) at a time.
@group(0) @binding(1) var<storage, read> w_q: array<vec4<u32>>;
#else
@group(0) @binding(1) var<storage, read> w_q: array<u32>;
#endif
#if SCALES_F16
// Scales (and zeros) stored as f16, two per u32, low half first (layout.ts; GGUF keeps its d and m in f16).
@group(0) @binding(2) var<storage, read> scales: array<u32>;
#elif SCALES_K6
// GGUF Q4_K / Q5_K kept compact: per group sc | mq << 8 (6-bit scale and min), two groups per u32; zeros holds one
// u32 per 8 groups, f16 d | f16 dmin << 16. Scale d * sc and float min -(dmin * mq), exact in f32. Q2_K the same with
// its 4-bit sc and mq, groups of 16 and one u32 per 16 groups (K6_G16).
@group(0) @binding(2) var<storage, read> scales: array<u32>;
#elif SCALES_S8
// GGUF Q6_K kept compact: int8 scales, four per u32, and `supers` (matmul_q_out) with f16 d per 16 groups.
@group(0) @binding(2) var<storage, read> scales: array<u32>;
#else
@group(0) @binding(2) var<storage, read> scales: array<f32>;
#endif
#if ZEROS
#if SCALES_F16
@group(0) @binding(3) var<storage, read> zeros: array<u32>;
#elif SCALES_K6
@group(0) @binding(3) var<storage, read> zeros: array<u32>;
#else
@group(0) @binding(3) var<storage, read> zeros: array<f32>;
#endif
#endif
#include "common/matmul_q_out.wgsl"

#if ZEROS
fn zero_at(i: u32) -> f32 {
#if SCALES_K6
  return -(unpack2x16float(zeros[k6_super(i)]).y * f32((scales[i >> 1u] >> (16u * (i & 1u) + 8u)) & 0x3fu));
#elif SCALES_F16
  return unpack2x16float(zeros[i >> 1u])[i & 1u];
#else
  return zeros[i];
#endif
}
#endif

#if LUT
#include "common/lut4.wgsl"

// The table's value of a code (below 16), and of four.
fn lut1(u: u32) -> f32 {
  return LUT_T[u];
}

fn lut4(u: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(lut1(u.x), lut1(u.y), lut1(u.z), lut1(u.w));
}
#endif

// The index of x[m, k] in the x binding, in elements of x (f32 or f16; the vector views divide it).
fn x_index(m: u32, k: u32) -> u32 {
  return params.x0 + m * params.K + k;
}

#if !X_VEC
fn x1(m: u32, k: u32) -> XS {
  if (m >= params.M || k >= params.K) {
    return XS(0.0);
  }
  let i = x_index(m, k);
#if ACT_F16P
  return unpack2x16float(x[i >> 1u])[i & 1u];
#else
  return x[i];
#endif
}

// x[m, k .. k+3], zero past K.
fn x4(m: u32, k: u32) -> vec4<XS> {
  let i = x_index(m, k);
#if ACT_F16P
  if (k + 4u <= params.K && (i & 1u) == 0u) {
    return vec4<f32>(unpack2x16float(x[i >> 1u]), unpack2x16float(x[(i >> 1u) + 1u]));
  }
#else
  if (k + 4u <= params.K) {
    return vec4<XS>(x[i], x[i + 1u], x[i + 2u], x[i + 3u]);
  }
#endif
  return vec4<XS>(x1(m, k), x1(m, k + 1u), x1(m, k + 2u), x1(m, k + 3u));
}
#else
// x[m, k .. k+3] from the vector view (k a multiple of 4 below K).
fn x4(m: u32, k: u32) -> vec4<XS> {
  let i = x_index(m, k) / 4u;
#if ACT_F16P
#if W8
  let v = x[i];
  return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
#else
  let v = x[i / 2u];
  if ((i & 1u) == 0u) {
    return vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
  }
  return vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
#endif
#else
  return x[i];
#endif
}
#endif

#if !PATH_TILED
#if !PATH_COLS
// Adds the contribution of weight word `wi` of column n to acc[0 .. cnt) (rows m0 ..). The word's codes are decoded
// once; the per-word dot product runs in XS and is rescaled in f32.
fn word_dot(n: u32, wi: u32, m0: u32, cnt: u32, acc: ptr<function, array<f32, MAXM>>) {
  let word = w_q[n * params.wpr + wi];
  let k = wi * CPW;
  let gi = n * params.ngroups + k / params.group;
  let s = scale_at(gi);
#if FMIN
  let zv = vec4<XS>(XS(0.0));
  let mn = zero_at(gi);
#elif ZEROS
  let zv = vec4<XS>(XS(zero_at(gi)));
#elif W8
  let zv = vec4<XS>(XS(128.0));
#else
  let zv = vec4<XS>(XS(8.0));
#endif
#if W8
  let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
#elif LUT
  let q0 = lut4((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu));
  let q1 = lut4((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu));
#else
  let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
  let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
#endif
  for (var j = 0u; j < cnt; j++) {
    let a0 = x4(m0 + j, k);
#if LUT
    let a1 = x4(m0 + j, k + 4u);
    var d = dot(vec4<f32>(a0), q0) + dot(vec4<f32>(a1), q1);
#elif W8
    // 8-bit codes times f16 activations overflow f16 for |x| > 256: this product runs in f32.
    var d = dot(vec4<f32>(a0), vec4<f32>(q0));
#if FMIN
    let sx = dot(vec4<f32>(a0), vec4<f32>(1.0));
#endif
#else
    let a1 = x4(m0 + j, k + 4u);
    var d = dot(a0, q0) + dot(a1, q1);
#if FMIN
    let sx = dot(a0 + a1, vec4<XS>(XS(1.0)));
#endif
#endif
#if FMIN
    (*acc)[j] += s * f32(d) + mn * f32(sx);
#else
    (*acc)[j] += s * f32(d);
#endif
  }
}
#endif
#endif

#if PATH_ROWS
#include "matmul/matmul_w4a16_rows.wgsl"
#endif

#if PATH_SPLIT
#include "matmul/matmul_w4a16_split.wgsl"
#endif

#if PATH_TILED
#include "matmul/matmul_w4a16_tiled.wgsl"
#endif

#if PATH_COLS
#include "matmul/matmul_w4a16_cols.wgsl"
#endif
