// Fake-quant forward, the numerics of PyTorch's fake_quantize_per_tensor_affine / _per_channel_affine:
//   q = round(x * inv_s) + z (round half to even, inv_s = the correctly rounded f32 reciprocal of s)
//   y = (clamp(q, qmin, qmax) - z) * s
// Each invocation handles ELEMS consecutive elements (the grid may be 2-D: row_pitch), computing the reciprocal
// once per run of elements that share a scale: ELEMS > 1 pays on CPU adapters, GPUs want 1 (coalesced loads). Granularity is only in the scale index (see
// fake_quant_common.wgsl): per tensor, per channel, per group along K, per token all run this one kernel.
//   PACT: learnable clip alpha (per scale index) instead of scale/zero point: s = alpha / qmax, z = 0, qmin = 0.
//   CODES: also write the clamped integer codes (what a real quantizer stores, before any unsigned offset).
//   MIDRISE: levels halfway between the integers (symmetric weights; the zero point is not read):
//            q = clamp(floor(x * inv_s), qmin, qmax), y = (q + 0.5) * s.
#include "quant/fake_quant_common.wgsl"

struct Params {
  numel: u32,
  inner: u32,
  channels: u32,
  row_pitch: u32, // invocations per grid row = workgroups.x * WG
  qmin: f32,
  qmax: f32,
}

override WG: u32 = 64;
override ELEMS: u32 = 1;

@group(0) @binding(0) var<storage, read> x: array<f32>;
#if PACT
@group(0) @binding(1) var<storage, read> alpha: array<f32>;
#else
@group(0) @binding(1) var<storage, read> scale: array<f32>;
@group(0) @binding(2) var<storage, read> zero_point: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#if CODES
@group(0) @binding(4) var<storage, read_write> codes: array<i32>;
#endif
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
  var s = 1.0;
  var z = 0.0;
  var inv_s = 1.0;
  for (var e = 0u; e < ELEMS; e = e + 1u) {
    let i = base + e;
    if (i >= params.numel) {
      break;
    }
    if (c != last) {
      last = c;
#if PACT
      s = div_rn(alpha[c], qmax);
      z = 0.0;
#else
      s = scale[c];
      z = rounded_zero_point(zero_point[c], qmin, qmax);
#endif
      inv_s = div_rn(1.0, s);
    }
    let q = fq_code(x[i], inv_s, z, qmin, qmax);
    y[i] = fq_level(q, s, z);
#if CODES
    codes[i] = i32(q);
#endif
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
