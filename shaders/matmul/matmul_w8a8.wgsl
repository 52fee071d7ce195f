// W8A8 matmul: y[M, N] = xs[m] * sum_g s[n, g] * (sum_{k in g} xq[m, k] * wq[n, k]), then the fused epilogue.
//   xq, xs: int8 activations and per-token scales from quantize_rows_i8.wgsl (same submission, earlier dispatch).
//   W: 8-bit symmetric codes in the layout of src/quant/layout.ts (u = wq + 128, four per u32), scales [N, ngroups].
// Products are accumulated exactly in i32, four at a time with dot4I8Packed (PACKED, the WGSL language feature
// packed_4x8_integer_dot_product) or with plain integer math (the fallback: the same integers), and rescaled
// into f32 once per group, then stored as y's type. Stored codes become signed bytes by flipping each byte's top bit (u ^ 0x80 = u - 128).
// Paths (picked like matmul_w4a16's by src/kernels/tuning.ts):
//   PATH_ROWS   one invocation per (output column, block of up to MAXM rows), or (ROW_BLOCK) per block of one row
//               (ROWS4: four rows) and RC adjacent columns; no workgroup memory (matmul_w8a8_rows.wgsl).
//   PATH_SPLIT  GEMV, one workgroup per output column. One group per row (per channel): words split across the
//               workgroup, the i32 partials reduced exactly (subgroupAdd under SUBGROUPS, else a workgroup tree).
//               Several groups: each invocation takes whole groups, the f32 partials reduced the same way.
//   PATH_COLS   GEMV on per-channel weights ('splitcols'): COLS output columns per workgroup, each invocation
//               reading 16-byte chunks (16 codes) of every one of them, the i32 sums reduced exactly once per
//               (row, column), as matmul_w4a16's PATH_COLS.
//   PATH_TILED  GEMM: (WG_Y*4) x (WG_X*4) output tile, int8 words staged in workgroup memory BK deep; BK divides
//               the group (or the row is one group), so a group's integers are complete at a tile boundary.
// y is f32, or f16 (Y_F16N native, Y_F16P packed pairs): see common/matmul_q_out.wgsl.
#if Y_F16N
enable f16;
#endif
#if SUBGROUPS
enable subgroups;
#endif

struct Params {
  M: u32,
  N: u32,      // columns (weight rows) in this dispatch
  K: u32,
  wpr: u32,    // u32 words per row, of W and of xq
  ngroups: u32,
  group: u32,  // group size along K (K for per-channel)
  n0: u32,
  ldy: u32,
  grid_x: u32,
  xq0: u32,  // index of xq[0, 0] in the xq binding (0 unless the planner splits M)
  xs0: u32,  // index of xs[0] in the xs binding (likewise)
  y0: u32,   // index of y[0, n0] in the y / residual binding (likewise)
}

#if ROW_BLOCK
const MAXM: u32 = 1u; // PATH_ROWS with blocks of 1 or 4 rows (RPI) and RC columns: CPU adapters
#else
const MAXM: u32 = 8u;
#endif
override WG: u32 = 64u;
override WG_X: u32 = 16u;
override WG_Y: u32 = 16u;
override BK: u32 = 32u;

@group(0) @binding(0) var<storage, read> xq: array<u32>;
@group(0) @binding(1) var<storage, read> xs: array<f32>;
#if W_V4
// PATH_COLS with rows of a multiple of 4 words: codes read 16 bytes (one chunk) at a time.
@group(0) @binding(2) var<storage, read> w_q: array<vec4<u32>>;
#else
@group(0) @binding(2) var<storage, read> w_q: array<u32>;
#endif
#if SCALES_F16
@group(0) @binding(3) var<storage, read> scales: array<u32>; // f16 pairs, low half first (layout.ts)
#elif SCALES_S8
@group(0) @binding(3) var<storage, read> scales: array<u32>; // GGUF Q6_K's int8 scales, four per u32 (matmul_q_out)
#else
@group(0) @binding(3) var<storage, read> scales: array<f32>;
#endif
#include "common/matmul_q_out.wgsl"

// Word wi of row m of the int8 activations.
fn xq_at(m: u32, wi: u32) -> u32 {
  return xq[params.xq0 + m * params.wpr + wi];
}

// Signed dot product of four int8 activations (a) with four stored weight codes (w, unsigned, offset 128).
fn dot4(a: u32, w: u32) -> i32 {
  let ws = w ^ 0x80808080u;
#if PACKED
  return dot4I8Packed(a, ws);
#else
  var d = 0i;
  for (var j = 0u; j < 4u; j++) {
    let sh = 24u - 8u * j;
    d += (bitcast<i32>(a << sh) >> 24u) * (bitcast<i32>(ws << sh) >> 24u);
  }
  return d;
#endif
}

#if PATH_ROWS
#include "matmul/matmul_w8a8_rows.wgsl"
#endif

#if PATH_SPLIT
// The reduction carries i32 (one group) or f32 (several) values as u32 bits.
#if SUBGROUPS
var<workgroup> part: array<u32, WG * MAXM>; // [subgroup slot][m]
var<workgroup> slots: atomic<u32>;
#else
var<workgroup> part: array<u32, WG * MAXM>; // [m][invocation]
#endif

fn reduce_add(a: u32, b: u32, ints: bool) -> u32 {
  if (ints) {
    return bitcast<u32>(bitcast<i32>(a) + bitcast<i32>(b));
  }
  return bitcast<u32>(bitcast<f32>(a) + bitcast<f32>(b));
}

@compute @workgroup_size(WG)
#if SUBGROUPS
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#endif
  let n = wid.y * params.grid_x + wid.x;
  if (n >= params.N) {
    return;
  }
  let cnt = params.M;
  let ints = params.ngroups == 1u;
  var v: array<u32, MAXM>;
  if (ints) {
    var iacc = array<i32, MAXM>();
    let iters = (params.wpr + WG - 1u) / WG;
    for (var it = 0u; it < iters; it++) {
      let wi = it * WG + lid;
      if (wi < params.wpr) {
        let word = w_q[n * params.wpr + wi];
        for (var j = 0u; j < cnt; j++) {
          iacc[j] += dot4(xq_at(j, wi), word);
        }
      }
    }
    for (var j = 0u; j < MAXM; j++) {
#if SUBGROUPS
      v[j] = bitcast<u32>(subgroupAdd(iacc[j]));
#else
      v[j] = bitcast<u32>(iacc[j]);
#endif
    }
  } else {
    var acc: array<f32, MAXM>;
    let gw = params.group / 4u;
    let iters = (params.ngroups + WG - 1u) / WG;
    for (var it = 0u; it < iters; it++) {
      let g = it * WG + lid;
      if (g < params.ngroups) {
        var iacc = array<i32, MAXM>();
        let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
        for (var wi = g * gw; wi < w_end; wi++) {
          let word = w_q[n * params.wpr + wi];
          for (var j = 0u; j < cnt; j++) {
            iacc[j] += dot4(xq_at(j, wi), word);
          }
        }
        let s = scale_at(n * params.ngroups + g);
        for (var j = 0u; j < cnt; j++) {
          acc[j] += s * f32(iacc[j]);
        }
      }
    }
    for (var j = 0u; j < MAXM; j++) {
#if SUBGROUPS
      v[j] = bitcast<u32>(subgroupAdd(acc[j]));
#else
      v[j] = bitcast<u32>(acc[j]);
#endif
    }
  }
#if SUBGROUPS
  if (lane == 0u) {
    let slot = atomicAdd(&slots, 1u);
    for (var j = 0u; j < MAXM; j++) {
      part[slot * MAXM + j] = v[j];
    }
  }
  workgroupBarrier();
  let used = atomicLoad(&slots);
  if (lid < cnt) {
    var t = part[lid];
    for (var sl = 1u; sl < used; sl++) {
      t = reduce_add(t, part[sl * MAXM + lid], ints);
    }
#else
  for (var j = 0u; j < MAXM; j++) {
    part[j * WG + lid] = v[j];
  }
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    workgroupBarrier();
    if (lid < h) {
      for (var j = 0u; j < cnt; j++) {
        part[j * WG + lid] = reduce_add(part[j * WG + lid], part[j * WG + lid + h], ints);
      }
    }
  }
  workgroupBarrier();
  if (lid < cnt) {
    let t = part[lid * WG];
#endif
    var r: f32;
    if (ints) {
      r = scale_at(n) * f32(bitcast<i32>(t));
    } else {
      r = bitcast<f32>(t);
    }
    epilogue(lid, n, r * xs[params.xs0 + lid]);
  }
}
#endif

#if PATH_COLS
// GEMV, per channel (the planner checks): COLS output columns per workgroup. Invocation lid takes chunks lid,
// lid + WG, ... (4 words: 16 codes) of every one of the workgroup's columns, so each step issues COLS independent
// 16-byte loads and adjacent invocations read adjacent chunks of a row; a chunk of xq is loaded once per row for all
// COLS columns. Sums stay exact i32 until one reduction per (row, column) (subgroupAdd under SUBGROUPS, else a
// workgroup tree), then y = s[n] * sum * xs[m], as the split path's per-channel case. Columns past N (the last
// workgroup) read row N-1 and are not written. (Grouped weights would need each group's integers complete before
// its scale, and a group's chunks belong to different invocations: they take 'split'.)
alias CA = i32;

// y = s[n] * sum * xs[m], as the split path's per-channel case.
fn cols_out(m: u32, n: u32, t: i32) {
  epilogue(m, n, scale_at(n) * f32(t) * xs[params.xs0 + m]);
}

#include "common/gemv_cols.wgsl"

// Words 4ci .. 4ci + 3 of row m of xq, zero past the row's end.
fn xq_chunk(m: u32, ci: u32) -> vec4<u32> {
  var a = vec4<u32>(0u);
  for (var j = 0u; j < 4u; j++) {
    if (4u * ci + j < params.wpr) {
      a[j] = xq_at(m, 4u * ci + j);
    }
  }
  return a;
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
  var acc = array<CA, NACC>(); // [row][column] (an initializer: see matmul_w4a16's rows path)
  for (var it = 0u; it < iters; it++) {
    let ci = it * WG + lid;
    if (ci >= nchunks) {
      continue;
    }
    var cw: array<vec4<u32>, MAXC>;
    for (var c = 0u; c < COLS; c++) {
      cw[c] = chunk(min(c0 + c, params.N - 1u), ci);
    }
    for (var m = 0u; m < ROWS; m++) {
      let a = xq_chunk(m, ci);
      for (var c = 0u; c < COLS; c++) {
        acc[m * MAXC + c] += dot4(a.x, cw[c].x) + dot4(a.y, cw[c].y) + dot4(a.z, cw[c].z) + dot4(a.w, cw[c].w);
      }
    }
  }
  reduce_cols(c0, lid, lane, &acc);
}
#endif

#if PATH_TILED
const TM: u32 = 4u;
const TN: u32 = 4u;
var<workgroup> As: array<u32, BK / 4u * WG_Y * 4u>; // [BK/4][BM] int8 activation words
var<workgroup> Bs: array<u32, BK / 4u * WG_X * 4u>; // [BK/4][BN] weight code words

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let BM = WG_Y * TM;
  let BN = WG_X * TN;
  let BW = BK / 4u;
  let threads = WG_X * WG_Y;
  let lid = lid3.y * WG_X + lid3.x;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  var acc: array<array<f32, 4>, 4>;
  var iacc: array<array<i32, 4>, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    let w0 = k0 / 4u;
    for (var i = lid; i < BM * BW; i += threads) {
      let row = i / BW;
      let wj = i % BW;
      var a = 0u;
      if (m0 + row < params.M && w0 + wj < params.wpr) {
        a = xq_at(m0 + row, w0 + wj);
      }
      As[wj * BM + row] = a;
    }
    for (var i = lid; i < BN * BW; i += threads) {
      let col = i / BW;
      let wj = i % BW;
      var b = 0x80808080u; // code 128 = weight 0
      if (n0 + col < params.N && w0 + wj < params.wpr) {
        b = w_q[(n0 + col) * params.wpr + w0 + wj];
      }
      Bs[wj * BN + col] = b;
    }
    workgroupBarrier();
    for (var wj = 0u; wj < BW; wj++) {
      var av: array<u32, 4>;
      var bv: array<u32, 4>;
      for (var r = 0u; r < TM; r++) {
        av[r] = As[wj * BM + lid3.y + r * WG_Y];
      }
      for (var q = 0u; q < TN; q++) {
        bv[q] = Bs[wj * BN + lid3.x + q * WG_X];
      }
      for (var r = 0u; r < TM; r++) {
        for (var q = 0u; q < TN; q++) {
          iacc[r][q] += dot4(av[r], bv[q]);
        }
      }
    }
    workgroupBarrier();
    let k1 = k0 + BK;
    if (k1 % params.group == 0u || k1 >= params.K) {
      let g = k0 / params.group;
      for (var q = 0u; q < TN; q++) {
        let n = min(n0 + lid3.x + q * WG_X, params.N - 1u);
        let s = scale_at(n * params.ngroups + g);
        for (var r = 0u; r < TM; r++) {
          acc[r][q] += s * f32(iacc[r][q]);
          iacc[r][q] = 0i;
        }
      }
    }
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid3.y + r * WG_Y;
    for (var q = 0u; q < TN; q++) {
      let n = n0 + lid3.x + q * WG_X;
      if (m < params.M && n < params.N) {
        epilogue(m, n, acc[r][q] * xs[params.xs0 + m]);
      }
    }
  }
}
#endif
