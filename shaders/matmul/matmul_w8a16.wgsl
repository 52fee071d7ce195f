// W8A16: 8-bit symmetric (or zero-point) weights, f16 (or f32) activations: the W4A16 kernel with 8-bit words
// (4 codes per u32, layout.ts). One source, so the two can never drift apart.
#include "matmul/matmul_w4a16.wgsl"
