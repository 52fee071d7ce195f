// GGUF fake-quant forward, last step: a block of 32 weights holding NaN/Inf gets y = NaN for the whole block.
// The quantizer skips such a block (its codes and scale stay zero), so without this a NaN master weight would
// train silently as zeros; with it the loss turns NaN and training stops naming the step (src/mlp/trainer.ts).
#include "quant/numerics.wgsl"

struct Params {
  blocks: u32,      // N * K / 32
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;   // f32 values, written as bits (a NaN constant is not a valid f32 expression)
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.y * params.row_pitch + gid.x;
  if (t >= params.blocks) {
    return;
  }
  let base = t * 32u;
  var finite = true;
  for (var i = 0u; i < 32u; i = i + 1u) {
    finite = finite && is_finite_f32(x[base + i]);
  }
  if (!finite) {
    for (var i = 0u; i < 32u; i = i + 1u) {
      y[base + i] = 0x7fc00000u;   // quiet NaN
    }
  }
}
