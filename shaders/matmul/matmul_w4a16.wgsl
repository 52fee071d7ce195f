// Dequant-fused matmul: y[M, N] = x[M, K] · dequant(W)[N, K]^T, then the fused epilogue (bias, SiLU/GELU, residual).
// W is 4-bit (or 8-bit under W8: the W8A16 kernel) in the layout of src/quant/layout.ts: codes packed LSB-first
// along K, rows padded to whole words; scales (and zeros) [N, ngroups] f32. A weight is
//   symmetric (no ZP / FMIN): (u - 2^(bits-1)) * s;   ZP: (u - z) * s, z an integer;   FMIN: u * s + m (GGUF Q4_1).
// It is never materialised in memory: each invocation decodes the words it reads.
// Groups must not straddle a word (group % codes-per-word == 0, or one group per row): checked by the planner.
//
// Activations x [M, K], row-major, one of:
//   ACT_F16   f16 data, `enable f16`: products in f16, accumulated in f32 (adapters with shader-f16)
//   ACT_F16P  the same f16 data read as u32 pairs through unpack2x16float, computed in f32 (no shader-f16)
//   else      f32 data, computed in f32 (training)
// Three shapes of the same math, picked per adapter and shape by src/kernels/tuning.ts:
//   PATH_ROWS   one invocation per (output column, block of up to MAXM rows), or (ROW_BLOCK) per block of one row
//               (ROWS4: four rows) and RC adjacent columns; no workgroup memory, no barriers.
//               (CPU adapters: SwiftShader emulates barriers at great cost.)
//   PATH_SPLIT  GEMV (M <= MAXM): one workgroup per output column, K split across its WG invocations (adjacent
//               invocations read adjacent words), reduced with subgroupAdd (SUBGROUPS) or a workgroup tree.
//   PATH_COLS   GEMV (M <= MAXM): COLS output columns per workgroup, K split across its WG invocations in 16-byte
//               chunks of codes ('splitcols', the GPUs' GEMV; see its section below).
//   PATH_TILED  GEMM: (WG_Y*4) x (WG_X*4) output tile per workgroup, 4x4 per invocation; x and the dequantized
//               W staged through workgroup memory BK deep, in f32 (also under ACT_F16: a scaled weight may pass 65504).
// y is f32, or f16 (Y_F16N native, Y_F16P packed pairs; common/matmul_q_out.wgsl); every path accumulates in f32.
// Each dispatch covers the columns [n0, n0 + N) of y (the planner splits W along N when it exceeds a binding).
#if ACT_F16
enable f16;
#elif Y_F16N
enable f16;
#endif
#if SUBGROUPS
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
const MAXM: u32 = 1u; // PATH_ROWS with blocks of 1 or 4 rows (RPI) and RC columns: CPU adapters
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
// u32 per 8 groups, f16 d | f16 dmin << 16. Scale d * sc and float min -(dmin * mq), exact in f32.
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
  return -(unpack2x16float(zeros[i >> 3u]).y * f32((scales[i >> 1u] >> (16u * (i & 1u) + 8u)) & 0x3fu));
#elif SCALES_F16
  return unpack2x16float(zeros[i >> 1u])[i & 1u];
#else
  return zeros[i];
#endif
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
#else
  let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
  let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
#endif
  for (var j = 0u; j < cnt; j++) {
    let a0 = x4(m0 + j, k);
#if W8
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
#if ROW_BLOCK
// One row (or under ROWS4 a block of four rows) and RC adjacent output columns per invocation (CPU adapters): no
// workgroup memory, no barriers, the group loop outermost so each scale (and zero) is loaded once per group and
// column. Each word of x is loaded and converted once for all RC columns, and under ROWS4 each weight word is loaded
// and decoded once for the four rows (on SwiftShader a load, a decode and an unpack2x16float cost more than the dot
// product they feed). The rows of a block are the components of a vec4 (RV): written out, not a loop over a private
// array, which SwiftShader would index lane by lane. Rows past M and columns past N repeat the last one and are not
// written.
const RC: u32 = {{ROWS_COLS}}u;

// x[m, k .. k + CPW) for one weight word: the codes' activations (a: first four, b: last four; W8 has only a).
struct XW {
  a: vec4<XS>,
#if !W8
  b: vec4<XS>,
#endif
}

fn load_xw(m: u32, k: u32) -> XW {
#if W8
#if X_VEC
#if ACT_F16P
  let v = x[x_index(m, k) / 4u];
  return XW(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)));
#else
  return XW(x[x_index(m, k) / 4u]);
#endif
#else
  return XW(x4(m, k));
#endif
#else
#if X_VEC
  let xi = x_index(m, k) / 4u;
#if ACT_F16P
  let v = x[xi / 2u];
  return XW(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)));
#else
  return XW(x[xi], x[xi + 1u]);
#endif
#else
  return XW(x4(m, k), x4(m, k + 4u));
#endif
#endif
}

// The word's dot product with decoded codes q0 (q1), in XS (8-bit codes: f32, as f16 would overflow), as f32.
fn xw_dot(v: XW, q0: vec4<XS>, q1: vec4<XS>) -> f32 {
#if W8
  return dot(vec4<f32>(v.a), vec4<f32>(q0));
#else
  return f32(dot(v.a, q0) + dot(v.b, q1));
#endif
}

// The sum of the word's activations (FMIN: the minimum's term).
fn xw_sum(v: XW) -> f32 {
#if W8
  return dot(vec4<f32>(v.a), vec4<f32>(1.0));
#else
  return f32(dot(v.a + v.b, vec4<XS>(XS(1.0))));
#endif
}

#include "common/matmul_rows_block.wgsl"

#if ROWS4
struct XR {
  r0: XW,
  r1: XW,
  r2: XW,
  r3: XW,
}

fn load_xr(m0: u32, k: u32) -> XR {
  let ml = params.M - 1u;
  return XR(load_xw(m0, k), load_xw(min(m0 + 1u, ml), k), load_xw(min(m0 + 2u, ml), k), load_xw(min(m0 + 3u, ml), k));
}

fn xr_dot(v: XR, q0: vec4<XS>, q1: vec4<XS>) -> RV {
  return vec4<f32>(xw_dot(v.r0, q0, q1), xw_dot(v.r1, q0, q1), xw_dot(v.r2, q0, q1), xw_dot(v.r3, q0, q1));
}

fn xr_sum(v: XR) -> RV {
  return vec4<f32>(xw_sum(v.r0), xw_sum(v.r1), xw_sum(v.r2), xw_sum(v.r3));
}
#else
alias XR = XW;

fn load_xr(m0: u32, k: u32) -> XR {
  return load_xw(m0, k);
}

fn xr_dot(v: XR, q0: vec4<XS>, q1: vec4<XS>) -> RV {
  return xw_dot(v, q0, q1);
}

fn xr_sum(v: XR) -> RV {
  return xw_sum(v);
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = ((wid.y * params.grid_x + wid.x) * WG + lid) * RC;
  let m0 = wid.z * RPI;
  if (n0 >= params.N) {
    return;
  }
  let nl = params.N - 1u;
  let gw = params.group / CPW; // words per group; the last group takes the rest of the row
  var acc = array<RV, RC>();
  for (var g = 0u; g < params.ngroups; g++) {
#if FMIN
    let zv = vec4<XS>(XS(0.0));
#elif ZEROS
    var zs: array<vec4<XS>, RC>;
    for (var c = 0u; c < RC; c++) {
      zs[c] = vec4<XS>(XS(zero_at(min(n0 + c, nl) * params.ngroups + g)));
    }
#elif W8
    let zv = vec4<XS>(XS(128.0));
#else
    let zv = vec4<XS>(XS(8.0));
#endif
    var d = array<RV, RC>(); // zeroed per group (an initializer: Dawn on SwiftShader does not re-zero a loop-local var without one)
    var sx = RV(0.0); // FMIN: the sum of x over the group, shared by the columns
    let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
    for (var wi = g * gw; wi < w_end; wi++) {
      let xr = load_xr(m0, wi * CPW);
#if FMIN
      sx += xr_sum(xr);
#endif
      for (var c = 0u; c < RC; c++) {
        let word = w_q[min(n0 + c, nl) * params.wpr + wi];
#if !FMIN
#if ZEROS
        let zv = zs[c];
#endif
#endif
#if W8
        let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
        let q1 = q0; // unused
#else
        let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
        let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
#endif
        d[c] += xr_dot(xr, q0, q1);
      }
    }
    for (var c = 0u; c < RC; c++) {
      let gi = min(n0 + c, nl) * params.ngroups + g;
#if FMIN
      acc[c] += scale_at(gi) * d[c] + zero_at(gi) * sx;
#else
      acc[c] += scale_at(gi) * d[c];
#endif
    }
  }
  for (var r = 0u; r < RPI; r++) {
    if (m0 + r < params.M) {
      for (var c = 0u; c < RC; c++) {
        if (n0 + c < params.N) {
          epilogue(m0 + r, n0 + c, rv_at(acc[c], r));
        }
      }
    }
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.y * params.grid_x + wid.x) * WG + lid;
  let m0 = wid.z * MAXM;
  if (n >= params.N) {
    return;
  }
  let cnt = min(MAXM, params.M - m0);
  var acc: array<f32, MAXM>;
  for (var wi = 0u; wi < params.wpr; wi++) {
    word_dot(n, wi, m0, cnt, &acc);
  }
  for (var j = 0u; j < cnt; j++) {
    epilogue(m0 + j, n, acc[j]);
  }
}
#endif
#endif

#if PATH_SPLIT
#if SUBGROUPS
var<workgroup> part: array<f32, WG * MAXM>; // [subgroup slot][m]
var<workgroup> slots: atomic<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
var<workgroup> part: array<f32, WG * MAXM>; // [m][invocation]

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#endif
  let n = wid.y * params.grid_x + wid.x;
  if (n >= params.N) {
    return;
  }
  let cnt = params.M;
  var acc: array<f32, MAXM>;
  let iters = (params.wpr + WG - 1u) / WG;
  for (var it = 0u; it < iters; it++) {
    let wi = it * WG + lid;
    if (wi < params.wpr) {
      word_dot(n, wi, 0u, cnt, &acc);
    }
  }
#if SUBGROUPS
  // One slot per subgroup, taken from a counter (no assumption on how invocations map to subgroups).
  var sums: array<f32, MAXM>;
  for (var j = 0u; j < MAXM; j++) {
    sums[j] = subgroupAdd(acc[j]);
  }
  if (lane == 0u) {
    let slot = atomicAdd(&slots, 1u);
    for (var j = 0u; j < MAXM; j++) {
      part[slot * MAXM + j] = sums[j];
    }
  }
  workgroupBarrier();
  let used = atomicLoad(&slots);
  if (lid < cnt) {
    var t = 0.0;
    for (var sl = 0u; sl < used; sl++) {
      t += part[sl * MAXM + lid];
    }
    epilogue(lid, n, t);
  }
#else
  for (var j = 0u; j < MAXM; j++) {
    part[j * WG + lid] = acc[j];
  }
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    workgroupBarrier();
    if (lid < h) {
      for (var j = 0u; j < cnt; j++) {
        part[j * WG + lid] += part[j * WG + lid + h];
      }
    }
  }
  workgroupBarrier();
  if (lid < cnt) {
    epilogue(lid, n, part[lid * WG]);
  }
#endif
}
#endif

#if PATH_TILED
const TM: u32 = 4u;
const TN: u32 = 4u;
// Both tiles in f32, also under ACT_F16: a dequantized weight (code times an f32 scale; GGUF Q6_K's d * sc * q reaches
// 32 * 127 * 32) can pass f16's 65504, and so can its product with x. f16 is only how x arrives.
var<workgroup> As: array<f32, BK * WG_Y * 4u>; // [BK][BM] activations
var<workgroup> Bs: array<f32, BK * WG_X * 4u>; // [BK][BN] dequantized weights

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let BM = WG_Y * TM;
  let BN = WG_X * TN;
  let threads = WG_X * WG_Y;
  let lid = lid3.y * WG_X + lid3.x;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let wpt = BK / CPW; // words per tile row
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    for (var i = lid; i < BM * BK; i += threads) {
      let row = i / BK;
      let kk = i % BK;
      As[kk * BM + row] = f32(x1(m0 + row, k0 + kk));
    }
    for (var i = lid; i < BN * wpt; i += threads) {
      let col = i / wpt;
      let wj = i % wpt;
      let n = n0 + col;
      let k = k0 + wj * CPW;
      var wv = array<f32, CPW>(); // zero past N or K (an initializer: Dawn on SwiftShader does not re-zero a loop-local var without one)
      if (n < params.N && k < params.K) {
        let word = w_q[n * params.wpr + k / CPW];
        let gi = n * params.ngroups + k / params.group;
        let s = scale_at(gi);
#if ZEROS
        let z = zero_at(gi);
#elif W8
        let z = 128.0;
#else
        let z = 8.0;
#endif
        for (var j = 0u; j < CPW; j++) {
          let u = f32((word >> (j * (32u / CPW))) & ((1u << (32u / CPW)) - 1u));
#if FMIN
          wv[j] = u * s + z;
#else
          wv[j] = (u - z) * s;
#endif
        }
      }
      for (var j = 0u; j < CPW; j++) {
        Bs[(wj * CPW + j) * BN + col] = wv[j];
      }
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
        epilogue(m, n, acc[r][q]);
      }
    }
  }
}
#endif

#if PATH_COLS
// GEMV, COLS output columns per workgroup. Row n of W is read in chunks of 16 bytes (4 words: 32 4-bit or 16 8-bit
// codes); invocation lid takes chunks lid, lid + WG, ... of every one of the workgroup's columns, so each step issues
// COLS independent 16-byte loads and adjacent invocations read adjacent chunks of a row. x for a chunk is loaded once
// per row and serves all COLS columns; each word's dot product runs in XS (as in word_dot) and is rescaled in f32 by
// its group's scale, loaded once per chunk where the chunk lies in one group (GCHUNK: group a multiple of the chunk,
// or one group per row), else once per word. Then one reduction per (row, column): subgroupAdd (SUBGROUPS) or a
// workgroup tree, a row at a time. Columns past N (the last workgroup) read row N-1 and are not written.
// x is not staged in workgroup memory: each chunk of x is needed only by the invocation that owns the chunk (for all
// its columns), so staging would add a barrier and no reuse; the workgroup reads x once, through L1/L2.
alias CA = f32;

fn cols_out(m: u32, n: u32, t: f32) {
  epilogue(m, n, t);
}

#include "common/gemv_cols.wgsl"

// x[m, k0 .. k0 + 4 * CPW) for chunk ci as vec4s (two per word for W4, one for W8); zero past the row's last word.
fn x_chunk(m: u32, ci: u32) -> array<vec4<XS>, CPW> {
  var xa: array<vec4<XS>, CPW>;
  for (var j = 0u; j < 4u; j++) {
#if !W_V4
    if (4u * ci + j >= params.wpr) {
      break;
    }
#endif
    let k = (4u * ci + j) * CPW;
#if W8
    xa[j] = x4(m, k);
#elif X_VEC
#if ACT_F16P
    let v = x[x_index(m, k) / 8u];
    xa[2u * j] = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
    xa[2u * j + 1u] = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
#else
    xa[2u * j] = x4(m, k);
    xa[2u * j + 1u] = x4(m, k + 4u);
#endif
#else
    xa[2u * j] = x4(m, k);
    xa[2u * j + 1u] = x4(m, k + 4u);
#endif
  }
  return xa;
}

@compute @workgroup_size(WG)
#if SUBGROUPS
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lane = 0u;
#endif
  let c0 = (wid.y * params.grid_x + wid.x) * COLS;
  if (c0 >= params.N) {
    return;
  }
  let nchunks = (params.wpr + 3u) / 4u;
  let iters = (nchunks + WG - 1u) / WG;
  var acc: array<CA, NACC>; // [row][column]
  for (var it = 0u; it < iters; it++) {
    let ci = it * WG + lid;
    if (ci >= nchunks) {
      continue;
    }
    let k0 = ci * 4u * CPW;
    var cw: array<vec4<u32>, MAXC>;
    var sv: array<vec4<f32>, MAXC>; // scale of each word's group
#if ZEROS
    var zc: array<vec4<f32>, MAXC>; // zero point (or FMIN: minimum) of each word's group
#endif
    for (var c = 0u; c < COLS; c++) {
      let n = min(c0 + c, params.N - 1u);
      cw[c] = chunk(n, ci);
#if GCHUNK
      let gi = n * params.ngroups + min(k0 / params.group, params.ngroups - 1u);
      sv[c] = vec4<f32>(scale_at(gi));
#if ZEROS
      zc[c] = vec4<f32>(zero_at(gi));
#endif
#else
      for (var j = 0u; j < 4u; j++) {
        let gi = n * params.ngroups + min((k0 + j * CPW) / params.group, params.ngroups - 1u);
        sv[c][j] = scale_at(gi);
#if ZEROS
        zc[c][j] = zero_at(gi);
#endif
      }
#endif
    }
    for (var m = 0u; m < ROWS; m++) {
      let xa = x_chunk(m, ci);
      for (var c = 0u; c < COLS; c++) {
        var d: vec4<f32>;
#if FMIN
        var sx: vec4<f32>;
#endif
        for (var j = 0u; j < 4u; j++) {
          let word = cw[c][j];
#if FMIN
          let zv = vec4<XS>(XS(0.0));
#elif ZEROS
          let zv = vec4<XS>(XS(zc[c][j]));
#elif W8
          let zv = vec4<XS>(XS(128.0));
#else
          let zv = vec4<XS>(XS(8.0));
#endif
#if W8
          // 8-bit codes times f16 activations overflow f16 for |x| > 256: this product runs in f32.
          let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
          d[j] = dot(vec4<f32>(xa[j]), vec4<f32>(q0));
#if FMIN
          sx[j] = dot(vec4<f32>(xa[j]), vec4<f32>(1.0));
#endif
#else
          let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
          let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
          d[j] = f32(dot(xa[2u * j], q0) + dot(xa[2u * j + 1u], q1));
#if FMIN
          sx[j] = f32(dot(xa[2u * j] + xa[2u * j + 1u], vec4<XS>(XS(1.0))));
#endif
#endif
        }
#if FMIN
        acc[m * MAXC + c] += dot(sv[c], d) + dot(zc[c], sx);
#else
        acc[m * MAXC + c] += dot(sv[c], d);
#endif
      }
    }
  }
  reduce_cols(c0, lid, lane, &acc);
}
#endif
