// The output side shared by the quantized matmuls (matmul_w4a16 / w8a16 and matmul_w8a8): the bias (4), residual (5),
// y (6) and params (7) bindings, the fused epilogue, and scale_at() over `scales` (f32, or f16 pairs, low half first,
// under SCALES_F16, or GGUF Q4_K / Q5_K / Q2_K's compact scales with `zeros`' f16 d under SCALES_K6), which the
// including kernel declares at its own binding. Needs the kernel's `Params` struct.
// y (and residual, which has y's type and layout) is f32, or f16 in one of two forms:
//   Y_F16N  array<f16> (the kernel has `enable f16`: adapters with shader-f16)
//   Y_F16P  f16 pairs in u32 words, low half first; the invocations that own the two halves of a word are not the
//           same one on most paths, so each half is written with an atomic compare-exchange that keeps the other.
// f32 -> f16 rounds to nearest, ties to even, on the bits (quant/numerics.wgsl, the twin of src/quant/f16.ts), so
// every adapter rounds alike: |v| >= 65520 gives +-inf, NaN stays NaN, f16 subnormals are kept.
#if BIAS
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#if SCALES_S8
// GGUF Q6_K kept compact: one u32 per 16 groups (a super-block of 256; S8_G32: IQ4_XS's 8 groups of 32), f16 d in the
// low half; `scales` holds each group's int8 scale sc, four per u32. Scale d * sc, exact in f32.
@group(0) @binding(8) var<storage, read> supers: array<u32>;
#endif
#if Y_F16N
#if RESIDUAL
@group(0) @binding(5) var<storage, read> residual: array<f16>;
#endif
@group(0) @binding(6) var<storage, read_write> y: array<f16>;
#elif Y_F16P
#if RESIDUAL
@group(0) @binding(5) var<storage, read> residual: array<u32>;
#endif
@group(0) @binding(6) var<storage, read_write> y: array<atomic<u32>>;
#else
#if RESIDUAL
@group(0) @binding(5) var<storage, read> residual: array<f32>;
#endif
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(7) var<uniform> params: Params;

#if RESIDUAL
// residual[i] (y's type and layout) as f32.
fn residual_at(i: u32) -> f32 {
#if Y_F16N
  return f32(residual[i]);
#elif Y_F16P
  return f16_bits_to_f32((residual[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu);
#else
  return residual[i];
#endif
}
#endif

#if Y_F16
#include "quant/numerics.wgsl"
#endif

// y[i] = v, in y's type.
fn store_y(i: u32, v: f32) {
#if Y_F16N
  y[i] = f16(round_f16(v)); // exact: round_f16 gives a value f16 holds (naga rejects bitcast<vec2<f16>>)
#elif Y_F16P
  let sh = (i & 1u) * 16u;
  let keep = ~(0xffffu << sh);
  let h = f32_to_f16_bits(v) << sh;
  var old = atomicLoad(&y[i >> 1u]);
  loop {
    let r = atomicCompareExchangeWeak(&y[i >> 1u], old, (old & keep) | h);
    if (r.exchanged) {
      break;
    }
    old = r.old_value;
  }
#else
  y[i] = v;
#endif
}

#include "common/matmul_epilogue.wgsl"

#if SCALES_K6
// The super-block (256 elements) of group i: 8 groups of 32 (Q4_K, Q5_K), or under K6_G16 16 groups of 16 (Q2_K).
fn k6_super(i: u32) -> u32 {
#if K6_G16
  return i >> 4u;
#else
  return i >> 3u;
#endif
}
#endif

fn scale_at(i: u32) -> f32 {
#if SCALES_K6
  // GGUF Q4_K / Q5_K / Q2_K kept compact: sc in the low byte of group i's 16-bit entry, f16 d of its super-block.
  return unpack2x16float(zeros[k6_super(i)]).x * f32((scales[i >> 1u] >> (16u * (i & 1u))) & 0x3fu);
#elif SCALES_S8
  // GGUF Q6_K kept compact: byte i & 3 of the word, sign-extended; f16 d of its super-block (16 groups of 16; under
  // S8_G32, IQ4_XS's 8 groups of 32).
#if S8_G32
  return unpack2x16float(supers[i >> 3u]).x * f32(bitcast<i32>(scales[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u);
#else
  return unpack2x16float(supers[i >> 4u]).x * f32(bitcast<i32>(scales[i >> 2u] << (24u - 8u * (i & 3u))) >> 24u);
#endif
#elif SCALES_F16
  return unpack2x16float(scales[i >> 1u])[i & 1u];
#else
  return scales[i];
#endif
}
