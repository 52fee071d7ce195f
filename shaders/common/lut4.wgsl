// The table of a GGUF codebook or lattice type's 4-bit codes (src/quant/scheme.ts LUT_VALUES; the W4A16 kernels' LUT
// variants and dequantize read it as LUT_T, the one the defines pick: src/kernels/quant.ts lutDefines):
//   LUT_MXFP4   MXFP4's E2M1 values doubled (ggml's kvalues_mxfp4; the scale carries the half)
//   LUT_IQ2     IQ2_XXS / IQ2_XS / IQ2_S: the grids' 8, 25, 43 over 8, code = level | 8 * negative
//   LUT_IQ3XXS  IQ3_XXS: 4, 12, .., 52, 62 over 4, signed likewise
//   LUT_IQ3S    IQ3_S: 1, 3, .., 15, signed likewise
//   LUT_IQ1     IQ1_S / IQ1_M: -1, 0, 1 shifted by -1/8 (codes 0..2) or +1/8 (4..6)
//   (none)      IQ4_NL's and IQ4_XS's kvalues_iq4nl
// At most 127 in magnitude with at most 8 significant bits: exact in f16 and f32.
#if LUT_MXFP4
var<private> LUT_T: array<f32, 16> = array<f32, 16>(0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 0.0, -1.0, -2.0, -3.0, -4.0, -6.0, -8.0, -12.0);
#elif LUT_IQ2
var<private> LUT_T: array<f32, 16> = array<f32, 16>(1.0, 3.125, 5.375, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -3.125, -5.375, 0.0, 0.0, 0.0, 0.0, 0.0);
#elif LUT_IQ3XXS
var<private> LUT_T: array<f32, 16> = array<f32, 16>(1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.5, -1.0, -3.0, -5.0, -7.0, -9.0, -11.0, -13.0, -15.5);
#elif LUT_IQ3S
var<private> LUT_T: array<f32, 16> = array<f32, 16>(1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0, -1.0, -3.0, -5.0, -7.0, -9.0, -11.0, -13.0, -15.0);
#elif LUT_IQ1
var<private> LUT_T: array<f32, 16> = array<f32, 16>(-1.125, -0.125, 0.875, 0.0, -0.875, 0.125, 1.125, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
#else
var<private> LUT_T: array<f32, 16> = array<f32, 16>(-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);
#endif
