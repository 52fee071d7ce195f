// Causal softmax of attention scores (src/ops/fused.ts): rows of T keys, row r the query at position r % T;
// y = softmax(alpha * x + causal mask) in one pass, the mask (keys after the query) never read. It replaces the
// composition add(scale(x, alpha), causalMask) -> softmax (three dispatches) with the same arithmetic: masked
// entries add exactly 0 to the sum there (exp underflows), and are skipped here. Two shapes, as softmax.wgsl:
// one invocation per row (CPU adapters), or WG_ROW: one workgroup per row with workgroup-memory trees (GPUs).
//   forward:  x -> y           s = alpha x (key <= query), y = exp(s - m) / sum, 0 above the diagonal
//   BACKWARD: (y, dy) -> dx    dx = alpha (y (dy - sum(dy y)))   (masked y = 0 gives dx = 0)
struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32,
  alpha: f32,
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

#if WG_ROW
#include "common/wg_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * params.row_pitch + wid.x;
  if (row >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let base = row * params.cols;
  let last = row % params.cols; // the query's position: keys 0..last take part
#if BACKWARD
  var acc = 0.0;
  for (var c = lid; c <= last; c += WG) {
    acc += dy[base + c] * y[base + c];
  }
  let total = wg_reduce(acc, lid, false);
  for (var c = lid; c < params.cols; c += WG) {
    dx[base + c] = params.alpha * (y[base + c] * (dy[base + c] - total));
  }
#else
  var m = -3.4028234663852886e38;
  for (var c = lid; c <= last; c += WG) {
    m = max(m, params.alpha * x[base + c]);
  }
  m = wg_reduce(m, lid, true);
  var s = 0.0;
  for (var c = lid; c <= last; c += WG) {
    s += exp(params.alpha * x[base + c] - m);
  }
  s = wg_reduce(s, lid, false);
  let inv = 1.0 / s;
  for (var c = lid; c < params.cols; c += WG) {
    if (c <= last) {
      y[base + c] = exp(params.alpha * x[base + c] - m) * inv;
    } else {
      y[base + c] = 0.0;
    }
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
  let last = row % params.cols;
#if BACKWARD
  var acc = 0.0;
  for (var c = 0u; c <= last; c++) {
    acc += dy[base + c] * y[base + c];
  }
  for (var c = 0u; c < params.cols; c++) {
    dx[base + c] = params.alpha * (y[base + c] * (dy[base + c] - acc));
  }
#else
  var m = params.alpha * x[base];
  for (var c = 1u; c <= last; c++) {
    m = max(m, params.alpha * x[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c <= last; c++) {
    s += exp(params.alpha * x[base + c] - m);
  }
  let inv = 1.0 / s;
  for (var c = 0u; c <= last; c++) {
    y[base + c] = exp(params.alpha * x[base + c] - m) * inv;
  }
  for (var c = last + 1u; c < params.cols; c++) {
    y[base + c] = 0.0;
  }
#endif
}
#endif
