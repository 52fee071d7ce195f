// Fake-quant backward, straight-through estimator with the clip mask (PyTorch's fake_quantize_*_backward):
//   grad_x = grad_y where qmin <= round(x * inv_s) + z <= qmax, else 0.
// ELEMS consecutive elements per invocation, as fake_quant.wgsl; scale and zero point are constants here (no gradient). The learnable variants
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
override ELEMS: u32 = 1;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> grad_y: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> zero_point: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let range = code_range();
  let qmin = range.x;
  let qmax = range.y;
  let base = (gid.y * params.row_pitch + gid.x) * ELEMS;
  // Scale index of `base`, then stepped without divisions: j counts along `inner`, c wraps at `channels`.
  var j = base % params.inner;
  var c = (base / params.inner) % params.channels;
  var last = 0xffffffffu;
  var z = 0.0;
  var inv_s = 1.0;
  for (var e = 0u; e < ELEMS; e = e + 1u) {
    let i = base + e;
    if (i >= params.numel) {
      break;
    }
    if (c != last) {
      last = c;
      z = rounded_zero_point(zero_point[c], qmin, qmax);
      inv_s = div_rn(1.0, scale[c]);
    }
    let q = fq_raw_code(x[i], inv_s, z);
    // ATen's dY * mask: outside the range a zero with dy's sign.
    let dy = grad_y[i];
    grad_x[i] = select(signed_zero(dy), dy, q >= qmin && q <= qmax);
    j = j + 1u;
    if (j == params.inner) {
      j = 0u;
      c = c + 1u;
      if (c == params.channels) {
        c = 0u;
      }
    }
  }
}
