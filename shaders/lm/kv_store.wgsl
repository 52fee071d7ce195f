// KV-cache write (src/kernels/lm.ts planKvStore): row t of src [T, row_elems] goes to row pos[t] of
// cache [ctx_max, row_elems], or with a ring of R rows (a sliding-window layer's cache) to row pos[t] % R of [R, row_elems]. Positions come from a buffer so one recorded dispatch serves every token; a position
// outside [0, ctx_max) (padding rows: -1) is skipped. One invocation per element of src; with KV_F16 the cache
// holds f16 pairs in u32 words (pack2x16float: round to nearest even, low half first; row_elems even) and one
// invocation writes one word.
struct Params {
  n: u32, // T * row_elems (KV_F16: T * row_elems / 2 words)
  row_elems: u32,
  ctx_max: u32,
  row_pitch: u32,
  ring: u32, // 0: row = position; R > 0: row = position % R
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> src: array<f32>;
#if KV_F16
@group(0) @binding(1) var<storage, read_write> cache: array<u32>;
#else
@group(0) @binding(1) var<storage, read_write> cache: array<f32>;
#endif
@group(0) @binding(2) var<storage, read> pos: array<i32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
#if KV_F16
  let e = 2u * i; // first element of the pair
#else
  let e = i;
#endif
  let t = e / params.row_elems;
  let c = e - t * params.row_elems;
  let p = pos[t];
  if (p < 0 || u32(p) >= params.ctx_max) {
    return;
  }
  let row = select(u32(p), u32(p) % params.ring, params.ring > 0u);
#if KV_F16
  cache[(row * params.row_elems + c) / 2u] = pack2x16float(vec2<f32>(src[e], src[e + 1u]));
#else
  cache[row * params.row_elems + c] = src[e];
#endif
}
