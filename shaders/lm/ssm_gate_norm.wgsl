// Mamba-2's gated group norm (granitehybrid; src/kernels/ssm.ts planSsmGateNorm, reference src/ref/ssm.ts
// ssmGateNormRef): v = silu(z) * y, z the columns [0, inner) of zx's rows (row stride zx_stride: ssm_in's output);
// then each group of inner / G channels RMS-normalized and times its weights:
//   out[t, g, c] = v / sqrt(mean_c v^2 + eps) * w[g, c]          (ggml's swiglu_split, rms_norm, mul)
// One invocation per (row, group): the group's sum of squares, then its values. NO_NORM (a Falcon-H1 file without
// ssm_norm): out = silu(z) * y as it is. NORM_FIRST (qwen35's Gated DeltaNet, groups = its value heads): the norm
// of y itself, then the gate, the weights [inner / G] shared by the groups (ggml's rms_norm, mul, mul(silu(z))):
//   out[t, g, c] = y / sqrt(mean_c y^2 + eps) * w[c] * silu(z)
struct Params {
  T: u32,
  inner: u32,
  groups: u32,
  zx_stride: u32,
  eps: f32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> zx: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
#if !NO_NORM
@group(0) @binding(2) var<storage, read> w: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

fn gated(t: u32, j: u32) -> f32 {
  let z = zx[t * params.zx_stride + j];
  return (z / (1.0 + exp(-z))) * y[t * params.inner + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y * params.row_pitch + gid.x;
  if (r >= params.T * params.groups) {
    return;
  }
  let t = r / params.groups;
  let cols = params.inner / params.groups;
  let j0 = (r % params.groups) * cols;
#if NORM_FIRST
  var ss = 0.0;
  for (var c = 0u; c < cols; c++) {
    let v = y[t * params.inner + j0 + c];
    ss += v * v;
  }
  let scale = 1.0 / sqrt(ss / f32(cols) + params.eps);
  for (var c = 0u; c < cols; c++) {
    let z = zx[t * params.zx_stride + j0 + c];
    out[t * params.inner + j0 + c] = ((y[t * params.inner + j0 + c] * scale) * w[c]) * (z / (1.0 + exp(-z)));
  }
#elif NO_NORM
  for (var c = 0u; c < cols; c++) {
    out[t * params.inner + j0 + c] = gated(t, j0 + c);
  }
#else
  var ss = 0.0;
  for (var c = 0u; c < cols; c++) {
    let v = gated(t, j0 + c);
    ss += v * v;
  }
  let scale = 1.0 / sqrt(ss / f32(cols) + params.eps);
  for (var c = 0u; c < cols; c++) {
    out[t * params.inner + j0 + c] = gated(t, j0 + c) * scale * w[j0 + c];
  }
#endif
}
