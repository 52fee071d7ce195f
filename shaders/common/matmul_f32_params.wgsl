// The f32 matmuls' uniform (matmul_f32.wgsl, matmul_f32_rows.wgsl): one product's shape, and under GROUP / GROUP3
// the second's and third's (fields suffixed 1 and 2) with where each product's workgroups start (t0_s) and how many
// it has along x (nx_s); under STE_MASK the fake-quant layout of the weight whose gradient C is.
struct Params {
  M: u32,
  N: u32,
  K: u32,
  batch_a: u32,
  batch_b: u32,
  batch_c: u32,
  ldc: u32, // row stride of C (N unless C is a column block of a wider matrix)
  c0: u32,  // index of C[0, 0] in c (a column block's first column)
#if STE_MASK
  mask_inner: u32, // common/matmul_ste_mask.wgsl: the weight's scale layout and code range
  mask_channels: u32,
  qmin: f32,
  qmax: f32,
#endif
#if GROUP
  nx: u32,  // GROUP_A / GROUP_B: workgroups along x of each product's grid (t0_s, its first, is t01 / t02 for 1 / 2)
  M1: u32,
  N1: u32,
  K1: u32,
  batch_a1: u32,
  batch_b1: u32,
  batch_c1: u32,
  ldc1: u32,
  c01: u32,
  nx1: u32,
  t01: u32,
#endif
#if GROUP3
  M2: u32,
  N2: u32,
  K2: u32,
  batch_a2: u32,
  batch_b2: u32,
  batch_c2: u32,
  ldc2: u32,
  c02: u32,
  nx2: u32,
  t02: u32,
#endif
}
