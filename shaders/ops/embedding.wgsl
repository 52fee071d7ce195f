// Embedding (src/ops/embedding.ts): table [vocab, dim], ids i32 [count].
//   forward (GATHER):  y[i, d] = table[ids[i], d]; an id outside [0, vocab) gives NaN (loud, never clamped)
//   SCATTER (backward): dtable[v, d] = sum over i with ids[i] == v of dy[i, d]
//     one invocation per `chunk` columns of a table row, summing in id order: deterministic, no float atomics,
//     and the ids are scanned once per chunk rather than once per element (chunk = dim: once per row).
struct Params {
  count: u32,
  vocab: u32,
  dim: u32,
  row_pitch: u32,
  chunk: u32,
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
  let chunks = (params.dim + params.chunk - 1u) / params.chunk;
  if (i >= params.vocab * chunks) {
    return;
  }
  let v = i32(i / chunks);
  let d0 = (i % chunks) * params.chunk;
  let d1 = min(d0 + params.chunk, params.dim);
  let row = u32(v) * params.dim;
  for (var d = d0; d < d1; d++) {
    dtable[row + d] = 0.0;
  }
  for (var k = 0u; k < params.count; k++) {
    if (ids[k] == v) {
      for (var d = d0; d < d1; d++) {
        dtable[row + d] += dy[k * params.dim + d];
      }
    }
  }
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
