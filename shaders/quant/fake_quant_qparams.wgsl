// Dynamic quantizer parameters from the data per scale index c (same [outer, channels, inner] view as the other
// fake_quant kernels; per token = channels are rows, inner = K): min, max and sum |x| over the elements of c, then
// scale[c] and zero_point[c]. Default: one workgroup per c with a tree reduction (GPUs); SERIAL: one invocation
// per c, no barriers (CPU adapters, small groups). The rules:
//   ASYM (torchao's _choose_qparams_per_token_asymmetric, the 8da4w activations, after XNNPACK's
//   xnn_f32_qd8_asymmetric_quantization_params; generalised from [-128, 127] to [qmin, qmax]):
//     mn = min(min x, 0), mx = max(max x, 0), s = max((mx - mn) / (qmax - qmin), eps)   (eps = 2^-23)
//     dmin = mn / s, dmax = mx / s
//     z = (qmin + dmin) + (qmax + dmax) > 0 ? qmin - dmin : qmax - dmax;  z = round(clamp(z, qmin, qmax))
//   SYM (torchao choose_qparams_affine, MappingType.SYMMETRIC):
//     s = max(max(-mn, mx) / ((qmax - qmin) / 2), eps), z = trunc((qmax + qmin + 1) / 2)
//   LSQ (Esser et al. 2020, initial step size): s = 2 * mean|x| / sqrt(qmax), z = 0
// Every f32 division is correctly rounded (div_rn), as PyTorch's, so ASYM / SYM match the CPU reference exactly.
// APPLY (with SERIAL): the invocation then fake-quantizes its scale index's elements into y with the s and z it
// wrote, fake_quant.wgsl's arithmetic (and its MIDRISE grid) operation for operation: the forward in one dispatch
// instead of two, the same bits (a weight's groups of 32 on CPU adapters; src/kernels/fake_quant.ts decides).
#include "quant/fake_quant_common.wgsl"
#include "quant/fake_quant_rule.wgsl"

struct Params {
  outer: u32,
  channels: u32,
  inner: u32,
  grid_x: u32,
  qmin: f32,
  qmax: f32,
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> zero_point: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
#if APPLY
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
#endif

// Where element t of scale index c lies in x (and y).
fn index(c: u32, t: u32) -> u32 {
  let o = t / params.inner;
  return (o * params.channels + c) * params.inner + (t - o * params.inner);
}

fn value(c: u32, t: u32) -> f32 {
  return x[index(c, t)];
}

#if APPLY
// fake_quant.wgsl's forward over scale index c's elements, from the scale and zero point just written.
fn apply(c: u32, count: u32) {
  let range = code_range();
  let qmin = range.x;
  let qmax = range.y;
  let s = scale[c];
  let z = rounded_zero_point(zero_point[c], qmin, qmax);
  let inv_s = div_rn(1.0, s);
  for (var t = 0u; t < count; t = t + 1u) {
    let i = index(c, t);
    y[i] = fq_level(fq_code(x[i], inv_s, z, qmin, qmax), s, z);
  }
}
#endif

#if SERIAL
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.y * params.grid_x + gid.x;
  if (c >= params.channels) {
    return;
  }
  let count = params.outer * params.inner;
  var lo = 0.0; // min(., 0) and max(., 0) are applied anyway, so 0 is a neutral start
  var hi = 0.0;
  var ab = 0.0;
  for (var t = 0u; t < count; t = t + 1u) {
    let v = value(c, t);
    lo = min(lo, v);
    hi = max(hi, v);
    ab += abs(v);
  }
  finish(c, lo, hi, ab, count);
#if APPLY
  apply(c, count);
#endif
}
#else
var<workgroup> w_min: array<f32, WG>;
var<workgroup> w_max: array<f32, WG>;
var<workgroup> w_abs: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.y * params.grid_x + wid.x;
  let live = c < params.channels;
  let count = params.outer * params.inner;
  var mn = 0.0;
  var mx = 0.0;
  var ab = 0.0;
  if (live) {
    for (var t = lid; t < count; t += WG) {
      let v = value(c, t);
      mn = min(mn, v);
      mx = max(mx, v);
      ab += abs(v);
    }
  }
  w_min[lid] = mn;
  w_max[lid] = mx;
  w_abs[lid] = ab;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) {
      w_min[lid] = min(w_min[lid], w_min[lid + k]);
      w_max[lid] = max(w_max[lid], w_max[lid + k]);
      w_abs[lid] += w_abs[lid + k];
    }
    workgroupBarrier();
  }
  if (live && lid == 0u) {
    finish(c, w_min[0], w_max[0], w_abs[0], count);
  }
}
#endif

fn finish(c: u32, lo: f32, hi: f32, abs_sum: f32, count: u32) {
  let range = code_range();
  let sz = qparams_rule(lo, hi, abs_sum, count, range.x, range.y);
  scale[c] = sz.x;
  zero_point[c] = sz.y;
}
