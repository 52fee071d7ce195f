// Picking the largest of many floats by a workgroup (included by lm/argmax_rows.wgsl and lm/top_k_rows.wgsl, which
// declare `override WG`, a power of two). Comparisons run on u32 keys, not floats, so that NaN and infinities behave
// the same on every compiler: a float's bits mapped to an order-preserving u32 (negatives flipped whole, positives
// get the sign bit), -0 counted as +0, NaN -> 0, below every number (-inf included).
var<workgroup> red_key: array<u32, WG>;
var<workgroup> red_idx: array<u32, WG>;

fn order_key(v: f32) -> u32 {
  let bits = bitcast<u32>(v);
  let mag = bits & 0x7fffffffu;
  if (mag > 0x7f800000u) {
    return 0u; // NaN
  }
  if (mag == 0u) {
    return 0x80000000u; // -0 ties with +0
  }
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

// Tree reduction of the (key, index) pairs each invocation wrote to red_key / red_idx[lid]: the larger key wins, then
// the lower index; the winner ends in red_*[0], readable by every invocation after this returns.
fn reduce_best(lid: u32) {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      let ok = red_key[lid + s];
      let oi = red_idx[lid + s];
      let mk = red_key[lid];
      if (ok > mk || (ok == mk && oi < red_idx[lid])) {
        red_key[lid] = ok;
        red_idx[lid] = oi;
      }
    }
    workgroupBarrier();
  }
}
