// Attention over the KV cache, second pass (src/kernels/lm.ts planAttentionMerge): combines the n_split partials
// (m, l, o) of attention_split.wgsl for each (t, h) into out [T, heads, head_dim]:
//   M = max m over non-empty splits;  out = sum o exp(m - M) / sum l exp(m - M)
// Empty partials (l = 0) are skipped by l, never by comparing m with -inf; a row with none (padding) gets zeros.
// One invocation per output element; n_split is small, so each rereads the splits' (m, l).
// SINKS (gpt-oss's attention sinks): a learned logit s_h per head joins every row's softmax as a key whose value is
// zero, so it only adds to the denominator (ggml's soft_max with sinks):
//   M = max(m over non-empty splits, s_h);  out = sum o exp(m - M) / (sum l exp(m - M) + exp(s_h - M))
struct Params {
  n: u32, // T * heads * head_dim
  head_dim: u32,
  n_split: u32,
  row_pitch: u32,
  heads: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#if SINKS
@group(0) @binding(3) var<storage, read> sinks: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
  let d = i % params.head_dim;
  let th = i / params.head_dim;
  let stride = params.head_dim + 2u;
  let pb = th * params.n_split * stride;
  var found = false;
  var mx = 0.0;
  for (var s = 0u; s < params.n_split; s++) {
    let b = pb + s * stride;
    if (part[b + 1u] > 0.0) {
      mx = select(part[b], max(mx, part[b]), found);
      found = true;
    }
  }
  var l = 0.0;
  var o = 0.0;
#if SINKS
  let sink = sinks[th % params.heads];
  mx = select(sink, max(mx, sink), found);
  l = exp(sink - mx);
#endif
  for (var s = 0u; s < params.n_split; s++) {
    let b = pb + s * stride;
    let ls = part[b + 1u];
    if (ls > 0.0) {
      let w = exp(part[b] - mx);
      l = fma(ls, w, l);
      o = fma(part[b + 2u + d], w, o);
    }
  }
  out[i] = select(0.0, o / l, found);
}
