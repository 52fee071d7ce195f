// The rows of a rows-path block (matmul_w4a16 / w8a16 and matmul_w8a8, PATH_ROWS with ROW_BLOCK): one row, or
// under ROWS4 four rows carried as the components of a vec4 (RV), so that SwiftShader keeps them in registers
// instead of indexing a private array lane by lane; under ROWS8 (matmul_w4a16 / w8a16 only, with ROWS4) eight rows,
// two such vec4s.
#if ROWS8
const RPI: u32 = 8u; // rows per invocation
alias RV = vec4<f32>; // four of them

fn rv_at(v: RV, r: u32) -> f32 {
  return v[r];
}
#elif ROWS4
const RPI: u32 = 4u; // rows per invocation
alias RV = vec4<f32>;

fn rv_at(v: RV, r: u32) -> f32 {
  return v[r];
}
#else
const RPI: u32 = 1u;
alias RV = f32;

fn rv_at(v: RV, r: u32) -> f32 {
  return v;
}
#endif
