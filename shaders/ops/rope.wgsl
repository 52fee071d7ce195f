// Rotary position embedding (src/ops/rope.ts) on a contiguous [..., T, D] tensor, D even, rotate-half pairing
// (dimension j pairs with j + D/2, as in GPT-NeoX / Hugging Face Llama). Position of row t is t + pos_offset;
// angle = pos * base^(-2j/D). `sign` = +1 rotates (forward); -1 rotates back (the backward: R^T dy).
//   y[j]       = x[j] cos - x[j + D/2] sin
//   y[j + D/2] = x[j + D/2] cos + x[j] sin
struct Params {
  n: u32,
  T: u32,
  D: u32,
  row_pitch: u32,
  sign: f32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> cs: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
  let half = params.D / 2u;
  let d = i % params.D;
  let row = i - d;
  let t = (i / params.D) % params.T;
  let j = d % half;
  let k = 2u * (t * half + j);
  let c = cs[k];
  let sn = params.sign * cs[k + 1u];
  let x1 = x[row + j];
  let x2 = x[row + j + half];
  if (d < half) {
    y[i] = x1 * c - x2 * sn;
  } else {
    y[i] = x2 * c + x1 * sn;
  }
}
