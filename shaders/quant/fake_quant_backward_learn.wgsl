// Fake-quant backward with learnable quantizer parameters, fused with their per-scale reduction.
// One workgroup per scale index c (the grid may be 2-D: grid_x); its WG invocations stride over the elements
// that use scale c ([outer, channels, inner] view: element (o, c, j) = (o * channels + c) * inner + j), write
// grad_x for each, and sum the scale / zero-point contributions in f32, then a workgroup tree reduction.
//
// Default (LSQ / LSQ+), PyTorch's _fake_quantize_learnable_per_channel_affine backward at grad_factor g
// (ATen's fake-quant learnable-grad kernels, CPU/CUDA/XPU alike), with z the rounded, clamped zero point:
//   q = round(x * inv_s) + z
//   inside  (qmin <= q <= qmax): grad_x = dy, d_scale = dy * (xfq - x) * inv_s * g, d_zero = 0
//                                 where xfq = (q - z) * s, i.e. round(x/s) - x/s
//   below / above:                grad_x = 0,  d_scale = dy * (qmin - z) * g / dy * (qmax - z) * g, d_zero = -dy * s * g
// grad_scale[c] and grad_zero_point[c] are the sums over the elements of scale c (ATen sums over all axes but
// the channel axis).
// PACT: learnable clip alpha, s = alpha / qmax, z = 0, qmin = 0 (Choi et al. 2018, with the STE):
//   grad_x = dy where 0 <= x < alpha, else 0;  grad_alpha[c] = sum of dy where x >= alpha.
#include "quant/fake_quant_common.wgsl"

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  grid_x: u32, // workgroups along x
  qmin: f32,
  qmax: f32,
  grad_factor: f32,
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> grad_y: array<f32>;
#if PACT
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_alpha: array<f32>;
#else
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero_point: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(5) var<storage, read_write> grad_scale: array<f32>;
@group(0) @binding(6) var<storage, read_write> grad_zero_point: array<f32>;
#endif
@group(0) @binding(7) var<uniform> params: Params;

var<workgroup> part_s: array<f32, WG>;
#if !PACT
var<workgroup> part_z: array<f32, WG>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * params.grid_x + wid.x;
  // `c` is uniform across the workgroup, so every invocation reaches the barriers below.
  let live = c < params.channels;
  var acc_s = 0.0;
  var acc_z = 0.0;
  if (live) {
    let count = params.outer * params.inner;
#if PACT
    let a = alpha[c];
#else
    let s = scale[c];
    let inv_s = div_rn(1.0, s);
    let z = rounded_zero_point(zero_point[c], params.qmin, params.qmax);
    let g = params.grad_factor;
#endif
    for (var t = lid; t < count; t += WG) {
      let o = t / params.inner;
      let i = (o * params.channels + c) * params.inner + (t - o * params.inner);
      let xi = x[i];
      let dy = grad_y[i];
#if PACT
      grad_x[i] = select(0.0, dy, xi >= 0.0 && xi < a);
      acc_s += select(0.0, dy, xi >= a);
#else
      let q = round(xi * inv_s) + z;
      if (q < params.qmin) {
        grad_x[i] = 0.0;
        acc_s += dy * (params.qmin - z) * g;
        acc_z += -dy * s * g;
      } else if (q > params.qmax) {
        grad_x[i] = 0.0;
        acc_s += dy * (params.qmax - z) * g;
        acc_z += -dy * s * g;
      } else {
        grad_x[i] = dy;
        let xfq = (q - z) * s;
        acc_s += dy * (xfq - xi) * inv_s * g;
      }
#endif
    }
  }
  part_s[lid] = acc_s;
#if !PACT
  part_z[lid] = acc_z;
#endif
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) {
      part_s[lid] += part_s[lid + k];
#if !PACT
      part_z[lid] += part_z[lid + k];
#endif
    }
    workgroupBarrier();
  }
  if (live && lid == 0u) {
#if PACT
    grad_alpha[c] = part_s[0];
#else
    grad_scale[c] = part_s[0];
    grad_zero_point[c] = part_z[0];
#endif
  }
}
