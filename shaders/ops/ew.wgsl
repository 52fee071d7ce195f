// Strided elementwise ops for the graph executor (src/ops/elementwise.ts). The output y is contiguous with
// `n` elements of shape `shape` (rank <= 8); inputs a and b are read through per-dimension element strides and
// an element offset, so views (transpose, slice) and broadcasting (stride 0) cost no copy. The planner merges
// dims that every operand reads as one (a dense tensor is one dim). An invocation writes a run of RUN adjacent
// elements of one row (the last dim), finding its row's offsets once (RUN > 1 on CPU adapters, where an
// invocation's fixed cost and the coordinates' divisions dominate; 1 on GPUs, so neighbours read neighbours);
// PAD and CONCAT write one element an invocation. The grid may be 2-D, so the linear index uses the row pitch.
//   unary   (a):    COPY y=a   AFFINE y=alpha*a+beta   SOFTCAP y=beta*tanh(alpha*a)   RELU   GELU (tanh form)   SILU
//                   CLAMP y=clamp(a, -alpha, alpha) (OLMo's clamp_kqv)
//   binary  (a, b): ADD SUB MUL DIV
//   backward(a=x, b=dy): RELU_BWD GELU_BWD SILU_BWD SOFTCAP_BWD   (y = dy * f'(x); SOFTCAP_BWD: f = beta tanh(alpha x), dy (1 - tanh^2) alpha beta)
//   PAD (a):    y = a[c - lo] inside a's box (b-strides slots carry a's shape), else 0  (slice backward)
//   CONCAT (a, b): along `axis`, coordinates below `split` read a, the rest read b at c - split
struct Params {
  n: u32, // elements (PAD, CONCAT) or invocations (the rest: rows * ceil(cols / RUN))
  rank: u32,
  row_pitch: u32, // invocations per grid row = workgroups.x * WG
  off_a: u32,
  off_b: u32,
  axis: u32,
  split: u32,
  alpha: f32,
  beta: f32,
  shape0: vec4<u32>,
  shape1: vec4<u32>,
  sa0: vec4<u32>,
  sa1: vec4<u32>,
  sb0: vec4<u32>,
  sb1: vec4<u32>,
  lo0: vec4<u32>,
  lo1: vec4<u32>,
}

override WG: u32 = 64;
override RUN: u32 = 1;

@group(0) @binding(0) var<storage, read> a: array<f32>;
#if BINARY
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_K: f32 = 0.044715;
// tanh's argument is clamped to +-15 (tanh = +-1 in f32 there): a tanh formed as a ratio of exponentials gives NaN
// at +-inf, which x^3 reaches for |x| > ~7e12.

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh(clamp(GELU_C * (x + GELU_K * x * x * x), -15.0, 15.0)));
}

fn gelu_grad(x: f32) -> f32 {
  let t = tanh(clamp(GELU_C * (x + GELU_K * x * x * x), -15.0, 15.0));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_K * x * x);
}

// The op on one element: x from a, z from b (0 for unary ops).
fn op(x: f32, z: f32) -> f32 {
#if COPY
  return x;
#elif AFFINE
  return fma(params.alpha, x, params.beta);
#elif SOFTCAP
  return params.beta * tanh(clamp(params.alpha * x, -15.0, 15.0)); // gemma2's logits: cap tanh(z / cap)
#elif RELU
  return max(x, 0.0);
#elif GELU
  return gelu(x);
#elif SILU
  return x * sigmoid(x);
#elif CLAMP
  return clamp(x, -params.alpha, params.alpha);
#elif ADD
  return x + z;
#elif SUB
  return x - z;
#elif MUL
  return x * z;
#elif DIV
  return x / z;
#elif RELU_BWD
  return select(0.0, z, x > 0.0);
#elif GELU_BWD
  return z * gelu_grad(x);
#elif SILU_BWD
  let s = sigmoid(x);
  return z * s * (1.0 + x * (1.0 - s));
#elif SOFTCAP_BWD
  let t = tanh(clamp(params.alpha * x, -15.0, 15.0));
  return z * (1.0 - t * t) * (params.alpha * params.beta);
#else
  return x; // PAD and CONCAT select in main
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.n) {
    return;
  }
  let shape = array<u32, 8>(params.shape0.x, params.shape0.y, params.shape0.z, params.shape0.w, params.shape1.x, params.shape1.y, params.shape1.z, params.shape1.w);
  let sa = array<u32, 8>(params.sa0.x, params.sa0.y, params.sa0.z, params.sa0.w, params.sa1.x, params.sa1.y, params.sa1.z, params.sa1.w);
  let sb = array<u32, 8>(params.sb0.x, params.sb0.y, params.sb0.z, params.sb0.w, params.sb1.x, params.sb1.y, params.sb1.z, params.sb1.w);
#if PAD
  let lo = array<u32, 8>(params.lo0.x, params.lo0.y, params.lo0.z, params.lo0.w, params.lo1.x, params.lo1.y, params.lo1.z, params.lo1.w);
  var rem = i;
  var oa = params.off_a;
  var inside = true;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let c = rem % shape[d];
    rem = rem / shape[d];
    if (c < lo[d] || c - lo[d] >= sb[d]) {
      inside = false;
    } else {
      oa += (c - lo[d]) * sa[d];
    }
  }
  y[i] = select(0.0, a[oa], inside);
#elif CONCAT
  var rem = i;
  var oa = params.off_a;
  var ob = params.off_b;
  var use_a = true;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let c = rem % shape[d];
    rem = rem / shape[d];
    if (u32(d) == params.axis && c >= params.split) {
      use_a = false;
      ob += (c - params.split) * sb[d];
    } else {
      oa += c * sa[d];
      ob += c * sb[d];
    }
  }
  y[i] = select(b[ob], a[oa], use_a);
#else
  // Invocation i: row r (every dim but the last), columns c0 .. c0 + RUN - 1 of it.
  let last = params.rank - 1u;
  let cols = shape[last];
  let chunks = (cols + RUN - 1u) / RUN;
  var rem = i / chunks;
  let c0 = (i - rem * chunks) * RUN;
  let yb = rem * cols;
  var oa = params.off_a;
  var ob = params.off_b;
  for (var d = i32(last) - 1; d >= 0; d--) {
    let c = rem % shape[d];
    rem = rem / shape[d];
    oa += c * sa[d];
    ob += c * sb[d];
  }
  let la = sa[last];
  let lb = sb[last];
  let c1 = min(c0 + RUN, cols);
  for (var c = c0; c < c1; c++) {
#if BINARY
    y[yb + c] = op(a[oa + c * la], b[ob + c * lb]);
#else
    y[yb + c] = op(a[oa + c * la], 0.0);
#endif
  }
#endif
}
