// Embedding (src/ops/embedding.ts): table [vocab, dim], ids i32 [count].
//   forward (GATHER):  y[i, d] = table[ids[i], d]; an id outside [0, vocab) gives NaN (loud, never clamped)
//   SCATTER (backward): dtable[v, d] = sum over i with ids[i] == v of dy[i, d]
//     one invocation per table element, in id order: deterministic, no float atomics.
struct Params {
  count: u32,
  vocab: u32,
  dim: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> ids: array<i32>;
#if SCATTER
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dtable: array<f32>;
#else
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
#if SCATTER
  if (i >= params.vocab * params.dim) {
    return;
  }
  let v = i32(i / params.dim);
  let d = i % params.dim;
  var acc = 0.0;
  for (var k = 0u; k < params.count; k++) {
    if (ids[k] == v) {
      acc += dy[k * params.dim + d];
    }
  }
  dtable[i] = acc;
#else
  if (i >= params.count * params.dim) {
    return;
  }
  let id = ids[i / params.dim];
  if (id < 0 || u32(id) >= params.vocab) {
    var nan_bits = 0x7fc00000u; // a runtime value: NaN is not a valid constant expression
    y[i] = bitcast<f32>(nan_bits);
  } else {
    y[i] = table[u32(id) * params.dim + i % params.dim];
  }
#endif
}
