// Embedding (src/ops/embedding.ts): table [vocab, dim], ids i32 [count].
//   forward (GATHER):  y[i, d] = table[ids[i], d]; an id outside [0, vocab) gives NaN (loud, never clamped)
//   SCATTER (backward): dtable[v, d] = sum over i with ids[i] == v of dy[i, d]
//     one invocation per `chunk` columns of a table row, summing in id order: deterministic, no float atomics,
//     and the ids are scanned once per chunk rather than once per element (chunk = dim: once per row).
//   QUAD (with SCATTER; CPU adapters with subgroups): every invocation scans the same ids, so the four lanes of a quad
//     load four ids at a time, one each, and quadBroadcast gives each lane the other three (SwiftShader gathers a
//     storage load lane by lane: a quarter of the id loads). The sums keep their id order: the same bits.
#if QUAD
enable subgroups;
// Uniform by construction (the id loop's bounds are params), which the analysis cannot see past the lanes' `live`.
diagnostic(off, subgroup_uniformity);
#endif
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

#if SCATTER
// dtable[row + d0 .. d1] += dy row k.
fn add_row(row: u32, d0: u32, d1: u32, k: u32) {
  for (var d = d0; d < d1; d++) {
    dtable[row + d] += dy[k * params.dim + d];
  }
}
#endif

@compute @workgroup_size(WG)
#if QUAD
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) sl: u32) {
#else
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
#endif
  let i = gid.y * params.row_pitch + gid.x;
#if SCATTER
  let chunks = (params.dim + params.chunk - 1u) / params.chunk;
  let live = i < params.vocab * chunks;
#if !QUAD
  if (!live) {
    return;
  }
#endif
  // A lane past the table's end (QUAD: it still loads ids for its quad) matches no id.
  let v = select(-1, i32(i / chunks), live);
  let d0 = (i % chunks) * params.chunk;
  let d1 = min(d0 + params.chunk, params.dim);
  let row = u32(max(v, 0)) * params.dim;
  if (live) {
    for (var d = d0; d < d1; d++) {
      dtable[row + d] = 0.0;
    }
  }
#if QUAD
  let ql = sl & 3u;
  for (var k = 0u; k < params.count; k += 4u) {
    let mine = ids[min(k + ql, params.count - 1u)];
    let id0 = quadBroadcast(mine, 0u);
    let id1 = quadBroadcast(mine, 1u);
    let id2 = quadBroadcast(mine, 2u);
    let id3 = quadBroadcast(mine, 3u);
    // Most rows match none of the four: one test for them all.
    if (live && any(vec4<i32>(id0, id1, id2, id3) == vec4<i32>(v))) {
      if (id0 == v) { add_row(row, d0, d1, k); }
      if (id1 == v && k + 1u < params.count) { add_row(row, d0, d1, k + 1u); }
      if (id2 == v && k + 2u < params.count) { add_row(row, d0, d1, k + 2u); }
      if (id3 == v && k + 3u < params.count) { add_row(row, d0, d1, k + 3u); }
    }
  }
#else
  for (var k = 0u; k < params.count; k++) {
    if (ids[k] == v) {
      add_row(row, d0, d1, k);
    }
  }
#endif
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
