// grad_norm.wgsl's SUMSQ phase over gradients that share one buffer, an arena (Executable's `flat` outputs,
// src/gpu/arena.ts): one binding for any number of tensors, where grad_norm.wgsl binds one buffer a tensor.
// Segment t = segs[t] (its gradient's first element in `grads`, elements n, first workgroup, workgroups count)
// owns workgroups first .. first + count - 1; its workgroup w sums the squares of its grid-strided share of the
// tensor into partials[params.offset + w], the very loop and tree of grad_norm.wgsl, so the partials, and the
// norm grad_norm.wgsl's FINALIZE takes from them, are those of the per-tensor kernel bit for bit.
struct Params {
  segments: u32,  // tensors in segs
  groups: u32,    // workgroups of all segments
  row_pitch: u32, // workgroups per grid row
  offset: u32,    // the first partial of this dispatch
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> grads: array<f32>;
@group(0) @binding(1) var<storage, read_write> partials: array<f32>;
struct Seg {
  offset: u32,
  n: u32,
  first: u32,
  count: u32,
}

@group(0) @binding(2) var<storage, read> segs: array<Seg>;
@group(0) @binding(3) var<uniform> params: Params;

#include "common/wg_reduce.wgsl"
#include "optim/segment_of.wgsl"

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * params.row_pitch + wid.x;
  let s = segs[segment_of(w, params.segments)];
  var acc = 0.0;
  let start = (w - s.first) * WG + lid;
  let stride = s.count * WG;
  for (var i = start; w < params.groups && i < s.n; i += stride) {
    let g = grads[s.offset + i];
    acc += g * g;
  }
  // grad_norm.wgsl's halving tree (the same additions in the same order).
  let sum = wg_reduce(acc, lid, false);
  if (lid == 0u && w < params.groups) {
    partials[params.offset + w] = sum;
  }
}
