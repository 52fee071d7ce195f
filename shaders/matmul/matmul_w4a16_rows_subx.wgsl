// The 'rows' path's x loads under SUB_X (included by matmul_w4a16_rows.wgsl, after XW; x_index from matmul_w4a16.wgsl).
// SUB_X (f32 x, bound as f32s): the workgroup's invocations share their rows (m0 from the workgroup), so lane l loads
// x at k + l % 4 (and k + 4 + l % 4) only and takes the word's other values from lanes 0 .. 3 by subgroupBroadcast:
// a quarter of the loads, which SwiftShader gathers lane by lane. The same values: the same bits. (Not for f16 x,
// whose 16-byte loads already bring 8 values: there the broadcasts cost more than the loads they save.)
var<private> lane4: u32;

// Rows r (4, past M the last) of x at the word's k .. k + CPW - 1: row i's word from component i of each broadcast.
struct XW4 {
  r0: XW,
  r1: XW,
  r2: XW,
  r3: XW,
}

// x[m, k] (m < M), zero past K: no branch (SwiftShader would run one per lane under a mask).
fn x_lane(m: u32, k: u32) -> f32 {
  let i = x_index(m, min(k, params.K - 1u));
  return select(x[i], 0.0, k >= params.K);
}

fn load_xw4(r: vec4<u32>, k: u32) -> XW4 {
  let ka = k + lane4;
  let va = vec4<f32>(x_lane(r.x, ka), x_lane(r.y, ka), x_lane(r.z, ka), x_lane(r.w, ka));
  let a0 = subgroupBroadcast(va, 0u);
  let a1 = subgroupBroadcast(va, 1u);
  let a2 = subgroupBroadcast(va, 2u);
  let a3 = subgroupBroadcast(va, 3u);
#if !W8
  let kb = ka + 4u;
  let vb = vec4<f32>(x_lane(r.x, kb), x_lane(r.y, kb), x_lane(r.z, kb), x_lane(r.w, kb));
  let b0 = subgroupBroadcast(vb, 0u);
  let b1 = subgroupBroadcast(vb, 1u);
  let b2 = subgroupBroadcast(vb, 2u);
  let b3 = subgroupBroadcast(vb, 3u);
#endif
#if W8
  return XW4(XW(vec4<f32>(a0.x, a1.x, a2.x, a3.x)), XW(vec4<f32>(a0.y, a1.y, a2.y, a3.y)), XW(vec4<f32>(a0.z, a1.z, a2.z, a3.z)), XW(vec4<f32>(a0.w, a1.w, a2.w, a3.w)));
#else
  return XW4(XW(vec4<f32>(a0.x, a1.x, a2.x, a3.x), vec4<f32>(b0.x, b1.x, b2.x, b3.x)), XW(vec4<f32>(a0.y, a1.y, a2.y, a3.y), vec4<f32>(b0.y, b1.y, b2.y, b3.y)),
    XW(vec4<f32>(a0.z, a1.z, a2.z, a3.z), vec4<f32>(b0.z, b1.z, b2.z, b3.z)), XW(vec4<f32>(a0.w, a1.w, a2.w, a3.w), vec4<f32>(b0.w, b1.w, b2.w, b3.w)));
#endif
}

// One row (blocks of 1 row, decode): one element a lane and four broadcasts of a scalar per half word.
fn load_xw1(m: u32, k: u32) -> XW {
  let ka = k + lane4;
  let va = x_lane(m, ka);
#if W8
  return XW(vec4<f32>(subgroupBroadcast(va, 0u), subgroupBroadcast(va, 1u), subgroupBroadcast(va, 2u), subgroupBroadcast(va, 3u)));
#else
  let vb = x_lane(m, ka + 4u);
  return XW(vec4<f32>(subgroupBroadcast(va, 0u), subgroupBroadcast(va, 1u), subgroupBroadcast(va, 2u), subgroupBroadcast(va, 3u)),
    vec4<f32>(subgroupBroadcast(vb, 0u), subgroupBroadcast(vb, 1u), subgroupBroadcast(vb, 2u), subgroupBroadcast(vb, 3u)));
#endif
}
