// Softmax / log-softmax over the last axis of a contiguous [rows, cols] tensor, and their backward
// (src/ops/softmax.ts); CAUSAL: the causal softmax of attention scores (src/ops/fused.ts causalSoftmax), rows of T
// keys, row r the query at position r % T: softmax(alpha x + causal mask) in one pass, keys after the query never
// read and written as 0 (the composition add(scale(x, alpha), causalMask) -> softmax, whose masked entries add
// exactly 0 to its sums). Two shapes, picked per adapter (Tuning.rowReduce): one invocation per row, no workgroup
// memory (CPU adapters); WG_ROW: one workgroup per row, WG-strided loops and workgroup-memory trees (GPUs).
//   forward:  x -> y           softmax y = exp(x - m) / s      LOG: y = x - m - log(s)   (CAUSAL: x is alpha x)
//   BACKWARD: (y, dy) -> dx    softmax dx = y (dy - sum(dy y))  LOG: dx = dy - exp(y) sum(dy)   (CAUSAL: alpha dx)
struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32,
#if CAUSAL
  alpha: f32,
#endif
}

override WG: u32 = 64;

#if BACKWARD
@group(0) @binding(0) var<storage, read> y: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
#else
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(3) var<uniform> params: Params;

#if CAUSAL
// The keys row `row` reads (0 ..= its position), its inputs scaled by alpha, and the chain rule's alpha.
fn width(row: u32) -> u32 {
  return row % params.cols + 1u;
}
fn dscale(v: f32) -> f32 {
  return params.alpha * v;
}
#if !BACKWARD
fn xin(i: u32) -> f32 {
  return params.alpha * x[i];
}
#endif
#else
fn width(row: u32) -> u32 {
  return params.cols;
}
fn dscale(v: f32) -> f32 {
  return v;
}
#if !BACKWARD
fn xin(i: u32) -> f32 {
  return x[i];
}
#endif
#endif

#if WG_ROW
#include "common/wg_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * params.row_pitch + wid.x;
  if (row >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let base = row * params.cols;
  let n = width(row);
#if BACKWARD
  var acc = 0.0;
  for (var c = lid; c < n; c += WG) {
#if LOG
    acc += dy[base + c];
#else
    acc += dy[base + c] * y[base + c];
#endif
  }
  let total = wg_reduce(acc, lid, false);
  for (var c = lid; c < params.cols; c += WG) {
#if LOG
    dx[base + c] = dscale(dy[base + c] - exp(y[base + c]) * total);
#else
    dx[base + c] = dscale(y[base + c] * (dy[base + c] - total));
#endif
  }
#else
  var m = -3.4028234663852886e38;
  for (var c = lid; c < n; c += WG) {
    m = max(m, xin(base + c));
  }
  m = wg_reduce(m, lid, true);
  var s = 0.0;
  for (var c = lid; c < n; c += WG) {
    s += exp(xin(base + c) - m);
  }
  s = wg_reduce(s, lid, false);
#if LOG
  let ls = m + log(s);
  for (var c = lid; c < n; c += WG) {
    y[base + c] = xin(base + c) - ls;
  }
#else
  let inv = 1.0 / s;
  for (var c = lid; c < n; c += WG) {
    y[base + c] = exp(xin(base + c) - m) * inv;
  }
#endif
  for (var c = n + lid; c < params.cols; c += WG) {
    y[base + c] = 0.0; // CAUSAL: keys after the query
  }
#endif
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let row = gid.y * params.row_pitch + gid.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.cols;
  let n = width(row);
#if BACKWARD
  var acc = 0.0;
  for (var c = 0u; c < n; c++) {
#if LOG
    acc += dy[base + c];
#else
    acc += dy[base + c] * y[base + c];
#endif
  }
  for (var c = 0u; c < params.cols; c++) {
#if LOG
    dx[base + c] = dscale(dy[base + c] - exp(y[base + c]) * acc);
#else
    dx[base + c] = dscale(y[base + c] * (dy[base + c] - acc));
#endif
  }
#else
  var m = xin(base);
  for (var c = 1u; c < n; c++) {
    m = max(m, xin(base + c));
  }
  var s = 0.0;
  for (var c = 0u; c < n; c++) {
    s += exp(xin(base + c) - m);
  }
#if LOG
  let ls = m + log(s);
  for (var c = 0u; c < n; c++) {
    y[base + c] = xin(base + c) - ls;
  }
#else
  let inv = 1.0 / s;
  for (var c = 0u; c < n; c++) {
    y[base + c] = exp(xin(base + c) - m) * inv;
  }
#endif
  for (var c = n; c < params.cols; c++) {
    y[base + c] = 0.0; // CAUSAL: keys after the query
  }
#endif
}
#endif
