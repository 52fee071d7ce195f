// Fills y[0..n) with one u32 value. The quantize kernel ORs its codes and f16 scale halves into zeroed words with
// atomics; inside a graph (one compute pass, pooled buffers that hold old data) this clears them first.
struct Params {
  n: u32,
  value: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> y: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i < params.n) {
    y[i] = params.value;
  }
}
