// Cross-entropy fused with log-softmax, integer targets and an ignore index (src/ops/loss.ts).
// logits [rows, cols] contiguous, targets i32 [rows]; a target equal to `ignore_index` contributes nothing.
// A target outside [0, cols) that is not ignored makes its row's loss NaN (loud, never silently clamped).
//   ROWS:     stats[2r] = loss_r (0 when ignored), stats[2r+1] = logsumexp_r        one invocation per row,
//             or with WG_ROW one workgroup per row (long class rows on GPUs; Tuning.rowReduce)
//   MEAN:     out[0] = sum loss_r / count, count[0] = count (non-ignored rows)       one invocation
//             (all rows ignored gives 0/0 = NaN, as PyTorch does)
//   BACKWARD: dlogits[r, c] = (exp(x - lse_r) - [c == t_r]) * dy / count, 0 for ignored rows
//             one invocation per run of RUN adjacent columns of a row (the tuning's elementwiseRun: 8 on CPU
//             adapters, where the row's target, logsumexp, dy and count are then loaded once for 8; 1 on GPUs)
struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32,
  ignore_index: i32,
}

override WG: u32 = 64;
override RUN: u32 = 1; // BACKWARD: columns per invocation

#if ROWS
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
#elif MEAN
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<storage, read_write> count: array<f32>;
#else
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read> count: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;
#endif
@group(0) @binding(3) var<uniform> params: Params;

#if WG_ROW
#include "common/wg_reduce.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = wid.y * params.row_pitch + wid.x;
  if (i >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let base = i * params.cols;
  var m = -3.4028234663852886e38;
  for (var c = lid; c < params.cols; c += WG) {
    m = max(m, logits[base + c]);
  }
  m = wg_reduce(m, lid, true);
  var s = 0.0;
  for (var c = lid; c < params.cols; c += WG) {
    s += exp(logits[base + c] - m);
  }
  s = wg_reduce(s, lid, false);
  if (lid == 0u) {
    let lse = m + log(s);
    let t = targets[i];
    var loss = 0.0;
    if (t != params.ignore_index) {
      if (t < 0 || u32(t) >= params.cols) {
        var nan_bits = 0x7fc00000u; // a runtime value: NaN is not a valid constant expression
        loss = bitcast<f32>(nan_bits);
      } else {
        loss = lse - logits[base + u32(t)];
      }
    }
    stats[2u * i] = loss;
    stats[2u * i + 1u] = lse;
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
#if ROWS
  if (i >= params.rows) {
    return;
  }
  let base = i * params.cols;
  var m = logits[base];
  for (var c = 1u; c < params.cols; c++) {
    m = max(m, logits[base + c]);
  }
  var s = 0.0;
  for (var c = 0u; c < params.cols; c++) {
    s += exp(logits[base + c] - m);
  }
  let lse = m + log(s);
  let t = targets[i];
  var loss = 0.0;
  if (t != params.ignore_index) {
    if (t < 0 || u32(t) >= params.cols) {
      var nan_bits = 0x7fc00000u; // a runtime value: NaN is not a valid constant expression
      loss = bitcast<f32>(nan_bits);
    } else {
      loss = lse - logits[base + u32(t)];
    }
  }
  stats[2u * i] = loss;
  stats[2u * i + 1u] = lse;
#elif MEAN
  if (i > 0u) {
    return;
  }
  var total = 0.0;
  var n = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    if (targets[r] != params.ignore_index) {
      total += stats[2u * r];
      n += 1.0;
    }
  }
  out[0] = total / n;
  count[0] = n;
#else
  let runs = (params.cols + RUN - 1u) / RUN; // runs per row
  if (i >= params.rows * runs) {
    return;
  }
  let r = i / runs;
  let c0 = (i % runs) * RUN;
  let c1 = min(c0 + RUN, params.cols);
  let base = r * params.cols;
  let t = targets[r];
  if (t == params.ignore_index) {
    for (var c = c0; c < c1; c++) {
      dlogits[base + c] = 0.0;
    }
    return;
  }
  let lse = stats[2u * r + 1u];
  let g = dy[0];
  let n = count[0];
  for (var c = c0; c < c1; c++) {
    let p = exp(logits[base + c] - lse);
    dlogits[base + c] = (p - select(0.0, 1.0, i32(c) == t)) * g / n;
  }
#endif
}
#endif
