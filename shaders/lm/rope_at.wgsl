// RoPE at explicit positions, in place, for the language-model engine (src/kernels/lm.ts planRopeAt).
// x [T, heads, head_dim]; pos i32 [T] (read here, not baked in, so one recorded dispatch serves every token);
// table [ctx_max, rope_dims/2, 2] = (cos, sin) of angle p * base^(-2i/rope_dims) (ropeTable). One invocation per
// rotated pair (t, h, i), i < rope_dims/2:
//   NORM (llama): pair (2i, 2i+1);   NEOX (qwen2): pair (i, i + rope_dims/2)
//   x0' = x0 cos - x1 sin,  x1' = x0 sin + x1 cos
// Dimensions >= rope_dims are not touched; a position outside [0, ctx_max) (padding rows: -1) leaves the row as is.
struct Params {
  pairs: u32, // T * heads * rope_dims/2
  heads: u32,
  head_dim: u32,
  half: u32, // rope_dims / 2
  ctx_max: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> pos: array<i32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let k = gid.y * params.row_pitch + gid.x;
  if (k >= params.pairs) {
    return;
  }
  let i = k % params.half;
  let th = k / params.half; // t * heads + h
  let t = th / params.heads;
  let p = pos[t];
  if (p < 0 || u32(p) >= params.ctx_max) {
    return;
  }
  let row = th * params.head_dim;
#if NEOX
  let a = row + i;
  let b = a + params.half;
#else
  let a = row + 2u * i;
  let b = a + 1u;
#endif
  let cs = 2u * (u32(p) * params.half + i);
  let c = table[cs];
  let s = table[cs + 1u];
  let x0 = x[a];
  let x1 = x[b];
  x[a] = x0 * c - x1 * s;
  x[b] = x0 * s + x1 * c;
}
