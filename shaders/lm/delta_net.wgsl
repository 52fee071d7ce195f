// Gated DeltaNet's recurrence (qwen35's linear-attention layers; src/kernels/delta_net.ts planDeltaNet, reference
// src/ref/delta_net.ts deltaNetScanRef; src/nn/llama_delta_net.ts has the layer). qkv [T, (2 Hk + Hv) D] is the
// convolution's output: q [Hk, D] in columns [0, Hk D), k [Hk, D] after it, v [Hv, D] after those; beta and alpha
// [T, Hv] are ssm_beta's and ssm_alpha's outputs. Per row t and value head h (key head h % Hk, as llama.cpp tiles
// them for qwen35; h / (Hv / Hk) with `k_repeat`, as it repeats each for qwen3next), as ggml_l2_norm, ggml_softplus
// and ggml_gated_delta_net:
//   q, k = q / max(|q|, eps), k / max(|k|, eps)
//   g = softplus(alpha + dt_bias[h]) a[h];  b = sigmoid(beta)
//   S = S exp(g);  d[j] = (v[j] - sum_i S[i, j] k[i]) b;  S[i, j] += k[i] d[j];  y[t, h, j] = sum_i S[i, j] q[i] / sqrt(D)
// The state [Hv, D, D] (S[i, j] at h D D + i D + j) is the layer's, carried across steps (zeros where the step starts
// at position 0, pos[0] == 0). One workgroup per value head walks the rows; its invocations own columns j of S
// (j = local index + m WG) and share the row's q and k through workgroup memory.
struct Params {
  T: u32,
  k_heads: u32,
  v_heads: u32,
  d: u32,
  eps: f32,
  k_repeat: u32, // 1: value head h reads key head h / (Hv / Hk) (Qwen3-Next); 0: h % Hk (Qwen3.5)
}

override WG: u32 = 64;
// The largest head (src/nn/llama_delta_net.ts DELTA_NET_MAX_HEAD).
const MAX_D: u32 = 256u;

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read> beta: array<f32>;
@group(0) @binding(2) var<storage, read> alpha: array<f32>;
@group(0) @binding(3) var<storage, read> dt_bias: array<f32>;
@group(0) @binding(4) var<storage, read> a: array<f32>;
@group(0) @binding(5) var<storage, read_write> state: array<f32>;
@group(0) @binding(6) var<storage, read> pos: array<i32>;
@group(0) @binding(7) var<storage, read_write> y: array<f32>;
@group(0) @binding(8) var<uniform> params: Params;

var<workgroup> qs: array<f32, MAX_D>;
var<workgroup> ks: array<f32, MAX_D>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let h = wid.x;
  let D = params.d;
  let Hk = params.k_heads;
  let Hv = params.v_heads;
  let ch = (2u * Hk + Hv) * D;
  let kh = select(h % Hk, h / (Hv / Hk), params.k_repeat != 0u);
  let s0 = h * D * D;
  if (pos[0] == 0) {
    for (var j = lid; j < D; j += WG) {
      for (var i = 0u; i < D; i++) {
        state[s0 + i * D + j] = 0.0;
      }
    }
  }
  let inv_sqrt_d = 1.0 / sqrt(f32(D));
  for (var t = 0u; t < params.T; t++) {
    let row = t * ch;
    for (var i = lid; i < D; i += WG) {
      qs[i] = qkv[row + kh * D + i];
      ks[i] = qkv[row + Hk * D + kh * D + i];
    }
    workgroupBarrier();
    var qq = 0.0;
    var kk = 0.0;
    for (var i = 0u; i < D; i++) {
      qq += qs[i] * qs[i];
      kk += ks[i] * ks[i];
    }
    let q_scale = 1.0 / max(sqrt(qq), params.eps);
    let k_scale = 1.0 / max(sqrt(kk), params.eps);
    let raw = alpha[t * Hv + h] + dt_bias[h];
    let sp = select(log(1.0 + exp(raw)), raw, raw > 20.0);
    let decay = exp(sp * a[h]);
    let b = 1.0 / (1.0 + exp(-beta[t * Hv + h]));
    for (var j = lid; j < D; j += WG) {
      var kv = 0.0;
      for (var i = 0u; i < D; i++) {
        kv += (state[s0 + i * D + j] * decay) * (ks[i] * k_scale);
      }
      let dj = (qkv[row + 2u * Hk * D + h * D + j] - kv) * b;
      var o = 0.0;
      for (var i = 0u; i < D; i++) {
        let s = state[s0 + i * D + j] * decay + (ks[i] * k_scale) * dj;
        state[s0 + i * D + j] = s;
        o += s * (qs[i] * q_scale);
      }
      y[t * Hv * D + h * D + j] = o * inv_sqrt_d;
    }
    workgroupBarrier();
  }
}
