// Elementwise f32 ops on flat arrays of n elements. One invocation per element; the grid may be 2-D
// (x, y) when n exceeds 65535 workgroups, so the linear index uses the dispatch's row pitch.
//   OP_ADD: y = a + b      OP_MUL: y = a * b      OP_SCALE: y = a * params.alpha
//   OP_AXPY: y = y + params.alpha * a (in place: gradient accumulation, src/train/optimizer.ts)
struct Params {
  n: u32,
  row_pitch: u32, // invocations per grid row = workgroups.x * WG
  alpha: f32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> a: array<f32>;
#if !OP_SCALE
#if !OP_AXPY
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
#endif
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
#if OP_ADD
  y[i] = a[i] + b[i];
#elif OP_MUL
  y[i] = a[i] * b[i];
#elif OP_SCALE
  y[i] = a[i] * params.alpha;
#elif OP_AXPY
  y[i] = y[i] + params.alpha * a[i];
#endif
}
