// adamw_rule.wgsl over the flat `moments` buffer of adamw_multi.wgsl and adamw_flat.wgsl (an element's first moment
// at s, its second `params.total` elements further on): updates both, returns the new param.
fn adamw_step(p_in: f32, g: f32, s: u32, lr: f32, weight_decay: f32, step_size: f32) -> f32 {
  let sv = params.total + s;
  let r = adamw_rule(p_in, g, moments[s], moments[sv], lr, weight_decay, step_size);
  moments[s] = r.y;
  moments[sv] = r.z;
  return r.x;
}
