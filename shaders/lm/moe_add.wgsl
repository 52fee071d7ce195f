// An expert's output added by its router weight (src/kernels/moe_route.ts planMoeAdd; reference src/ref/moe_route.ts
// moeAddRef): y[t, i] = acc[t, i] + w[t, col] * x[t, i] where w[t, col] is not 0, acc[t, i] where it is; with `unit`
// (llama4, whose weight already scaled the expert's input) acc[t, i] + x[t, i] there. A row that
// did not choose the expert adds nothing whatever x holds: the expert's dispatches may not have run this step
// (planMoeDispatch), leaving x as an earlier value of its buffer. One invocation per element.
struct Params {
  rows: u32,
  cols: u32,
  w_cols: u32, // experts
  col: u32, // this expert
  row_pitch: u32, // invocations per grid row
  unit: u32, // 1: x added as it is where the weight is not 0
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> acc: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.rows * params.cols) {
    return;
  }
  let wt = w[(i / params.cols) * params.w_cols + params.col];
  y[i] = select(acc[i], acc[i] + select(wt, 1.0, params.unit != 0u) * x[i], wt != 0.0);
}
