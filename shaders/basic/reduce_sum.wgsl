// Row sums: y[r] = sum_c x[r * cols + c]. One workgroup per row (rows may span a 2-D grid); each invocation
// accumulates a strided slice in f32, then a workgroup-memory tree reduction combines the WG partial sums.
struct Params {
  rows: u32,
  cols: u32,
  grid_x: u32, // workgroups along x
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.y * params.grid_x + wid.x;
  // `row` is uniform across the workgroup, so every invocation reaches the barriers below.
  let live = row < params.rows;
  var acc = 0.0;
  if (live) {
    let base = row * params.cols;
    for (var c = lid; c < params.cols; c += WG) {
      acc += x[base + c];
    }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial[lid] += partial[lid + s];
    }
    workgroupBarrier();
  }
  if (live && lid == 0u) {
    y[row] = partial[0];
  }
}
