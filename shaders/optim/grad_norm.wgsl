// Gradient clipping by global norm over several tensors (torch.nn.utils.clip_grad_norm_, L2), in three phases:
//   SUMSQ    (one dispatch per up to eleven tensors, the storage limit less one; G2 .. G11: the dispatch's count,
//            grad .. grad10): tensor t owns the
//            workgroups first[t] .. first[t] + count[t] - 1; its workgroup w writes the sum of squares of its
//            grid-strided share of the tensor to partials[params.offset + w], so each tensor owns its own slice of
//            `partials` (the dispatches' slices follow one another).
//   FINALIZE (one workgroup): norm = sqrt(sum of partials[0..count)); coef = min(max_norm / (norm + 1e-6), 1);
//            clip_coef = [norm, coef].
//   SCALE    (one dispatch per tensor): grad *= clip_coef[1]. (Or let sgd.wgsl / adamw.wgsl read clip_coef.)
// PyTorch takes the norm of the per-tensor norms; that is the same quantity summed in another order.
#if SUMSQ
struct Params {
  n: vec4<u32>,     // elements of each tensor (slots 0-3; n_hi: 4-7; n_hi2: 8-11)
  first: vec4<u32>, // its first workgroup
  count: vec4<u32>, // its workgroups
  n_hi: vec4<u32>,
  first_hi: vec4<u32>,
  count_hi: vec4<u32>,
  n_hi2: vec4<u32>,
  first_hi2: vec4<u32>,
  count_hi2: vec4<u32>,
  offset: u32,      // the first partial of this dispatch
  max_norm: f32,
}

// Tensor t's entry of a field split over three vec4s.
fn pick(lo: vec4<u32>, hi: vec4<u32>, hi2: vec4<u32>, t: u32) -> u32 {
  return select(select(lo[t & 3u], hi[t & 3u], t >= 4u), hi2[t & 3u], t >= 8u);
}
#else
struct Params {
  n: u32,        // SCALE: elements of this tensor; FINALIZE: number of partials
  offset: u32,
  stride: u32,   // SCALE: row pitch
  max_norm: f32,
}
#endif

override WG: u32 = 64; // a power of two

#if SUMSQ
@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
#if G2
@group(0) @binding(4) var<storage, read> grad1: array<f32>;
#endif
#if G3
@group(0) @binding(5) var<storage, read> grad2: array<f32>;
#endif
#if G4
@group(0) @binding(6) var<storage, read> grad3: array<f32>;
#endif
#if G5
@group(0) @binding(7) var<storage, read> grad4: array<f32>;
#endif
#if G6
@group(0) @binding(8) var<storage, read> grad5: array<f32>;
#endif
#if G7
@group(0) @binding(9) var<storage, read> grad6: array<f32>;
#endif
#if G8
@group(0) @binding(10) var<storage, read> grad7: array<f32>;
#endif
#if G9
@group(0) @binding(11) var<storage, read> grad8: array<f32>;
#endif
#if G10
@group(0) @binding(12) var<storage, read> grad9: array<f32>;
#endif
#if G11
@group(0) @binding(13) var<storage, read> grad10: array<f32>;
#endif

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
  let w = wid.x;
  // This workgroup's tensor: the last whose first workgroup is at or before w (unused slots start past every w).
  var t = 0u;
  for (var k = 1u; k < 12u; k++) {
    t = select(t, k, w >= pick(params.first, params.first_hi, params.first_hi2, k));
  }
  let nt = pick(params.n, params.n_hi, params.n_hi2, t);
  let stride = pick(params.count, params.count_hi, params.count_hi2, t) * WG;
  let start = (w - pick(params.first, params.first_hi, params.first_hi2, t)) * WG + lid;
  // A loop per tensor, only this workgroup's with any iterations (SwiftShader skips a loop no lane enters; a switch
  // per element would run every case under a lane mask).
  for (var i = start; t == 0u && i < nt; i += stride) {
    let g = grad[i];
    acc += g * g;
  }
#if G2
  for (var i = start; t == 1u && i < nt; i += stride) {
    let g = grad1[i];
    acc += g * g;
  }
#endif
#if G3
  for (var i = start; t == 2u && i < nt; i += stride) {
    let g = grad2[i];
    acc += g * g;
  }
#endif
#if G4
  for (var i = start; t == 3u && i < nt; i += stride) {
    let g = grad3[i];
    acc += g * g;
  }
#endif
#if G5
  for (var i = start; t == 4u && i < nt; i += stride) {
    let g = grad4[i];
    acc += g * g;
  }
#endif
#if G6
  for (var i = start; t == 5u && i < nt; i += stride) {
    let g = grad5[i];
    acc += g * g;
  }
#endif
#if G7
  for (var i = start; t == 6u && i < nt; i += stride) {
    let g = grad6[i];
    acc += g * g;
  }
#endif
#if G8
  for (var i = start; t == 7u && i < nt; i += stride) {
    let g = grad7[i];
    acc += g * g;
  }
#endif
#if G9
  for (var i = start; t == 8u && i < nt; i += stride) {
    let g = grad8[i];
    acc += g * g;
  }
#endif
#if G10
  for (var i = start; t == 9u && i < nt; i += stride) {
    let g = grad9[i];
    acc += g * g;
  }
#endif
#if G11
  for (var i = start; t == 10u && i < nt; i += stride) {
    let g = grad10[i];
    acc += g * g;
  }
#endif
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
