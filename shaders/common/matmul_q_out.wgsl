// The output side shared by the quantized matmuls (matmul_w4a16 / w8a16 and matmul_w8a8): the bias (4), residual (5),
// y (6) and params (7) bindings, the fused epilogue, and scale_at() over `scales` (f32, or f16 pairs, low half first,
// under SCALES_F16), which the including kernel declares at its own binding. Needs the kernel's `Params` struct.
#if BIAS
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#if RESIDUAL
@group(0) @binding(5) var<storage, read> residual: array<f32>;
#endif
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

#include "common/matmul_epilogue.wgsl"

fn scale_at(i: u32) -> f32 {
#if SCALES_F16
  return unpack2x16float(scales[i >> 1u])[i & 1u];
#else
  return scales[i];
#endif
}
