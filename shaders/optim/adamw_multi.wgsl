// AdamW over up to five tensors in one dispatch (src/kernels/optim.ts planAdamWMulti): adamw.wgsl's arithmetic, op for
// op, for param tensor t (p0..p4 with gradients g0..g4), its first moments at state[t] .. state[t] + n[t] of the flat
// `moments` buffer and its second moments `total` elements further on (one binding for both: five tensors fit 12
// storage buffers), and its own lr, weight decay and step size (lr / (1 - beta1^step), from the host in f64).
// T2 .. T5: the dispatch's tensor count (bindings are fixed per pipeline). Slots 0-3 of each per-tensor field are a
// vec4, slot 4 a scalar of its own (`*_4`).
// Tensor t owns the workgroups first[t] .. first[t + 1] - 1, each covering WG * RUN consecutive elements (invocation
// lid takes elements lid, lid + WG, ...: neighbours read neighbours), so a workgroup reads one tensor.
struct Params {
  n: vec4<u32>,      // elements of each tensor
  first: vec4<u32>,  // first workgroup of each tensor (first[0] = 0)
  state: vec4<u32>,  // first element of each tensor's moments
  lr: vec4<f32>,
  weight_decay: vec4<f32>,
  step_size: vec4<f32>,
  n_4: u32,
  first_4: u32,
  state_4: u32,
  lr_4: f32,
  weight_decay_4: f32,
  step_size_4: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bc2_sqrt: f32,
  row_pitch: u32,    // workgroups per grid row
  total: u32,        // elements of the first moments (the second moments' offset in `moments`)
}

override WG: u32 = 64;
override RUN: u32 = 1;

@group(0) @binding(0) var<storage, read_write> p0: array<f32>;
@group(0) @binding(1) var<storage, read> g0: array<f32>;
#if T2
@group(0) @binding(2) var<storage, read_write> p1: array<f32>;
@group(0) @binding(3) var<storage, read> g1: array<f32>;
#endif
#if T3
@group(0) @binding(4) var<storage, read_write> p2: array<f32>;
@group(0) @binding(5) var<storage, read> g2: array<f32>;
#endif
#if T4
@group(0) @binding(6) var<storage, read_write> p3: array<f32>;
@group(0) @binding(7) var<storage, read> g3: array<f32>;
#endif
#if T5
@group(0) @binding(12) var<storage, read_write> p4: array<f32>;
@group(0) @binding(13) var<storage, read> g4: array<f32>;
#endif
@group(0) @binding(8) var<storage, read_write> moments: array<f32>;
#if CLIP
@group(0) @binding(10) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(11) var<uniform> params: Params;

#include "optim/adamw_rule.wgsl"
#include "optim/adamw_moments.wgsl"

// Slot t of a per-tensor field (t <= 4).
fn slot_u(v: vec4<u32>, v4: u32, t: u32) -> u32 {
  return select(v[t & 3u], v4, t == 4u);
}

fn slot_f(v: vec4<f32>, v4: f32, t: u32) -> f32 {
  return select(v[t & 3u], v4, t == 4u);
}

// The updated value of param p (gradient g) of tensor t, whose moments are at s.
fn update(t: u32, p_in: f32, g_in: f32, s: u32) -> f32 {
#if CLIP
  let g = g_in * clip_coef[1];
#else
  let g = g_in;
#endif
  return adamw_step(p_in, g, s, slot_f(params.lr, params.lr_4, t), slot_f(params.weight_decay, params.weight_decay_4, t), slot_f(params.step_size, params.step_size_4, t));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * params.row_pitch + wid.x;
  var t = 0u;
#if T2
  t = select(t, 1u, w >= params.first.y);
#endif
#if T3
  t = select(t, 2u, w >= params.first.z);
#endif
#if T4
  t = select(t, 3u, w >= params.first.w);
#endif
#if T5
  t = select(t, 4u, w >= params.first_4);
#endif
  let base = (w - slot_u(params.first, params.first_4, t)) * WG * RUN + lid;
  let end = base + RUN * WG;
  let s0 = slot_u(params.state, params.state_4, t); // + i: element i's moments
  // A loop per tensor, only this workgroup's with any iterations: SwiftShader skips a loop no lane enters, where it
  // would run every case of a switch under a lane mask.
  for (var i = base; t == 0u && i < min(end, params.n.x); i += WG) {
    p0[i] = update(0u, p0[i], g0[i], s0 + i);
  }
#if T2
  for (var i = base; t == 1u && i < min(end, params.n.y); i += WG) {
    p1[i] = update(1u, p1[i], g1[i], s0 + i);
  }
#endif
#if T3
  for (var i = base; t == 2u && i < min(end, params.n.z); i += WG) {
    p2[i] = update(2u, p2[i], g2[i], s0 + i);
  }
#endif
#if T4
  for (var i = base; t == 3u && i < min(end, params.n.w); i += WG) {
    p3[i] = update(3u, p3[i], g3[i], s0 + i);
  }
#endif
#if T5
  for (var i = base; t == 4u && i < min(end, params.n_4); i += WG) {
    p4[i] = update(4u, p4[i], g4[i], s0 + i);
  }
#endif
}
