// SGD with momentum, dampening, Nesterov and (coupled) weight decay on f32 master weights: torch.optim.SGD.
//   g = grad * clip (CLIP: clip = clip_coef[1], the global-norm coefficient written by grad_norm.wgsl)
//   g = g + weight_decay * p
//   MOMENTUM: buf = first ? g : momentum * buf + (1 - dampening) * g;  g = nesterov ? g + momentum * buf : buf
//   p = p - lr * g
// One invocation per element; the grid may be 2-D (row_pitch).
struct Params {
  n: u32,
  row_pitch: u32,
  first: u32,    // 1 on the first step: the momentum buffer starts as a copy of g (PyTorch)
  nesterov: u32,
  lr: f32,
  momentum: f32,
  dampening: f32,
  weight_decay: f32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
#if MOMENTUM
@group(0) @binding(2) var<storage, read_write> momentum_buf: array<f32>;
#endif
#if CLIP
@group(0) @binding(3) var<storage, read> clip_coef: array<f32>;
#endif
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
  let p = param[i];
#if CLIP
  var g = grad[i] * clip_coef[1];
#else
  var g = grad[i];
#endif
  g = g + params.weight_decay * p;
#if MOMENTUM
  var buf = g;
  if (params.first == 0u) {
    buf = params.momentum * momentum_buf[i] + (1.0 - params.dampening) * g;
  }
  momentum_buf[i] = buf;
  if (params.nesterov != 0u) {
    g = g + params.momentum * buf;
  } else {
    g = buf;
  }
#endif
  param[i] = p - params.lr * g;
}
