// Dequantizes GGUF Q4_0 blocks read as they are in the file (18 bytes per 32 values: f16 d, then 16 bytes with
// element j in the low nibble of byte j and j+16 in the high nibble; value (q - 8) * d) to f32. One invocation per
// block. This is the "read the blocks directly" alternative to repacking at load (src/quant/gguf.ts); it exists to
// measure that choice (bench/quant.ts) and is tested bit-exact against the block decoder.
#include "quant/numerics.wgsl"

struct Params {
  blocks: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn byte_at(o: u32) -> u32 {
  return (src[o >> 2u] >> (8u * (o & 3u))) & 0xffu;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let blk = gid.y * params.row_pitch + gid.x;
  if (blk >= params.blocks) {
    return;
  }
  let o = 18u * blk;
  let d = f16_bits_to_f32(byte_at(o) | (byte_at(o + 1u) << 8u));
  for (var j = 0u; j < 16u; j = j + 1u) {
    let b = byte_at(o + 2u + j);
    y[32u * blk + j] = f32(i32(b & 15u) - 8) * d;
    y[32u * blk + j + 16u] = f32(i32(b >> 4u) - 8) * d;
  }
}
