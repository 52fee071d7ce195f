// The segment a workgroup of the flat optimizer kernels works on (grad_norm_flat.wgsl, adamw_flat.wgsl): the last
// of `segs` (a storage array of structs with a `first` workgroup field, segs[0].first = 0, ascending) whose first
// workgroup is at or before w, by binary search over `count` segments.
fn segment_of(w: u32, count: u32) -> u32 {
  var lo = 0u;
  var hi = count;
  while (hi - lo > 1u) {
    let mid = (lo + hi) / 2u;
    if (segs[mid].first <= w) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}
