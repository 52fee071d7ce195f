// The dynamic quantizer rules (ASYM, SYM, LSQ: see fake_quant_qparams.wgsl's head), from a scale index's min and
// max (each already taken with 0) and sum |x| over its `count` elements: vec2(scale, zero point). Shared by
// fake_quant_qparams.wgsl and fake_quant_multi.wgsl (included, not a kernel of its own); every division that feeds
// a rounding is div_rn (fake_quant_common.wgsl), so both match the CPU reference bit for bit.

const EPS: f32 = 1.1920928955078125e-7; // torch.finfo(torch.float32).eps

fn qparams_rule(lo: f32, hi: f32, abs_sum: f32, count: u32, qmin: f32, qmax: f32) -> vec2<f32> {
#if ASYM
  let s = max(div_rn(hi - lo, qmax - qmin), EPS);
  let dmin = div_rn(lo, s);
  let dmax = div_rn(hi, s);
  let from_min = qmin + dmin;
  let from_max = qmax + dmax;
  let z = round(clamp(select(qmax - dmax, qmin - dmin, from_min + from_max > 0.0), qmin, qmax));
#elif SYM
  let s = max(div_rn(max(-lo, hi), div_rn(qmax - qmin, 2.0)), EPS);
  let z = trunc(div_rn(qmax + qmin + 1.0, 2.0));
#elif LSQ
  let s = div_rn(2.0 * div_rn(abs_sum, f32(count)), sqrt(qmax));
  let z = 0.0;
#endif
  return vec2<f32>(s, z);
}
