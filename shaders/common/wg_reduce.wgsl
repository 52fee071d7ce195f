// Workgroup-wide sum / max through workgroup memory (included after `override WG: u32`, a power of two).
// Call from uniform control flow: every invocation of the workgroup must reach it.
var<workgroup> wg_red: array<f32, WG>;

fn wg_reduce(v: f32, lid: u32, take_max: bool) -> f32 {
  wg_red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      wg_red[lid] = select(wg_red[lid] + wg_red[lid + s], max(wg_red[lid], wg_red[lid + s]), take_max);
    }
    workgroupBarrier();
  }
  let r = wg_red[0];
  workgroupBarrier();
  return r;
}
