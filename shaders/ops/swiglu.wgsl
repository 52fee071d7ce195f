// SwiGLU (src/ops/fused.ts): y = silu(gate) * up over dense tensors of n elements, one invocation per run of RUN
// adjacent elements (the tuning's elementwiseRun: 8 on CPU adapters, 1 on GPUs); the backward gives both gradients
// in the same dispatch. The arithmetic is that of the composition
// mul(silu(gate), up) on shaders/ops/ew.wgsl (SILU, MUL, SILU_BWD), operation for operation.
//   forward:  (gate, up) -> y             y = (g * sigmoid(g)) * u
//   BACKWARD: (gate, up, dy) -> dgate, dup   dup = dy * silu(g); dgate = (dy * u) * s * (1 + g (1 - s)), s = sigmoid(g)
// With GELU the forward is GeGLU (gemma3's FFN, inference only): gelu(gate) * up, gelu in the tanh form of
// ew.wgsl's GELU (ggml's gelu); training composes mul(gelu(gate), up) instead. With RELU it is ReGLU, max(gate, 0) *
// up (inference only); called with gate = up it is arcee's squared ReLU, relu(u) * u = relu(u)^2 (0 or -0 at u <= 0).
// With OAI it is gpt-oss's clamped SwiGLU (ggml's swiglu_oai, inference only): g' = min(g, 7), u' = clamp(u, -7, 7),
// y = (g' / (1 + exp(-1.702 g'))) * (u' + 1). With SIGMOID it is qwen35's gated attention output, sigmoid(gate) * up
// (ggml's mul(x, sigmoid(gate)); inference only).
struct Params {
  n: u32,
  row_pitch: u32,
}

override WG: u32 = 64;
override RUN: u32 = 1; // elements per invocation

@group(0) @binding(0) var<storage, read> gate: array<f32>;
@group(0) @binding(1) var<storage, read> up: array<f32>;
#if BACKWARD
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dgate: array<f32>;
@group(0) @binding(4) var<storage, read_write> dup: array<f32>;
#else
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
#endif
@group(0) @binding(5) var<uniform> params: Params;

// As shaders/ops/ew.wgsl's.
fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

// gpt-oss's constants (llama.cpp's LLM_FFN_SWIGLU_OAI_MOE: alpha 1.702, limit 7).
const OAI_ALPHA: f32 = 1.702;
const OAI_LIMIT: f32 = 7.0;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_K: f32 = 0.044715;
// tanh's argument is clamped to +-15 (tanh = +-1 in f32 there): a tanh formed as a ratio of exponentials gives NaN
// at +-inf, which x^3 reaches for |x| > ~7e12.

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh(clamp(GELU_C * (x + GELU_K * x * x * x), -15.0, 15.0)));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i0 = (gid.y * params.row_pitch + gid.x) * RUN;
  let i1 = min(i0 + RUN, params.n);
  for (var i = i0; i < i1; i++) {
    let g = gate[i];
#if BACKWARD
    let d = dy[i];
    let s = sigmoid(g);
    dup[i] = d * (g * s);
    dgate[i] = (d * up[i]) * s * (1.0 + g * (1.0 - s));
#else
#if GELU
    y[i] = gelu(g) * up[i];
#elif RELU
    y[i] = max(g, 0.0) * up[i];
#elif SIGMOID
    y[i] = sigmoid(g) * up[i];
#elif OAI
    let x = min(g, OAI_LIMIT);
    y[i] = (x / (1.0 + exp(OAI_ALPHA * -x))) * (clamp(up[i], -OAI_LIMIT, OAI_LIMIT) + 1.0);
#else
    let silu = g * sigmoid(g);
    y[i] = silu * up[i];
#endif
#endif
  }
}
