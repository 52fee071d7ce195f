// Mamba-2's selective scan (granitehybrid; src/kernels/ssm.ts planSsmScan, reference src/ref/ssm.ts ssmScanRef).
// xbc [T, ch] is the convolution's output: x [H, P] in columns [0, inner), B [G, N] in [inner, inner + G N), C [G, N]
// after it; dt is column dt_offset + h of zx's rows (row stride zx_stride: ssm_in's output). Per row t and head h
// (group g = h / (H / G)), as ggml_ssm_scan:
//   dt' = softplus(dt + dt_bias[h])  (dt itself past 20, else log(1 + e^dt));  dA = exp(dt' A[h])
//   s[h, p, n] = s dA + B[g, n] (x[h, p] dt');  y[t, h, p] = sum_n s C[g, n] + x[h, p] D[h]
// The state [H, P, N] is the layer's, carried across steps (zeros where the step starts at position 0, pos[0] == 0).
// One invocation per (h, p) walks the rows, its N states in the buffer.
struct Params {
  T: u32,
  heads: u32,
  head_dim: u32,
  d_state: u32,
  groups: u32,
  zx_stride: u32,
  dt_offset: u32,
  row_pitch: u32,
}

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> xbc: array<f32>;
@group(0) @binding(1) var<storage, read> zx: array<f32>;
@group(0) @binding(2) var<storage, read> dt_bias: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> d: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<storage, read> pos: array<i32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  let P = params.head_dim;
  let N = params.d_state;
  let H = params.heads;
  if (i >= H * P) {
    return;
  }
  let h = i / P;
  let inner = H * P;
  let G = params.groups;
  let ch = inner + 2u * G * N;
  let g = h / (H / G);
  let b0 = inner + g * N;
  let c0 = inner + G * N + g * N;
  let s0 = i * N;
  if (pos[0] == 0) {
    for (var n = 0u; n < N; n++) {
      state[s0 + n] = 0.0;
    }
  }
  for (var t = 0u; t < params.T; t++) {
    let raw = zx[t * params.zx_stride + params.dt_offset + h] + dt_bias[h];
    let dt = select(log(1.0 + exp(raw)), raw, raw > 20.0);
    let dA = exp(dt * a[h]);
    let x = xbc[t * ch + i];
    let x_dt = x * dt;
    var acc = 0.0;
    for (var n = 0u; n < N; n++) {
      let s = state[s0 + n] * dA + xbc[t * ch + b0 + n] * x_dt;
      state[s0 + n] = s;
      acc += s * xbc[t * ch + c0 + n];
    }
    y[t * inner + i] = acc + x * d[h];
  }
}
