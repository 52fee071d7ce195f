// AdamW over params that share one buffer and gradients that share another (Graph.flattenParams and Executable's
// `flat` outputs, src/gpu/arena.ts): adamw_multi.wgsl's arithmetic, op for op, for any number of tensors in one
// dispatch and four storage bindings (params, grads, moments, clip_coef) plus the segment table, where
// adamw_multi.wgsl binds two buffers a tensor and so takes five a dispatch.
// Segment t = segs[t]: its param's first element in `p`, its gradient's in `g`, elements n, first workgroup, its
// first element in the flat moments (first moments at state .. state + n - 1 of `moments`, second moments `total`
// elements further on), its lr, weight decay and step size (lr / (1 - beta1^step), from the host in f64; the host
// rewrites segs each step). Its workgroups each cover WG * RUN consecutive elements (invocation lid takes elements
// lid, lid + WG, ...), as adamw_multi.wgsl's.
// CLIP: gradients scaled by clip_coef[1] (grad_norm.wgsl's FINALIZE).
struct Seg {
  p_off: u32,
  g_off: u32,
  n: u32,
  first: u32,
  state: u32,
  lr: f32,
  weight_decay: f32,
  step_size: f32,
}

struct Params {
  segments: u32,
  groups: u32,       // workgroups of all segments
  row_pitch: u32,    // workgroups per grid row
  total: u32,        // elements of the first moments (the second moments' offset in `moments`)
  beta1: f32,
  beta2: f32,
  eps: f32,
  bc2_sqrt: f32,
}

override WG: u32 = 64;
override RUN: u32 = 1;

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> moments: array<f32>;
#if CLIP
@group(0) @binding(3) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(4) var<storage, read> segs: array<Seg>;
@group(0) @binding(5) var<uniform> params: Params;

#include "optim/adamw_rule.wgsl"
#include "optim/adamw_moments.wgsl"
#include "optim/segment_of.wgsl"

// The updated value of param p_in (gradient g_in, clip coefficient c) of segment sg, whose moments are at s.
fn update(sg: Seg, p_in: f32, g_in: f32, c: f32, s: u32) -> f32 {
#if CLIP
  let gc = g_in * c;
#else
  let gc = g_in;
#endif
  return adamw_step(p_in, gc, s, sg.lr, sg.weight_decay, sg.step_size);
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * params.row_pitch + wid.x;
  if (w >= params.groups) {
    return;
  }
#if CLIP
  let c = clip_coef[1];
#else
  let c = 1.0;
#endif
  let sg = segs[segment_of(w, params.segments)];
  let base = (w - sg.first) * WG * RUN + lid;
  let end = min(base + RUN * WG, sg.n);
  for (var i = base; i < end; i += WG) {
    p[sg.p_off + i] = update(sg, p[sg.p_off + i], g[sg.g_off + i], c, sg.state + i);
  }
}
