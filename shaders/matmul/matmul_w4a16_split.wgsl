// matmul_w4a16.wgsl's 'split' path (PATH_SPLIT): a GEMV with K split over a workgroup, reduced by subgroups
// (SUBGROUPS) or a workgroup tree. Included by matmul_w4a16.wgsl, whose bindings, decoding and epilogue it uses.
#if SUBGROUPS
var<workgroup> part: array<f32, WG * MAXM>; // [subgroup slot][m]
var<workgroup> slots: atomic<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
var<workgroup> part: array<f32, WG * MAXM>; // [m][invocation]

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#endif
  let n = wid.y * params.grid_x + wid.x;
  if (n >= params.N) {
    return;
  }
  let cnt = params.M;
  var acc: array<f32, MAXM>;
  let iters = (params.wpr + WG - 1u) / WG;
  for (var it = 0u; it < iters; it++) {
    let wi = it * WG + lid;
    if (wi < params.wpr) {
      word_dot(n, wi, 0u, cnt, &acc);
    }
  }
#if SUBGROUPS
  // One slot per subgroup, taken from a counter (no assumption on how invocations map to subgroups).
  var sums: array<f32, MAXM>;
  for (var j = 0u; j < MAXM; j++) {
    sums[j] = subgroupAdd(acc[j]);
  }
  if (lane == 0u) {
    let slot = atomicAdd(&slots, 1u);
    for (var j = 0u; j < MAXM; j++) {
      part[slot * MAXM + j] = sums[j];
    }
  }
  workgroupBarrier();
  let used = atomicLoad(&slots);
  if (lid < cnt) {
    var t = 0.0;
    for (var sl = 0u; sl < used; sl++) {
      t += part[sl * MAXM + lid];
    }
    epilogue(lid, n, t);
  }
#else
  for (var j = 0u; j < MAXM; j++) {
    part[j * WG + lid] = acc[j];
  }
  for (var h = WG / 2u; h > 0u; h >>= 1u) {
    workgroupBarrier();
    if (lid < h) {
      for (var j = 0u; j < cnt; j++) {
        part[j * WG + lid] += part[j * WG + lid + h];
      }
    }
  }
  workgroupBarrier();
  if (lid < cnt) {
    epilogue(lid, n, part[lid * WG]);
  }
#endif
}
