// f32 matmul, register-blocked for CPU adapters (SwiftShader): the same product as matmul_f32.wgsl,
//   C[b] = op(A[b]) * op(B[b]), C [M, N] row-major; A [M, K] or [K, M] (TRANS_A); B [K, N] or [N, K] (TRANS_B);
//   batch strides in elements, 0 broadcasts (grid z).
// One invocation per block of RPI (4, 8 or 16) rows and RC (4 ..= 16, a multiple of 4) adjacent columns, no workgroup
// memory, no barriers (SwiftShader emulates them): the shape of the quantized matmuls' rows path. K advances 4 at a
// time and each operand is read along its contiguous dimension, 16 bytes a load where its shape allows (A_VEC / B_VEC: the
// planner checks that the contiguous dimension and the batch stride are multiples of 4), so every layout of
// training's three products (x W, dY W^T, X^T dY) reads whole vec4s without a transpose in memory:
//   A [M, K]: a vec4 per row along K;   A [K, M]: a vec4 per k along the block's rows;
//   B [K, N]: a vec4 per k along columns;   B [N, K]: a vec4 per column along K.
// Four rows of the block are the components of a vec4 accumulator per column: each loaded B value feeds RPI
// products, each A value RC. The products are summed in k order, one fma each, as the naive shape of
// matmul_f32.wgsl does: the results are the same bits. Rows past M and columns past N repeat the last one and are
// not written.
// ACCUM: C = op(A) op(B) + R, R (binding `addend`) laid out as C (a gradient summed into, a residual added): one
// rounding after the product's, as a separate add would round.
// B16: B holds 16-bit floats (F16, or BF16 under B_BF16), two per u32 word, low half first, in the same element order
// (common/w16.wgsl): a language model's F16 / BF16 weights at 2 bytes a parameter, half the bytes each load brings;
// unpacked to f32, the same fma sequence (B_VEC: 8 bytes per 4 values).
// GROUP (2 products, GROUP3 3): several products in one dispatch, each with its own shape (fields M1, N1, ... and
// M2, ... of params), its loads and stores from matmul_f32_rows_segment.wgsl, included once per product, batch 1:
//   GROUP_A    C_s = A B_s: one A for all (x times the weights of q, k and v): workgroups laid out product after
//              product along x, product s from workgroup t0_s (t01, t02) in rows of nx_s (nx, nx1, nx2)
//   GROUP_B    C_s = A_s B: one B for all (the weight gradients dY_s^T X of those products), laid out the same way
//   GROUP_SUM  C = A_0 B_0 (+ R under ACCUM) then + A_1 B_1, + A_2 B_2: one C, each invocation runs the products
//              in turn over its block, adding each to what the one before stored (the input gradient of x, summed
//              in the order separate dispatches with the ACCUM epilogue would sum it: the same bits)
// GROUP_A / GROUP_B: every workgroup calls each product's run, which returns at once outside its own product (its
// loops then run for no lane, which SwiftShader skips). This costs less there than wrapping each run in a loop that
// only its product's workgroups enter (3 products of 512x64x32: 4.4-5.7 ms against 6.2-6.4; separate dispatches 3.5).
// STE_MASK (batch 1, not grouped, no ACCUM): C is a QAT weight's gradient; after run stores its block, the
// invocation passes the block through the fake-quant STE backward's clip mask (common/matmul_ste_mask.wgsl): one
// dispatch for the product and fake_quant_backward.wgsl's.
// SUB_A (CPU adapters with subgroups; ungrouped products and GROUP_SUM, whose products share the invocation's rows
// and columns): every invocation of a workgroup has the same rows (WG_Y = 1), so
// A's values are the same for all of a subgroup's lanes; lane l loads A at k + l % 4 only and the other three come
// from lanes 0 .. 3 by subgroupBroadcast. SwiftShader gathers each component of a storage load lane by lane (its
// rr::Gather for per-lane offsets), so a block's A costs a quarter of the gathers. The sums are the same fmas in the
// same order: the same bits.
#if SUB_A
enable subgroups;
// Uniform by construction (rows from the workgroup, K from params), which the analysis cannot see through run's gid.
diagnostic(off, subgroup_uniformity);
#endif
#include "common/matmul_f32_params.wgsl"

const RC: u32 = {{COLS}}u; // adjacent output columns per invocation: 4 (g0), 8 (G1), 12 (G2) or 16 (G3)
const RPI: u32 = {{ROWS}}u; // rows per invocation: 4, 8 (ROWS8) or 16 (ROWS8 and ROWS16)

override WG_X: u32 = 8;
override WG_Y: u32 = 2;

@group(0) @binding(3) var<uniform> params: Params;
#if ACCUM
#if C_VEC
@group(0) @binding(4) var<storage, read> addend: array<vec4<f32>>;
#else
@group(0) @binding(4) var<storage, read> addend: array<f32>;
#endif
#endif
#if B16
#include "common/w16.wgsl"
#endif
#if STE_MASK
#include "common/matmul_ste_mask.wgsl"
#endif

// A 4 x 4 block of an operand at k .. k + 3: kj holds its 4 rows (A) or 4 columns (B) at k + j.
struct Block {
  k0: vec4<f32>,
  k1: vec4<f32>,
  k2: vec4<f32>,
  k3: vec4<f32>,
}

// 4 rows x 4 columns of C: cj holds the rows at column j.
struct Acc {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
}

// A 4x4 block given as four vec4s along the other dimension, transposed (free: a vec4 is four registers on SwiftShader).
fn transpose4(r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>) -> Block {
  return Block(vec4<f32>(r0.x, r1.x, r2.x, r3.x), vec4<f32>(r0.y, r1.y, r2.y, r3.y), vec4<f32>(r0.z, r1.z, r2.z, r3.z), vec4<f32>(r0.w, r1.w, r2.w, r3.w));
}

// acc + a * b: one fma, as the naive shape rounds.
fn mad(a: vec4<f32>, b: f32, acc: vec4<f32>) -> vec4<f32> {
  return fma(a, vec4<f32>(b), acc);
}

// One column's 4 steps of k: rows av (Block over k) times the column's values bc at k .. k + 3, in k order.
fn mad4(av: Block, bc: vec4<f32>, acc: vec4<f32>) -> vec4<f32> {
  return mad(av.k3, bc.w, mad(av.k2, bc.z, mad(av.k1, bc.y, mad(av.k0, bc.x, acc))));
}

fn step(acc: Acc, av: Block, bv: Block) -> Acc {
  return Acc(mad4(av, bv.k0, acc.c0), mad4(av, bv.k1, acc.c1), mad4(av, bv.k2, acc.c2), mad4(av, bv.k3, acc.c3));
}

#if SUB_A
var<private> lane4: u32; // the invocation's subgroup lane % 4: which of 4 steps of k it loads A at
#endif

// The products: a (0), b (1), c (2) for the first; a1 / b1 / c1 (5 / 6 / 7) and a2 / b2 / c2 (8 / 9 / 10) for the
// others where they have their own.
#include "matmul/matmul_f32_rows_segment.wgsl" S= SA= SB= SC= OWN_A=1 OWN_B=1 OWN_C=1 BA=0 BB=1 BC=2
#if GROUP_A
#include "matmul/matmul_f32_rows_segment.wgsl" S=1 SA= SB=1 SC=1 OWN_B=1 OWN_C=1 BB=6 BC=7 ACCUM=0
#elif GROUP_B
#include "matmul/matmul_f32_rows_segment.wgsl" S=1 SA=1 SB= SC=1 OWN_A=1 OWN_C=1 BA=5 BC=7 ACCUM=0
#elif GROUP_SUM
#include "matmul/matmul_f32_rows_segment.wgsl" S=1 SA=1 SB=1 SC= OWN_A=1 OWN_B=1 BA=5 BB=6 ACCUM=0 ADD_C=1
#endif
#if GROUP3
#if GROUP_A
#include "matmul/matmul_f32_rows_segment.wgsl" S=2 SA= SB=2 SC=2 OWN_B=1 OWN_C=1 BB=9 BC=10 ACCUM=0
#elif GROUP_B
#include "matmul/matmul_f32_rows_segment.wgsl" S=2 SA=2 SB= SC=2 OWN_A=1 OWN_C=1 BA=8 BC=10 ACCUM=0
#elif GROUP_SUM
#include "matmul/matmul_f32_rows_segment.wgsl" S=2 SA=2 SB=2 SC= OWN_A=1 OWN_B=1 BA=8 BB=9 ACCUM=0 ADD_C=1
#endif
#endif

#if GROUP_SUM
#if SUB_A
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) sl: u32) {
  lane4 = sl & 3u;
  run(gid);
  run1(gid);
#if GROUP3
  run2(gid);
#endif
}
#else
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  run(gid);
  run1(gid);
#if GROUP3
  run2(gid);
#endif
}
#endif
#elif GROUP
// The invocation's block in the product whose workgroups are t0 .. t1 - 1 (laid out in rows of nx), or a block past
// every product's end when workgroup t is not one of them (run returns at once).
fn tile(t: u32, t0: u32, t1: u32, nx: u32, lid: vec3<u32>) -> vec3<u32> {
  if (t < t0 || t >= t1) {
    return vec3<u32>(0xffffffu, 0xffffffu, 0u);
  }
  return vec3<u32>(((t - t0) % nx) * WG_X + lid.x, ((t - t0) / nx) * WG_Y + lid.y, 0u);
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  run(tile(wid.x, 0u, params.t01, params.nx, lid));
#if GROUP3
  run1(tile(wid.x, params.t01, params.t02, params.nx1, lid));
  run2(tile(wid.x, params.t02, 0xffffffffu, params.nx2, lid));
#else
  run1(tile(wid.x, params.t01, 0xffffffffu, params.nx1, lid));
#endif
}
#elif SUB_A
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(subgroup_invocation_id) sl: u32) {
  lane4 = sl & 3u;
  run(gid);
#if STE_MASK
  ste_block(gid);
#endif
}
#else
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  run(gid);
#if STE_MASK
  ste_block(gid);
#endif
}
#endif
