// Index of the largest element of each row of x [rows, cols] (src/kernels/lm.ts planArgmaxRows): greedy sampling
// over a vocabulary of up to 256k logits. One workgroup per row; each invocation scans a strided share of the row,
// then a tree reduction in workgroup memory. Ties go to the lowest index; NaN never wins; a row of NaN only gives
// `cols` (the caller reports it).
// Keys and the reduction: common/best_key.wgsl.
#include "common/best_key.wgsl"

struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32, // workgroups per grid row
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * params.row_pitch + wid.x;
  if (r >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let base = r * params.cols;
  var best_key = 0u;
  var best_idx = params.cols;
  for (var c = lid; c < params.cols; c += WG) {
    let k = order_key(x[base + c]);
    if (k > best_key) { // strict: the lower index of this invocation's share wins a tie
      best_key = k;
      best_idx = c;
    }
  }
  red_key[lid] = best_key;
  red_idx[lid] = best_idx;
  reduce_best(lid);
  if (lid == 0u) {
    out[r] = red_idx[0];
  }
}
