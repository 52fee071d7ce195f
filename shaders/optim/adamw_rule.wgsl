// AdamW's step of one element, torch.optim.AdamW's arithmetic (included by adamw.wgsl, adamw_multi.wgsl and
// adamw_flat.wgsl, which share it bit for bit): from param p, clipped gradient g and moments m, v, with the tensor's
// lr, weight decay and step size (lr / (1 - beta1^t)) and the uniforms' beta1, beta2, eps and bc2_sqrt
// (sqrt(1 - beta2^t)), returns the new (p, m, v):
//   p = p * (1 - lr * weight_decay)
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//   p = p - step_size * m / (sqrt(v) / bc2_sqrt + eps)
fn adamw_rule(p_in: f32, g: f32, m_in: f32, v_in: f32, lr: f32, weight_decay: f32, step_size: f32) -> vec3<f32> {
  let p = p_in * (1.0 - lr * weight_decay);
  let m = params.beta1 * m_in + (1.0 - params.beta1) * g;
  let v = params.beta2 * v_in + (1.0 - params.beta2) * g * g;
  let denom = sqrt(v) / params.bc2_sqrt + params.eps;
  return vec3<f32>(p - step_size * m / denom, m, v);
}
