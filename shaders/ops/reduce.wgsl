// Sum over axes (src/ops/reduce.ts): y[o] = alpha * sum_r x[off + kept(o) + red(r)]. x is read through strides
// (views and broadcast gradients cost no copy); kept dims (rank <= 8) map the contiguous output index o, reduced
// dims (rank <= 8) enumerate r < count. Two shapes, picked per adapter (Tuning.rowReduce):
//   default: one invocation per output, summed in f32 in order, no workgroup memory (what CPU adapters reward);
//   WG_ROW:  one workgroup per output (row_pitch then counts workgroups per grid row): WG strided partial sums
//            and a workgroup-memory tree (what GPUs want for long reductions).
struct Params {
  n: u32,
  row_pitch: u32,
  off: u32,
  kept_rank: u32,
  red_rank: u32,
  count: u32,
  alpha: f32,
  kshape0: vec4<u32>,
  kshape1: vec4<u32>,
  kstride0: vec4<u32>,
  kstride1: vec4<u32>,
  rshape0: vec4<u32>,
  rshape1: vec4<u32>,
  rstride0: vec4<u32>,
  rstride1: vec4<u32>,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn base_of(o: u32) -> u32 {
  let ks = array<u32, 8>(params.kshape0.x, params.kshape0.y, params.kshape0.z, params.kshape0.w, params.kshape1.x, params.kshape1.y, params.kshape1.z, params.kshape1.w);
  let kt = array<u32, 8>(params.kstride0.x, params.kstride0.y, params.kstride0.z, params.kstride0.w, params.kstride1.x, params.kstride1.y, params.kstride1.z, params.kstride1.w);
  var rem = o;
  var base = params.off;
  for (var d = i32(params.kept_rank) - 1; d >= 0; d--) {
    base += (rem % ks[d]) * kt[d];
    rem = rem / ks[d];
  }
  return base;
}

fn at_of(r: u32) -> u32 {
  let rs = array<u32, 8>(params.rshape0.x, params.rshape0.y, params.rshape0.z, params.rshape0.w, params.rshape1.x, params.rshape1.y, params.rshape1.z, params.rshape1.w);
  let rt = array<u32, 8>(params.rstride0.x, params.rstride0.y, params.rstride0.z, params.rstride0.w, params.rstride1.x, params.rstride1.y, params.rstride1.z, params.rstride1.w);
  var q = r;
  var at = 0u;
  for (var d = i32(params.red_rank) - 1; d >= 0; d--) {
    at += (q % rs[d]) * rt[d];
    q = q / rs[d];
  }
  return at;
}

#if WG_ROW
var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let o = wid.y * params.row_pitch + wid.x;
  // `o` is uniform across the workgroup, so every invocation reaches the barriers.
  let live = o < params.n;
  var acc = 0.0;
  if (live) {
    let base = base_of(o);
    for (var r = lid; r < params.count; r += WG) {
      acc += x[base + at_of(r)];
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
    y[o] = params.alpha * partial[0];
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = gid.y * params.row_pitch + gid.x;
  if (o >= params.n) {
    return;
  }
  let base = base_of(o);
  var acc = 0.0;
  for (var r = 0u; r < params.count; r++) {
    acc += x[base + at_of(r)];
  }
  y[o] = params.alpha * acc;
}
#endif
