// Index of the largest element of each row of x [rows, cols] (src/kernels/lm.ts planArgmaxRows): greedy sampling
// over a vocabulary of up to 256k logits. One workgroup per row; each invocation scans a strided share of the row,
// then a tree reduction in workgroup memory. Ties go to the lowest index; NaN never wins; a row of NaN only gives
// `cols` (the caller reports it).
// Comparisons run on u32 keys, not floats, so that NaN and infinities behave the same on every compiler: a float's
// bits mapped to an order-preserving u32 (negatives flipped whole, positives get the sign bit), -0 counted as +0,
// NaN -> 0, below every number (-inf included).
struct Params {
  rows: u32,
  cols: u32,
  row_pitch: u32, // workgroups per grid row
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let r = wid.y * params.row_pitch + wid.x;
  if (r >= params.rows) {
    return; // uniform: the whole workgroup leaves
  }
  let base = r * params.cols;
  var best_key = 0u;
  var best_idx = params.cols;
  for (var c = lid; c < params.cols; c += WG) {
    let k = order_key(x[base + c]);
    if (k > best_key) { // strict: the lower index of this invocation's share wins a tie
      best_key = k;
      best_idx = c;
    }
  }
  red_key[lid] = best_key;
  red_idx[lid] = best_idx;
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
  if (lid == 0u) {
    out[r] = red_idx[0];
  }
}
