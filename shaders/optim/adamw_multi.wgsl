// AdamW over up to four tensors in one dispatch (src/kernels/optim.ts planAdamWMulti): adamw.wgsl's arithmetic, op for
// op, for param tensor t (p0..p3 with gradients g0..g3), its moments at state[t] .. state[t] + n[t] of the flat
// exp_avg / exp_avg_sq buffers, and its own lr, weight decay and step size (lr / (1 - beta1^step), from the host in
// f64). T2 / T3 / T4: the dispatch's tensor count (bindings are fixed per pipeline).
// Tensor t owns the workgroups first[t] .. first[t + 1] - 1, each covering WG * RUN consecutive elements (invocation
// lid takes elements lid, lid + WG, ...: neighbours read neighbours), so a workgroup reads one tensor.
struct Params {
  n: vec4<u32>,      // elements of each tensor
  first: vec4<u32>,  // first workgroup of each tensor (first[0] = 0)
  state: vec4<u32>,  // first element of each tensor's moments
  lr: vec4<f32>,
  weight_decay: vec4<f32>,
  step_size: vec4<f32>,
  beta1: f32,
  beta2: f32,
  eps: f32,
  bc2_sqrt: f32,
  row_pitch: u32,    // workgroups per grid row
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
@group(0) @binding(8) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(9) var<storage, read_write> exp_avg_sq: array<f32>;
#if CLIP
@group(0) @binding(10) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(11) var<uniform> params: Params;

// The updated value of param p (gradient g) of tensor t, whose moments are at s.
fn update(t: u32, p_in: f32, g_in: f32, s: u32) -> f32 {
#if CLIP
  let g = g_in * clip_coef[1];
#else
  let g = g_in;
#endif
  let p = p_in * (1.0 - params.lr[t] * params.weight_decay[t]);
  let m = params.beta1 * exp_avg[s] + (1.0 - params.beta1) * g;
  let v = params.beta2 * exp_avg_sq[s] + (1.0 - params.beta2) * g * g;
  exp_avg[s] = m;
  exp_avg_sq[s] = v;
  let denom = sqrt(v) / params.bc2_sqrt + params.eps;
  return p - params.step_size[t] * m / denom;
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
  let base = (w - params.first[t]) * WG * RUN + lid;
  let end = base + RUN * WG;
  let s0 = params.state[t]; // + i: element i's moments
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
}
