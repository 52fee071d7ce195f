// The tables of the GGUF codebook types' 4-bit codes (src/quant/scheme.ts LUT_VALUES; the W4A16 kernels' LUT variants
// and dequantize read them): MXFP4's E2M1 values doubled (ggml's kvalues_mxfp4; the scale carries the half) and
// IQ4_NL's / IQ4_XS's kvalues_iq4nl. Integers of at most 127 in magnitude: exact in f16 and f32.
var<private> LUT_MXFP4_T: array<f32, 16> = array<f32, 16>(0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 0.0, -1.0, -2.0, -3.0, -4.0, -6.0, -8.0, -12.0);
var<private> LUT_IQ4NL_T: array<f32, 16> = array<f32, 16>(-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);
