// Fused matmul epilogue, included by the matmul kernels: y = act(v + bias) + residual, written to y[m, n0 + n].
// Needs from the including kernel (common/matmul_q_out.wgsl): store_y(i, v) and residual_at(i) over the flat index
// of the y (and residual) binding, `params.n0` (this dispatch's first column), `params.ldy` (row stride of y and
// residual), `params.y0` (the index of this dispatch's row 0, column 0 in the binding: the planner binds y from an
// aligned offset at or before its first row when it splits M), and under #if BIAS the binding `bias` [N] f32.
// Activations: SILU  z / (1 + exp(-z));  GELU  tanh form, 0.5 z (1 + tanh(sqrt(2/pi) (z + 0.044715 z^3))) with
// tanh(t) = 1 - 2 / (exp(2t) + 1), which saturates cleanly to +-1 where exp overflows or underflows.
fn epilogue(m: u32, n: u32, v: f32) {
  let col = params.n0 + n;
  var r = v;
#if BIAS
  r += bias[col];
#endif
#if SILU
  r = r / (1.0 + exp(-r));
#endif
#if GELU
  let t = 0.7978845608028654 * (r + 0.044715 * r * r * r);
  r = 0.5 * r * (2.0 - 2.0 / (exp(2.0 * t) + 1.0));
#endif
  let i = params.y0 + m * params.ldy + col;
#if RESIDUAL
  r += residual_at(i);
#endif
  store_y(i, r);
}
