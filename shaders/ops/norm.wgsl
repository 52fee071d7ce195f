// LayerNorm / RMSNorm over the last axis of a contiguous [rows, cols] tensor (src/ops/norm.ts). One invocation
// per row, no workgroup memory; with WG_ROW one workgroup per row with tree reductions (GPUs; Tuning.rowReduce).
//   forward:    y = (x - mean) * rstd * gamma + beta;  RMS: y = x * rstd * gamma (mean = 0, no beta)
//               stats[2r] = mean, stats[2r+1] = rstd = 1/sqrt(var + eps)   (var about the mean; RMS: mean of x^2)
//   BACKWARD:   dx = rstd * (g - mean(g) - xhat * mean(g xhat)),  g = dy * gamma   (RMS: no mean(g) term), by the
//               rows' invocations (workgroups under WG_ROW); in the same dispatch the parameter gradients
//               dgamma[c] = sum_r dy xhat, dbeta[c] = sum_r dy (not RMS), one invocation per column after them
//               (the grid's next `cols` invocations; under WG_ROW the next ceil(cols / WG) workgroups).
// BACKWARD with ACCUM adds `addend` to dx (the executor's fusion of the add that sums dx with another gradient).
// GATHER (forward): x is an embedding table [vocab, cols] and row r of the input is its row ids[r], also written to
// x_out (the embedding's output, which the residual stream reads): the executor's fusion of an embedding and the
// norm of its output (src/graph/fuse.ts fuseEmbeddingNorms), one dispatch and the same bits as the two. An id
// outside [0, vocab) gives a NaN row (x_out, y and stats), as the embedding's.
struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32,
  eps: f32,
#if GATHER
  vocab: u32,
#endif
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
#if BACKWARD
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(10) var<storage, read_write> dgamma: array<f32>;
#if !RMS
@group(0) @binding(11) var<storage, read_write> dbeta: array<f32>;
#endif
#if ACCUM
@group(0) @binding(9) var<storage, read> addend: array<f32>; // dx += addend (a gradient summed in, src/graph/fuse.ts)
#endif
#else
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
#if !RMS
@group(0) @binding(5) var<storage, read> beta: array<f32>;
#endif
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<storage, read_write> stats: array<f32>;
#if GATHER
@group(0) @binding(9) var<storage, read> ids: array<i32>;
@group(0) @binding(10) var<storage, read_write> x_out: array<f32>;
#endif
#endif
@group(0) @binding(8) var<uniform> params: Params;

#if !BACKWARD
// The forward's input row r: its first element in x (row r, or under GATHER the table row ids[r]) and whether it is
// a NaN row (GATHER: an id out of range).
fn row_of(r: u32) -> vec2<u32> {
#if GATHER
  let id = ids[r];
  let bad = id < 0 || u32(id) >= params.vocab;
  return vec2<u32>(select(u32(id) * params.cols, 0u, bad), select(0u, 1u, bad));
#else
  return vec2<u32>(r * params.cols, 0u);
#endif
}

// Element k of x, NaN on a bad row.
fn xin(k: u32, bad: u32) -> f32 {
#if GATHER
  var nan_bits = 0x7fc00000u; // a runtime value: NaN is not a valid constant expression
  return select(x[k], bitcast<f32>(nan_bits), bad != 0u);
#else
  return x[k];
#endif
}

// y's element k (and x_out's under GATHER, the input element v).
fn put(k: u32, v: f32, yv: f32) {
  y[k] = yv;
#if GATHER
  x_out[k] = v;
#endif
}
#endif

#if BACKWARD
// BACKWARD's dx element i takes v, plus the addend's element i under ACCUM (one rounding, as a separate add).
fn plus(i: u32, v: f32) -> f32 {
#if ACCUM
  return v + addend[i];
#else
  return v;
#endif
}

// Column c's parameter gradients: dgamma = sum over rows of dy xhat, dbeta = sum of dy, rows in order.
fn param_grad(c: u32) {
  var dg = 0.0;
  var db = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let k = r * params.cols + c;
    let xhat = (x[k] - stats[2u * r]) * stats[2u * r + 1u];
    dg = fma(dy[k], xhat, dg);
    db += dy[k];
  }
  dgamma[c] = dg;
#if !RMS
  dbeta[c] = db;
#endif
}
#endif

#if WG_ROW
#include "common/wg_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = wid.y * params.row_pitch + wid.x;
#if BACKWARD
  // Workgroups past the rows: the parameter gradients, a column an invocation (no barriers on this side).
  if (i >= params.rows) {
    let c = (i - params.rows) * WG + lid;
    if (c < params.cols) {
      param_grad(c);
    }
    return;
  }
#else
  if (i >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
#endif
  let n = f32(params.cols);
  let base = i * params.cols;
#if BACKWARD
  let mean = stats[2u * i];
  let rstd = stats[2u * i + 1u];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let g = dy[base + c] * gamma[c];
    sg += g;
    sgx = fma(g, (x[base + c] - mean) * rstd, sgx);
  }
  sg = wg_reduce(sg, lid, false);
  sgx = wg_reduce(sgx, lid, false);
#if RMS
  sg = 0.0;
#endif
  let mg = sg / n;
  let mgx = sgx / n;
  for (var c = lid; c < params.cols; c += WG) {
    let xhat = (x[base + c] - mean) * rstd;
    dx[base + c] = plus(base + c, rstd * (dy[base + c] * gamma[c] - mg - xhat * mgx));
  }
#else
  let src = row_of(i);
  var mean = 0.0;
#if !RMS
  for (var c = lid; c < params.cols; c += WG) {
    mean += xin(src.x + c, src.y);
  }
  mean = wg_reduce(mean, lid, false) / n;
#endif
  var v = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    let d = xin(src.x + c, src.y) - mean;
    v = fma(d, d, v);
  }
  v = wg_reduce(v, lid, false);
  let rstd = 1.0 / sqrt(v / n + params.eps);
  for (var c = lid; c < params.cols; c += WG) {
    let xc = xin(src.x + c, src.y);
#if RMS
    put(base + c, xc, xc * rstd * gamma[c]);
#else
    put(base + c, xc, fma((xc - mean) * rstd, gamma[c], beta[c]));
#endif
  }
  if (lid == 0u) {
    stats[2u * i] = mean;
    stats[2u * i + 1u] = rstd;
  }
#endif
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  let n = f32(params.cols);
#if BACKWARD
  // Invocations past the rows: the parameter gradients, one column each.
  if (i >= params.rows) {
    if (i - params.rows < params.cols) {
      param_grad(i - params.rows);
    }
    return;
  }
#else
  if (i >= params.rows) {
    return;
  }
#endif
  let base = i * params.cols;
#if BACKWARD
  let mean = stats[2u * i];
  let rstd = stats[2u * i + 1u];
  var sg = 0.0;
  var sgx = 0.0;
  for (var c = 0u; c < params.cols; c++) {
    let g = dy[base + c] * gamma[c];
    sg += g;
    sgx = fma(g, (x[base + c] - mean) * rstd, sgx);
  }
#if RMS
  sg = 0.0;
#endif
  let mg = sg / n;
  let mgx = sgx / n;
  for (var c = 0u; c < params.cols; c++) {
    let xhat = (x[base + c] - mean) * rstd;
    dx[base + c] = plus(base + c, rstd * (dy[base + c] * gamma[c] - mg - xhat * mgx));
  }
#else
  let src = row_of(i);
  var mean = 0.0;
#if !RMS
  for (var c = 0u; c < params.cols; c++) {
    mean += xin(src.x + c, src.y);
  }
  mean = mean / n;
#endif
  var v = 0.0;
  for (var c = 0u; c < params.cols; c++) {
    let d = xin(src.x + c, src.y) - mean;
    v = fma(d, d, v);
  }
  let rstd = 1.0 / sqrt(v / n + params.eps);
  for (var c = 0u; c < params.cols; c++) {
    let xc = xin(src.x + c, src.y);
#if RMS
    put(base + c, xc, xc * rstd * gamma[c]);
#else
    put(base + c, xc, fma((xc - mean) * rstd, gamma[c], beta[c]));
#endif
  }
  stats[2u * i] = mean;
  stats[2u * i + 1u] = rstd;
#endif
}
#endif
