// f32 <-> f16 conversion (src/ops/cast.ts) that needs no shader-f16: f16 values travel as pairs in u32 words
// (pack2x16float / unpack2x16float, element 2w in the low half), so it runs on every adapter. Contiguous data.
//   TO_F16: one invocation per word:    y[w] = pack2x16float(x[2w], x[2w + 1])   (an odd tail packs 0 above)
//   else:   one invocation per element: y[i] = unpack2x16float(x[i / 2])[i % 2]
struct Params {
  n: u32, // elements
  row_pitch: u32,
}

override WG: u32 = 64;

#if TO_F16
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
#else
@group(0) @binding(0) var<storage, read> x: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
#if TO_F16
  if (2u * i >= params.n) {
    return;
  }
  var hi = 0.0;
  if (2u * i + 1u < params.n) {
    hi = x[2u * i + 1u];
  }
  y[i] = pack2x16float(vec2<f32>(x[2u * i], hi));
#else
  if (i >= params.n) {
    return;
  }
  y[i] = unpack2x16float(x[i / 2u])[i % 2u];
#endif
}
