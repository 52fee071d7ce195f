// The fake-quant STE backward in the dispatch of the product that makes its gradient (STE_MASK of
// matmul_f32_rows.wgsl and of matmul_f32.wgsl's TILED shape): a QAT weight's gradient dW = dY^T X kept only where the weight's code is inside [qmin, qmax], else a
// zero with the product's sign, what quant/fake_quant_backward.wgsl does to it in a dispatch of its own (the
// executor fuses the two: src/graph/fuse.ts fuseSteMasks). The same decision bit for bit: element i of C is element
// i of the weight `mask_x` (C is dense, batch 1), its scale mask_scale[(i / mask_inner) % mask_channels].
// The 'rows' kernel: each invocation reads back the block its run stored and stores it masked, in one loop
// (ste_block): the mask inlined into each of run's unrolled stores made a kernel so large that the step ran slower
// than with the separate dispatch. The tiled kernel stores its 16 outputs in a loop: the mask is in that store.
// Most codes lie well inside the range, and x / s (WGSL's division, within a few ULP of the exact quotient) tells
// them apart from the few near its edges by a margin far above that error (1/64 of a step, against codes of at most
// 2^8); those few take the backward's own arithmetic (div_rn's correctly rounded reciprocal, its rounding).
#include "quant/fake_quant_common.wgsl"

#if MASK_VEC
@group(0) @binding(11) var<storage, read> mask_x: array<vec4<f32>>;
#else
@group(0) @binding(11) var<storage, read> mask_x: array<f32>;
#endif
@group(0) @binding(12) var<storage, read> mask_scale: array<f32>;
#if MASK_ZERO
@group(0) @binding(13) var<storage, read> mask_zero: array<f32>;
#endif

const STE_MARGIN: f32 = 0.015625;

// Element e of the weight (one lane's gather under MASK_VEC: the K tail and the exact path only).
fn mask_x_at(e: u32) -> f32 {
#if MASK_VEC
  return mask_x[e / 4u][e % 4u];
#else
  return mask_x[e];
#endif
}

// The quantizer of scale c: s, the zero point (0 without MASK_ZERO: symmetric), and the range of x / s + z whose
// code is inside [qmin, qmax] less the margin.
struct MaskQ {
  s: f32,
  z: f32,
  lo: f32,
  hi: f32,
}

fn mask_q(c: u32) -> MaskQ {
  let range = code_range();
#if MIDRISE
  // floor(x / s) inside [qmin, qmax]: x / s in [qmin, qmax + 1).
  return MaskQ(mask_scale[c], 0.0, range.x + STE_MARGIN, range.y + 1.0 - STE_MARGIN);
#else
  // round(x / s) + z inside [qmin, qmax]: x / s + z in [qmin - 1/2, qmax + 1/2], ties decided by the rounding.
#if MASK_ZERO
  let z = rounded_zero_point(mask_zero[c], range.x, range.y);
#else
  let z = 0.0;
#endif
  return MaskQ(mask_scale[c], z, range.x - 0.5 + STE_MARGIN, range.y + 0.5 - STE_MARGIN);
#endif
}

// The backward's own decision for element e: dy where its code is inside the range, else a zero with dy's sign.
fn ste_exact(e: u32, k: MaskQ, dy: f32) -> f32 {
  let range = code_range();
  let x = mask_x_at(e);
  let q = fq_raw_code(x, div_rn(1.0, k.s), k.z);
  return select(signed_zero(dy), dy, q >= range.x && q <= range.y);
}

fn ste_mask(e: u32, dy: f32) -> f32 {
  let k = mask_q((e / params.mask_inner) % params.mask_channels);
  let v = mask_x_at(e) / k.s + k.z;
  if (v >= k.lo && v <= k.hi) {
    return dy;
  }
  return ste_exact(e, k, dy);
}

// Elements i .. i + 3 of C. MASK_VEC (i a multiple of 4, mask_inner too: the four share a scale): one 16-byte load
// of the weight and one quantizer.
fn ste_mask4(i: u32, v: vec4<f32>) -> vec4<f32> {
#if MASK_VEC
  let k = mask_q((i / params.mask_inner) % params.mask_channels);
  let q = mask_x[i / 4u] / k.s + k.z;
  if (all(q >= vec4<f32>(k.lo)) && all(q <= vec4<f32>(k.hi))) {
    return v;
  }
  return vec4<f32>(ste_exact(i, k, v.x), ste_exact(i + 1u, k, v.y), ste_exact(i + 2u, k, v.z), ste_exact(i + 3u, k, v.w));
#else
  return vec4<f32>(ste_mask(i, v.x), ste_mask(i + 1u, v.y), ste_mask(i + 2u, v.z), ste_mask(i + 3u, v.w));
#endif
}

#if !TILED
// The invocation's block of C (run's: RPI rows from gid.y * RPI, RC columns from gid.x * RC; c0 = 0, ldc = N) read
// back from C and stored through the mask.
fn ste_block(gid: vec3<u32>) {
  let n0 = gid.x * RC;
  let m0 = gid.y * RPI;
  for (var r = 0u; r < RPI; r++) {
    let m = m0 + r;
    if (m >= params.M) {
      break;
    }
    for (var j = 0u; j < RC; j += 4u) {
      let n = n0 + j;
      if (n >= params.N) {
        break;
      }
      let o = m * params.N + n;
#if C_VEC
      c[o / 4u] = ste_mask4(o, c[o / 4u]);
#else
      for (var e = 0u; e < 4u && n + e < params.N; e++) {
        c[o + e] = ste_mask(o + e, c[o + e]);
      }
#endif
    }
  }
}
#endif
