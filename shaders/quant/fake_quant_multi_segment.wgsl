// One tensor of fake_quant_multi.wgsl (included once per tensor, its names suffixed with {{S}}, its bindings
// BX, BS, BZ, BY): run{{S}}(c) fake-quantizes scale index c's elements.
@group(0) @binding({{BX}}) var<storage, read> x{{S}}: array<f32>;
#if DYNAMIC
@group(0) @binding({{BS}}) var<storage, read_write> scale{{S}}: array<f32>;
@group(0) @binding({{BZ}}) var<storage, read_write> zero_point{{S}}: array<f32>;
#else
@group(0) @binding({{BS}}) var<storage, read> scale{{S}}: array<f32>;
@group(0) @binding({{BZ}}) var<storage, read> zero_point{{S}}: array<f32>;
#endif
@group(0) @binding({{BY}}) var<storage, read_write> y{{S}}: array<f32>;

fn run{{S}}(c: u32) {
  if (c >= params.channels[{{S}}]) {
    return;
  }
  let range = code_range();
  let qmin = range.x;
  let qmax = range.y;
  let n = params.inner;
  let base = c * n;
#if DYNAMIC
  var lo = 0.0; // min(., 0) and max(., 0) are the rules' anyway, so 0 is a neutral start
  var hi = 0.0;
  var ab = 0.0;
  for (var t = 0u; t < n; t = t + 1u) {
    let v = x{{S}}[base + t];
    lo = min(lo, v);
    hi = max(hi, v);
    ab += abs(v);
  }
  let sz = qparams_rule(lo, hi, ab, n, qmin, qmax);
  scale{{S}}[c] = sz.x;
  zero_point{{S}}[c] = sz.y;
  let s = sz.x;
  let z = rounded_zero_point(sz.y, qmin, qmax);
#else
  let s = scale{{S}}[c];
  let z = rounded_zero_point(zero_point{{S}}[c], qmin, qmax);
#endif
  let inv_s = div_rn(1.0, s);
  for (var t = 0u; t < n; t = t + 1u) {
    let i = base + t;
    y{{S}}[i] = fq_level(fq_code(x{{S}}[i], inv_s, z, qmin, qmax), s, z);
  }
}
