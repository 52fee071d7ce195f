// matmul_w4a16.wgsl's 'tiled' path (PATH_TILED): a GEMM on workgroup-memory tiles of activations and
// dequantized weights (GPUs). Included by matmul_w4a16.wgsl, whose bindings, decoding and epilogue it uses.
const TM: u32 = 4u;
const TN: u32 = 4u;
// Both tiles in f32, also under ACT_F16: a dequantized weight (code times an f32 scale; GGUF Q6_K's d * sc * q reaches
// 32 * 127 * 32) can pass f16's 65504, and so can its product with x. f16 is only how x arrives.
var<workgroup> As: array<f32, BK * WG_Y * 4u>; // [BK][BM] activations
var<workgroup> Bs: array<f32, BK * WG_X * 4u>; // [BK][BN] dequantized weights

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid3: vec3<u32>) {
  let BM = WG_Y * TM;
  let BN = WG_X * TN;
  let threads = WG_X * WG_Y;
  let lid = lid3.y * WG_X + lid3.x;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let wpt = BK / CPW; // words per tile row
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < params.K; k0 += BK) {
    for (var i = lid; i < BM * BK; i += threads) {
      let row = i / BK;
      let kk = i % BK;
      As[kk * BM + row] = f32(x1(m0 + row, k0 + kk));
    }
    for (var i = lid; i < BN * wpt; i += threads) {
      let col = i / wpt;
      let wj = i % wpt;
      let n = n0 + col;
      let k = k0 + wj * CPW;
      var wv = array<f32, CPW>(); // zero past N or K (an initializer: Dawn on SwiftShader does not re-zero a loop-local var without one)
      if (n < params.N && k < params.K) {
        let word = w_q[n * params.wpr + k / CPW];
        let gi = n * params.ngroups + k / params.group;
        let s = scale_at(gi);
#if ZEROS
        let z = zero_at(gi);
#elif W8
        let z = 128.0;
#else
        let z = 8.0;
#endif
        for (var j = 0u; j < CPW; j++) {
          let u = f32((word >> (j * (32u / CPW))) & ((1u << (32u / CPW)) - 1u));
#if FMIN
          wv[j] = u * s + z;
#elif LUT
          wv[j] = lut1((word >> (4u * j)) & 0xfu) * s;
#else
          wv[j] = (u - z) * s;
#endif
        }
      }
      for (var j = 0u; j < CPW; j++) {
        Bs[(wj * CPW + j) * BN + col] = wv[j];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var r = 0u; r < TM; r++) {
        av[r] = As[kk * BM + lid3.y + r * WG_Y];
      }
      for (var q = 0u; q < TN; q++) {
        bv[q] = Bs[kk * BN + lid3.x + q * WG_X];
      }
      for (var r = 0u; r < TM; r++) {
        for (var q = 0u; q < TN; q++) {
          acc[r][q] = fma(av[r], bv[q], acc[r][q]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid3.y + r * WG_Y;
    for (var q = 0u; q < TN; q++) {
      let n = n0 + lid3.x + q * WG_X;
      if (m < params.M && n < params.N) {
        epilogue(m, n, acc[r][q]);
      }
    }
  }
}
