// Fake-quant forward of two or three weights (T3) in one dispatch: the QAT forward of a layer's weights, which would
// each take a dispatch (fake_quant.wgsl with given scales, fake_quant_qparams.wgsl's APPLY with dynamic ones).
// Every tensor is quantized per group of `inner` consecutive elements (scale index c holds elements c * inner ..
// c * inner + inner - 1: a weight [N, K] in groups along K), one invocation a scale index, invocations laid out
// tensor after tensor (tensor s from invocation first[s]). The bindings of tensor s are 4 s .. 4 s + 3:
//   x_s (read), scale_s and zero_point_s (read; with DYNAMIC written), y_s.
// DYNAMIC (ASYM, SYM or LSQ, fake_quant_rule.wgsl): the invocation finds its scale and zero point from its elements
//   in element order, as fake_quant_qparams.wgsl's SERIAL reduction does, stores them, then applies them.
// Else the given scale and zero point (LSQ's learned ones, or static scales). Either way each element gets
// fake_quant.wgsl's arithmetic (the correctly rounded reciprocal of the scale, the rounded zero point, MIDRISE's
// grid) operation for operation: the same bits as one dispatch a tensor.
#include "quant/fake_quant_common.wgsl"
#if DYNAMIC
#include "quant/fake_quant_rule.wgsl"
#endif

struct Params {
  channels: vec4<u32>, // scale indices of each tensor (slots past the last: 0)
  first: vec4<u32>, // first invocation of each tensor (slots past the last: past every invocation)
  inner: u32, // elements a scale index covers
  grid_x: u32, // invocations per grid row
  qmin: f32,
  qmax: f32,
}

override WG: u32 = 64;

@group(0) @binding(12) var<uniform> params: Params;

#include "quant/fake_quant_multi_segment.wgsl" S=0 BX=0 BS=1 BZ=2 BY=3
#include "quant/fake_quant_multi_segment.wgsl" S=1 BX=4 BS=5 BZ=6 BY=7
#if T3
#include "quant/fake_quant_multi_segment.wgsl" S=2 BX=8 BS=9 BZ=10 BY=11
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.grid_x + gid.x;
  if (i < params.first.y) {
    run0(i);
#if T3
  } else if (i >= params.first.z) {
    run2(i - params.first.z);
#endif
  } else {
    run1(i - params.first.y);
  }
}
