// 16-bit float weights read in place (included by matmul_f32.wgsl and matmul_f32_rows.wgsl under B16): the values
// of a GGUF F16 or BF16 tensor, two per u32 word, low half first (the file's own bytes), so that F16 and BF16
// weights stay at 2 bytes a parameter on the GPU. No shader-f16 needed; both widen exactly to f32.
//   F16: unpack2x16float. (Moving the bits into an f32 and rebiasing with selects, subnormals, infinities and NaN
//   handled, ran the GEMV and GEMM of bench/matmul-b16.ts 1.4x slower on SwiftShader.)
//   BF16 (B_BF16): the high half of an f32, so bitcast<f32>(h << 16).

// The two values of a word (low half first).
fn w16_pair(u: u32) -> vec2<f32> {
#if B_BF16
  return bitcast<vec2<f32>>(vec2<u32>(u << 16u, u & 0xffff0000u));
#else
  return unpack2x16float(u);
#endif
}

// The four values of two words.
fn w16_quad(u: vec2<u32>) -> vec4<f32> {
  return vec4<f32>(w16_pair(u.x), w16_pair(u.y));
}
