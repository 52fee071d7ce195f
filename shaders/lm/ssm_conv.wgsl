// Mamba-2's causal depthwise convolution (granitehybrid; src/kernels/ssm.ts planSsmConv, reference src/ref/ssm.ts
// ssmConvRef): for each of `ch` channels, the columns [offset, offset + ch) of src's T rows (row stride `stride`:
// ssm_in's output, whose xBC this reads in place),
//   y[t, c] = silu(sum_k w[c, k] x[t - (taps-1) + k, c] + bias[c])      (tap taps-1 the current row, ggml_ssm_conv's
//                                                                        order; then ggml's add and silu)
// The rows before the step's first come from `state` [taps - 1, ch] (oldest first), or zeros where the step starts
// at position 0 (pos[0] == 0); the step leaves its last taps - 1 inputs there. One invocation per channel walks
// the step's rows with the window in registers. NO_BIAS: without the bias (qwen35's Gated DeltaNet convolution of
// q | k | v, attn_qkv's output read whole: offset 0, stride ch).
struct Params {
  T: u32,
  ch: u32,
  stride: u32,
  offset: u32,
  taps: u32,
  row_pitch: u32,
}

// The largest kernel the registers hold (Mamba-2's is 4; src/nn/llama_ssm.ts SSM_MAX_TAPS).
const MAX_TAPS: u32 = 8u;
override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
#if !NO_BIAS
@group(0) @binding(2) var<storage, read> bias: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> state: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<i32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.y * params.row_pitch + gid.x;
  if (c >= params.ch) {
    return;
  }
  let L = params.taps;
  var win: array<f32, MAX_TAPS>;
  for (var j = 0u; j + 1u < L; j++) {
    win[j] = select(state[j * params.ch + c], 0.0, pos[0] == 0);
  }
  for (var t = 0u; t < params.T; t++) {
    let cur = src[t * params.stride + params.offset + c];
    var s = 0.0;
    for (var k = 0u; k + 1u < L; k++) {
      s += w[c * L + k] * win[k];
    }
    s += w[c * L + L - 1u] * cur;
#if NO_BIAS
    let v = s;
#else
    let v = s + bias[c];
#endif
    y[t * params.ch + c] = v / (1.0 + exp(-v));
    for (var j = 0u; j + 2u < L; j++) {
      win[j] = win[j + 1u];
    }
    win[L - 2u] = cur;
  }
  for (var j = 0u; j + 1u < L; j++) {
    state[j * params.ch + c] = win[j];
  }
}
