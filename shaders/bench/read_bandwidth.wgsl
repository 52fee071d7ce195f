// Read-bandwidth probe: the adapter's ceiling for a kernel that only streams memory in. Each of the
// `threads` invocations sums a grid-strided slice of x (vec4 loads) and writes one f32, so the work is
// all reads; the sums keep the compiler from dropping the loads and let the harness check the output.
struct Params {
  n_vec4: u32,   // elements of x (vec4<f32>)
  threads: u32,  // total invocations = workgroups.x * WG
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= params.threads) {
    return;
  }
  var acc = vec4<f32>(0.0);
  for (var i = t; i < params.n_vec4; i += params.threads) {
    acc += x[i];
  }
  y[t] = (acc.x + acc.y) + (acc.z + acc.w);
}
