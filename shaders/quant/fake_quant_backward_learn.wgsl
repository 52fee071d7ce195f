// Fake-quant backward with learnable quantizer parameters, fused with their per-scale reduction.
// The elements that use scale c are (o, c, j) = (o * channels + c) * inner + j of the [outer, channels, inner] view.
// Two shapes (chosen per adapter and size, src/kernels/tuning.ts):
//   default: one workgroup per scale index (the grid may be 2-D: grid_x); its WG invocations stride over the
//            elements of c, write grad_x, sum the contributions in f32, then a workgroup tree reduction (GPUs).
//   SERIAL:  one invocation per scale index summing its elements in order; no workgroup memory or barriers
//            (CPU adapters, and small groups anywhere).
//
// Default (LSQ / LSQ+), PyTorch's _fake_quantize_learnable_per_channel_affine backward at grad_factor g
// (ATen's fake-quant learnable-grad kernels, CUDA/XPU alike), with z the zero point rounded half to even and
// clamped to [qmin, qmax] (ATen's _get_rounded_zero_point):
//   q = round(x * inv_s) + z
//   inside (qmin <= q <= qmax): grad_x = dy, d_scale = dy * (xfq - x) * inv_s * g  (xfq = (q - z) * s, so this is
//                               round(x/s) - x/s),  d_zero = 0
//   below (q < qmin):           grad_x = 0,  d_scale = dy * (qmin - z) * g,  d_zero = -dy * s * g
//   above (q > qmax):           grad_x = 0,  d_scale = dy * (qmax - z) * g,  d_zero = -dy * s * g
// grad_scale[c] and grad_zero_point[c] are the sums over the elements of scale c (ATen sums over all axes but
// the channel axis). Per tensor is this with one channel. ATen's own per-tensor learnable backward differs in one
// corner: its backward takes the zero point as trunc(clamp(z + 0.5)) (_get_zero_point_from_tensor, is_forward =
// false), which equals the forward's for integer z >= 0 but is one higher for negative z; we follow the
// per-channel op, whose forward and backward agree.
// MIDRISE (LSQ on fake_quant.wgsl's midrise grid): q = floor(x * inv_s), levels (q + 0.5) * s, so the formulas
// above with z = -0.5 (inside: d_scale = dy * ((q + 0.5) - x / s) * g; outside: dy * (qmin|qmax + 0.5) * g; no
// zero-point gradient).
// PACT: learnable clip alpha, s = alpha / qmax, z = 0, qmin = 0 (Choi et al. 2018, with the STE):
//   grad_x = dy where 0 <= x < alpha, else 0;  grad_alpha[c] = sum of dy where x >= alpha.
#include "quant/fake_quant_common.wgsl"

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  grid_x: u32, // SERIAL: invocations per grid row; else workgroups along x
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

struct Quantizer {
  s: f32,     // scale (PACT: alpha)
  inv_s: f32,
  z: f32,
}

fn quantizer(c: u32) -> Quantizer {
#if PACT
  return Quantizer(alpha[c], 0.0, 0.0);
#else
  let s = scale[c];
#if MIDRISE
  return Quantizer(s, div_rn(1.0, s), -0.5);
#else
  return Quantizer(s, div_rn(1.0, s), rounded_zero_point(zero_point[c], params.qmin, params.qmax));
#endif
#endif
}

// The zero point's gradient term (midrise: none, its grid has no zero point).
fn zero_grad(v: f32) -> f32 {
#if MIDRISE
  return 0.0;
#else
  return v;
#endif
}

// Element t (0 <= t < outer * inner) of scale c: writes grad_x and returns its (scale, zero point) contributions.
fn element(c: u32, t: u32, k: Quantizer) -> vec2<f32> {
  let o = t / params.inner;
  let i = (o * params.channels + c) * params.inner + (t - o * params.inner);
  let xi = x[i];
  let dy = grad_y[i];
#if PACT
  grad_x[i] = select(0.0, dy, xi >= 0.0 && xi < k.s);
  return vec2<f32>(select(0.0, dy, xi >= k.s), 0.0);
#else
  let g = params.grad_factor;
  let q = fq_raw_code(xi, k.inv_s, k.z);
  // Outside the range grad_x is dy * 0 as ATen computes it (mask * dy): a zero with dy's sign, bit for bit.
  if (q < params.qmin) {
    grad_x[i] = signed_zero(dy);
    return vec2<f32>(dy * (params.qmin - k.z) * g, zero_grad(-dy * k.s * g));
  }
  if (q > params.qmax) {
    grad_x[i] = signed_zero(dy);
    return vec2<f32>(dy * (params.qmax - k.z) * g, zero_grad(-dy * k.s * g));
  }
  grad_x[i] = dy;
  let xfq = (q - k.z) * k.s;
  return vec2<f32>(dy * (xfq - xi) * k.inv_s * g, 0.0);
#endif
}

fn store(c: u32, acc: vec2<f32>) {
#if PACT
  grad_alpha[c] = acc.x;
#else
  grad_scale[c] = acc.x;
  grad_zero_point[c] = acc.y;
#endif
}

#if SERIAL
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.y * params.grid_x + gid.x;
  if (c >= params.channels) {
    return;
  }
  let k = quantizer(c);
  var acc = vec2<f32>(0.0, 0.0);
  for (var t = 0u; t < params.outer * params.inner; t = t + 1u) {
    acc += element(c, t, k);
  }
  store(c, acc);
}
#else
var<workgroup> part: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * params.grid_x + wid.x;
  // `c` is uniform across the workgroup, so every invocation reaches the barriers below.
  var acc = vec2<f32>(0.0, 0.0);
  if (c < params.channels) {
    let k = quantizer(c);
    for (var t = lid; t < params.outer * params.inner; t += WG) {
      acc += element(c, t, k);
    }
  }
  part[lid] = acc;
  workgroupBarrier();
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    if (lid < h) {
      part[lid] += part[lid + h];
    }
    workgroupBarrier();
  }
  if (c < params.channels && lid == 0u) {
    store(c, part[0]);
  }
}
#endif
