// Gradient clipping by global norm over several tensors (torch.nn.utils.clip_grad_norm_, L2), in three phases:
//   SUMSQ    (one dispatch per tensor): workgroup w writes the sum of squares of its grid-strided share of `grad`
//            to partials[params.offset + w]; each tensor owns its own slice of `partials`.
//   FINALIZE (one workgroup): norm = sqrt(sum of partials[0..count)); coef = min(max_norm / (norm + 1e-6), 1);
//            clip_coef = [norm, coef].
//   SCALE    (one dispatch per tensor): grad *= clip_coef[1]. (Or let sgd.wgsl / adamw.wgsl read clip_coef.)
// PyTorch takes the norm of the per-tensor norms; that is the same quantity summed in another order.
struct Params {
  n: u32,        // SUMSQ / SCALE: elements of this tensor; FINALIZE: number of partials
  offset: u32,   // SUMSQ: first partial of this tensor
  stride: u32,   // SUMSQ: invocations in the whole grid; SCALE: row pitch
  max_norm: f32,
}

override WG: u32 = 64; // a power of two

#if SUMSQ
@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
#elif FINALIZE
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> clip_coef: array<f32>;
#elif SCALE
@group(0) @binding(0) var<storage, read_write> grad: array<f32>;
@group(0) @binding(2) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(3) var<uniform> params: Params;

#if !SCALE
var<workgroup> part: array<f32, WG>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
#if SCALE
  let i = gid.y * params.stride + gid.x;
  if (i < params.n) {
    grad[i] = grad[i] * clip_coef[1];
  }
#else
  var acc = 0.0;
#if SUMSQ
  for (var i = gid.x; i < params.n; i += params.stride) {
    let g = grad[i];
    acc += g * g;
  }
#else
  for (var i = lid; i < params.n; i += WG) {
    acc += partials[i];
  }
#endif
  part[lid] = acc;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    if (lid < k) {
      part[lid] += part[lid + k];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
#if SUMSQ
    partials[params.offset + wid.x] = part[0];
#else
    let norm = sqrt(part[0]);
    clip_coef[0] = norm;
    clip_coef[1] = min(params.max_norm / (norm + 1e-6), 1.0);
#endif
  }
#endif
}
