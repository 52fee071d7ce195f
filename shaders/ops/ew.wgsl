// Strided elementwise ops for the graph executor (src/ops/elementwise.ts). The output y is contiguous with
// `n` elements of shape `shape` (rank <= 8); inputs a and b are read through per-dimension element strides and
// an element offset, so views (transpose, slice) and broadcasting (stride 0) cost no copy. One invocation per
// output element; the grid may be 2-D, so the linear index uses the dispatch's row pitch.
//   unary   (a):    COPY y=a   AFFINE y=alpha*a+beta   RELU   GELU (tanh form)   SILU
//   binary  (a, b): ADD SUB MUL DIV
//   backward(a=x, b=dy): RELU_BWD GELU_BWD SILU_BWD   (y = dy * f'(x))
//   PAD (a):    y = a[c - lo] inside a's box (b-strides slots carry a's shape), else 0  (slice backward)
//   CONCAT (a, b): along `axis`, coordinates below `split` read a, the rest read b at c - split
struct Params {
  n: u32,
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

@group(0) @binding(0) var<storage, read> a: array<f32>;
#if BINARY
@group(0) @binding(1) var<storage, read> b: array<f32>;
#endif
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2/pi)
const GELU_K: f32 = 0.044715;

fn sigmoid(x: f32) -> f32 {
  return 1.0 / (1.0 + exp(-x));
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + tanh(GELU_C * (x + GELU_K * x * x * x)));
}

fn gelu_grad(x: f32) -> f32 {
  let t = tanh(GELU_C * (x + GELU_K * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * GELU_C * (1.0 + 3.0 * GELU_K * x * x);
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
  let lo = array<u32, 8>(params.lo0.x, params.lo0.y, params.lo0.z, params.lo0.w, params.lo1.x, params.lo1.y, params.lo1.z, params.lo1.w);
  var rem = i;
  var oa = params.off_a;
  var ob = params.off_b;
  var inside = true;
  var use_a = true;
  for (var d = i32(params.rank) - 1; d >= 0; d--) {
    let c = rem % shape[d];
    rem = rem / shape[d];
#if PAD
    if (c < lo[d] || c - lo[d] >= sb[d]) {
      inside = false;
    } else {
      oa += (c - lo[d]) * sa[d];
    }
#elif CONCAT
    if (u32(d) == params.axis && c >= params.split) {
      use_a = false;
      ob += (c - params.split) * sb[d];
    } else {
      oa += c * sa[d];
      ob += c * sb[d];
    }
#else
    oa += c * sa[d];
    ob += c * sb[d];
#endif
  }
#if PAD
  y[i] = select(0.0, a[oa], inside);
#elif CONCAT
  y[i] = select(b[ob], a[oa], use_a);
#elif COPY
  y[i] = a[oa];
#elif AFFINE
  y[i] = fma(params.alpha, a[oa], params.beta);
#elif RELU
  y[i] = max(a[oa], 0.0);
#elif GELU
  y[i] = gelu(a[oa]);
#elif SILU
  let x = a[oa];
  y[i] = x * sigmoid(x);
#elif ADD
  y[i] = a[oa] + b[ob];
#elif SUB
  y[i] = a[oa] - b[ob];
#elif MUL
  y[i] = a[oa] * b[ob];
#elif DIV
  y[i] = a[oa] / b[ob];
#elif RELU_BWD
  y[i] = select(0.0, b[ob], a[oa] > 0.0);
#elif GELU_BWD
  y[i] = b[ob] * gelu_grad(a[oa]);
#elif SILU_BWD
  let x = a[oa];
  let s = sigmoid(x);
  y[i] = b[ob] * s * (1.0 + x * (1.0 - s));
#endif
}
