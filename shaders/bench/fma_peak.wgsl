// f32 arithmetic probe: the adapter's ceiling for a kernel that only multiplies and adds (issue 19's "measured f32
// peak"). Each of the `threads` invocations runs `iters` steps of 8 independent vec4 chains, acc_j = fma(acc_j, m, c),
// 64 FLOPs a step (32 fused multiply-adds), with no memory traffic but one store at the end. m and c come from the
// uniform (the harness passes m = 1, c = 1), so the compiler can neither fold the chains nor drop them, and every
// value stays an exact integer below 2^24: each component ends at its start value + iters, which the harness checks
// exactly. Eight chains give each invocation enough independent work to cover an FMA unit's latency.
struct Params {
  threads: u32, // total invocations = workgroups.x * WG
  iters: u32,   // steps per invocation
  m: f32,       // multiplier (1)
  c: f32,       // addend (1)
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= params.threads) {
    return;
  }
  let m = vec4<f32>(params.m);
  let c = vec4<f32>(params.c);
  // Start values 0 .. 31 (chain j, component k: 4 j + k), so no two chains compute the same thing.
  var a0 = vec4<f32>(0.0, 1.0, 2.0, 3.0);
  var a1 = a0 + 4.0;
  var a2 = a0 + 8.0;
  var a3 = a0 + 12.0;
  var a4 = a0 + 16.0;
  var a5 = a0 + 20.0;
  var a6 = a0 + 24.0;
  var a7 = a0 + 28.0;
  for (var i = 0u; i < params.iters; i++) {
    a0 = fma(a0, m, c);
    a1 = fma(a1, m, c);
    a2 = fma(a2, m, c);
    a3 = fma(a3, m, c);
    a4 = fma(a4, m, c);
    a5 = fma(a5, m, c);
    a6 = fma(a6, m, c);
    a7 = fma(a7, m, c);
  }
  let s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
  y[t] = (s.x + s.y) + (s.z + s.w);
}
