// Straight-through backward of the GGUF fake-quant (src/ops/fake_quant_gguf.ts) of a weight [N, K], K % 32 == 0:
//   grad_x = grad_y where ggml's unclamped code lies inside the code range, else 0.
// One invocation per block of 32 (a row's group along K). The block's d and 1/d are recomputed exactly as
// shaders/quant/quantize.wgsl does for rules q4_0 / q8_0 (ggml: codes from the f32 d, not the stored f16 d):
//   Q4_0  d = m / -8 (m: the first value of largest |x|); raw = trunc(x * (1/d) + 8.5);  inside: 0 <= raw <= 15
//   Q8_0  d = max|x| / 127;                               raw = round_half_away(x * (1/d)); inside: -128 <= raw <= 127
// (Q4_0 clamps raw = 16 for values of the sign opposite to m near |m|; Q8_0 never clamps by construction.)
// A block holding NaN/Inf gets zero gradients (its forward is NaN: fake_quant_gguf_nan.wgsl).
#include "quant/numerics.wgsl"

struct Params {
  blocks: u32,      // N * K / 32
  q8: u32,          // 0: Q4_0, 1: Q8_0
  row_pitch: u32,
  zero: u32,        // always 0 (see rounded())
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> grad_y: array<f32>;
@group(0) @binding(2) var<storage, read_write> grad_x: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * params.row_pitch + gid.x;
  if (t >= params.blocks) {
    return;
  }
  let base = t * 32u;
  var amax = 0.0;
  var first = 0.0;
  var finite = true;
  for (var i = 0u; i < 32u; i = i + 1u) {
    let v = ftz(x[base + i]);
    finite = finite && is_finite_f32(v);
    let a = abs(v);
    if (amax < a) {
      amax = a;
      first = v;
    }
  }
  if (!finite) {
    for (var i = 0u; i < 32u; i = i + 1u) {
      grad_x[base + i] = 0.0;
    }
    return;
  }
  let q8 = params.q8 != 0u;
  // d, then 1/d, through one div_rn call site (each site is inlined; one compiles much faster).
  var a = first;
  var dv = -8.0;
  if (q8) {
    a = amax;
    dv = 127.0;
  }
  var mul = 0.0;
  for (var step = 0u; step < 2u; step = step + 1u) {
    let qv = div_rn(a, dv);
    if (step == 0u) {
      let d = ftz(qv);
      if (d == 0.0) {
        break;
      }
      a = 1.0;
      dv = d;
    } else {
      mul = qv;
    }
  }
  for (var i = 0u; i < 32u; i = i + 1u) {
    let v = ftz(x[base + i]);
    var inside = false;
    if (q8) {
      let raw = i32(round_away(v * mul));
      inside = raw >= -128 && raw <= 127;
    } else {
      let raw = i32(trunc(rounded(v * mul, params.zero) + 8.5));
      inside = raw >= 0 && raw <= 15;
    }
    grad_x[base + i] = select(0.0, grad_y[base + i], inside);
  }
}
