// ALiBi's slope of head h of `heads` for max_bias (included by lm/attention_split.wgsl and ops/flash_attention.wgsl),
// as ggml's soft_max_ext derives it: with n2 the largest power of two <= heads, 2^(-max_bias (h + 1) / n2) for h < n2,
// else 2^(-max_bias (2 (h - n2) + 1) / (2 n2)) (the odd powers of the second series).
fn alibi_slope(h: u32, heads: u32, max_bias: f32) -> f32 {
  let n2 = 1u << firstLeadingBit(heads);
  if (h < n2) {
    return exp2(-max_bias * f32(h + 1u) / f32(n2));
  }
  return exp2(-max_bias * f32(2u * (h - n2) + 1u) / f32(2u * n2));
}
