// f32 matmul, batched: C[b] = op(A[b]) * op(B[b]), C [M, N] row-major.
//   A is [M, K], or [K, M] with TRANS_A;  B is [K, N], or [N, K] with TRANS_B (the y = x W^T layout).
//   Batch strides are in elements; a stride of 0 broadcasts that operand across the batch (grid z).
// Three shapes of the same math, picked per adapter by the tuning table in src/kernels/tuning.ts:
//   TILED:  workgroup tile (WG_Y*TILE) x (WG_X*TILE) staged through workgroup memory in BK-deep slices, each
//           invocation a TILE x TILE register tile, TILE 4 or 8 (real GPUs; 8 reads workgroup memory half as often
//           per fma: 2 TILE loads feed TILE^2 fmas). Each output's sum is the same fmas in k order, whatever TILE.
//   BLOCK4: one invocation per 4x4 block of outputs, no workgroup memory, no barriers: each loaded element of A
//           and B feeds four products (CPU adapters such as SwiftShader, where barriers are emulated and costly,
//           for M >= 3). The block's rows are the components of vec4s, one per column: written out, not a private
//           array, which SwiftShader would index lane by lane. Same fma sequence as the naive shape.
//   else:   one invocation per output element, no workgroup memory, no barriers (CPU adapters, M < 3).
// ACCUM: C = op(A) op(B) + R, R (binding `addend`) laid out as C (a gradient summed into, a residual added): one rounding
// after the product's, as a separate add would round.
// B16: B holds 16-bit floats (F16, or BF16 under B_BF16), two per u32 word, low half first, in the same element order
// (common/w16.wgsl): a language model's F16 / BF16 weights at 2 bytes a parameter; the math stays f32.
// STE_MASK (TILED, batch 1, not grouped, no ACCUM): C is a QAT weight's gradient, each element stored through the
// fake-quant STE backward's clip mask of that weight (common/matmul_ste_mask.wgsl): one dispatch for the product and
// fake_quant_backward.wgsl's, the same bits.
// GROUP (2 products, GROUP3 3), TILED only: several products in one dispatch, as matmul_f32_rows.wgsl groups them
// (GROUP_A one A, GROUP_B one B, GROUP_SUM one C summed in order; fields M1, N1, ... of params; each product's loads
// and stores from matmul_f32_segment.wgsl, included once per product). Workgroups of GROUP_A / GROUP_B are laid
// out product after product along x (product s from workgroup t0_s in rows of nx_s), each running only its own
// product's loop; a GROUP_SUM workgroup runs every product over its tile in turn. The loops' conditions are uniform
// per workgroup, so the tiles' barriers stay in uniform control flow.
#include "common/matmul_f32_params.wgsl"

override WG_X: u32 = 16;
override WG_Y: u32 = 16;
override BK: u32 = 16;

@group(0) @binding(3) var<uniform> params: Params;
#if ACCUM
@group(0) @binding(4) var<storage, read> addend: array<f32>;
#endif
#if B16
#include "common/w16.wgsl"
#endif
#if STE_MASK
#include "common/matmul_ste_mask.wgsl"
#endif

#if TILED
const TM: u32 = {{TILE}}u; // rows of C per invocation
const TN: u32 = {{TILE}}u; // columns of C per invocation
var<workgroup> As: array<f32, BK * WG_Y * TM>; // [BK][BM]
var<workgroup> Bs: array<f32, BK * WG_X * TN>; // [BK][BN]
#endif

// The products: a (0), b (1), c (2) for the first; a1 / b1 / c1 (5 / 6 / 7) and a2 / b2 / c2 (8 / 9 / 10) for the
// others where they have their own.
#include "matmul/matmul_f32_segment.wgsl" S= SA= SB= SC= OWN_A=1 OWN_B=1 OWN_C=1 BA=0 BB=1 BC=2
#if GROUP_A
#include "matmul/matmul_f32_segment.wgsl" S=1 SA= SB=1 SC=1 OWN_B=1 OWN_C=1 BB=6 BC=7 ACCUM=0
#elif GROUP_B
#include "matmul/matmul_f32_segment.wgsl" S=1 SA=1 SB= SC=1 OWN_A=1 OWN_C=1 BA=5 BC=7 ACCUM=0
#elif GROUP_SUM
#include "matmul/matmul_f32_segment.wgsl" S=1 SA=1 SB=1 SC= OWN_A=1 OWN_B=1 BA=5 BB=6 ACCUM=0 ADD_C=1
#endif
#if GROUP3
#if GROUP_A
#include "matmul/matmul_f32_segment.wgsl" S=2 SA= SB=2 SC=2 OWN_B=1 OWN_C=1 BB=9 BC=10 ACCUM=0
#elif GROUP_B
#include "matmul/matmul_f32_segment.wgsl" S=2 SA=2 SB= SC=2 OWN_A=1 OWN_C=1 BA=8 BC=10 ACCUM=0
#elif GROUP_SUM
#include "matmul/matmul_f32_segment.wgsl" S=2 SA=2 SB=2 SC= OWN_A=1 OWN_B=1 BA=8 BB=9 ACCUM=0 ADD_C=1
#endif
#endif

#if TILED
#if GROUP_SUM
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  run(wid, lid3);
  run1(wid, lid3);
#if GROUP3
  run2(wid, lid3);
#endif
}
#elif GROUP
// Workgroup t of a product laid out in rows of nx workgroups: its workgroup id within the product.
fn tile(t: u32, nx: u32) -> vec3<u32> {
  return vec3<u32>(t % nx, t / nx, 0u);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  for (var t = wid.x; t < params.t01; t = params.t01) {
    run(tile(t, params.nx), lid3);
  }
#if GROUP3
  for (var t = wid.x; t >= params.t01 && t < params.t02; t = params.t02) {
    run1(tile(t - params.t01, params.nx1), lid3);
  }
  for (var t = wid.x; t >= params.t02; t = 0u) {
    run2(tile(t - params.t02, params.nx2), lid3);
  }
#else
  for (var t = wid.x; t >= params.t01; t = 0u) {
    run1(tile(t - params.t01, params.nx1), lid3);
  }
#endif
}
#else
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  run(wid, lid3);
}
#endif
#else
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  run(gid);
}
#endif
