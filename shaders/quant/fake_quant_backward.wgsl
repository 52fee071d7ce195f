// Fake-quant backward, straight-through estimator with the clip mask (PyTorch's fake_quantize_*_backward):
//   grad_x = grad_y where qmin <= round(x * inv_s) + z <= qmax, else 0.
// One invocation per element; scale and zero point are constants here (no gradient). The learnable variants
// (LSQ / LSQ+ / PACT), which also reduce gradients per scale, are fake_quant_backward_learn.wgsl.
#include "quant/fake_quant_common.wgsl"

struct Params {
  numel: u32,
  inner: u32,
  channels: u32,
  row_pitch: u32,
  qmin: f32,
  qmax: f32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> grad_y: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero_point: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.numel) {
    return;
  }
  let c = (i / params.inner) % params.channels;
  let z = rounded_zero_point(zero_point[c], params.qmin, params.qmax);
  let q = round(x[i] * div_rn(1.0, scale[c])) + z;
  grad_x[i] = select(0.0, grad_y[i], q >= params.qmin && q <= params.qmax);
}
