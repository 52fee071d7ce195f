// AdamW on f32 master weights: torch.optim.AdamW (decoupled weight decay, bias correction, amsgrad off).
//   g = grad * clip (CLIP: clip = clip_coef[1] from grad_norm.wgsl)
//   p = p * (1 - lr * weight_decay)
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//   p = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
// step_size = lr / (1 - beta1^t) and bc2_sqrt = sqrt(1 - beta2^t) come from the step count t, computed in f64 on
// the host as PyTorch does (src/kernels/optim.ts adamwUniforms): WGSL's pow is far too inexact for 1 - 0.999^t.
// The step itself: adamw_rule.wgsl (shared with adamw_multi.wgsl and adamw_flat.wgsl).
struct Params {
  n: u32,
  row_pitch: u32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step_size: f32,
  bc2_sqrt: f32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg_sq: array<f32>;
#if CLIP
@group(0) @binding(4) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(5) var<uniform> params: Params;

#include "optim/adamw_rule.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
#if CLIP
  let g = grad[i] * clip_coef[1];
#else
  let g = grad[i];
#endif
  let r = adamw_rule(param[i], g, exp_avg[i], exp_avg_sq[i], params.lr, params.weight_decay, params.step_size);
  exp_avg[i] = r.y;
  exp_avg_sq[i] = r.z;
  param[i] = r.x;
}
