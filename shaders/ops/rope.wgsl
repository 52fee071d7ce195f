// Rotary position embedding (src/ops/rope.ts) on a contiguous [..., T, D] tensor whose rows hold D / hd heads of
// hd values each (hd even; hd = D for one head). Position of row t is t + pos_offset; the first rd dims of a head
// (rd even, <= hd: partial rotary below hd) turn, pair j by the angle of the table cs [T, rd/2, 2] (cos, sin); the
// dims from rd on pass through. Two pairings:
//   rotate-half (norm = 0; GPT-NeoX, Hugging Face, GGUF qwen2): dimension j pairs with j + rd/2
//   adjacent    (norm = 1; GGUF llama's NORM layout):            dimension 2j pairs with 2j + 1
// With (a, b) the pair, y[a] = x[a] cos - x[b] sin, y[b] = x[b] cos + x[a] sin. `sign` = +1 rotates (forward);
// -1 rotates back (the backward: R^T dy).
// PAIR: two tensors of the same rows and head dim in one dispatch (a layer's q and k: x2 [..., T, D2] into y2), the
// first invocations on x's n elements, the next on x2's n2.
// Each invocation rotates a run of RUN adjacent elements (the tuning's elementwiseRun: 8 on CPU adapters, 1 on GPUs).
struct Params {
  n: u32,
  T: u32,
  D: u32,
  row_pitch: u32,
  sign: f32,
  hd: u32,
  norm: u32,
  n2: u32, // PAIR: elements of x2
  D2: u32, // PAIR: x2's row length
  rd: u32, // rotated dims of a head
}

override WG: u32 = 64;
override RUN: u32 = 1; // elements per invocation

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read> cs: array<f32>;
#if PAIR
@group(0) @binding(4) var<storage, read> x2: array<f32>;
@group(0) @binding(5) var<storage, read_write> y2: array<f32>;
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = gid.y * params.row_pitch + gid.x;
#if PAIR
  let runs = (params.n + RUN - 1u) / RUN; // invocations on x
  let second = g >= runs;
  let i0 = select(g, g - runs, second) * RUN;
  let D = select(params.D, params.D2, second);
  let i1 = min(i0 + RUN, select(params.n, params.n2, second));
#else
  let i0 = g * RUN;
  let D = params.D;
  let i1 = min(i0 + RUN, params.n);
#endif
  let half = params.rd / 2u;
  for (var i = i0; i < i1; i++) {
    let d = i % params.hd;
    let head = i - d;
    let t = (i / D) % params.T;
    if (d >= params.rd) { // past the rotated dims: passed through
#if PAIR
      if (second) {
        y2[i] = x2[i];
        continue;
      }
#endif
      y[i] = x[i];
      continue;
    }
    var j = d % half;
    var a = head + j;
    var b = head + j + half;
    var first = d < half;
    if (params.norm == 1u) {
      j = d / 2u;
      a = head + 2u * j;
      b = a + 1u;
      first = (d & 1u) == 0u;
    }
    let k = 2u * (t * half + j);
    let c = cs[k];
    let sn = params.sign * cs[k + 1u];
#if PAIR
    if (second) {
      if (first) {
        y2[i] = x2[a] * c - x2[b] * sn;
      } else {
        y2[i] = x2[b] * c + x2[a] * sn;
      }
      continue;
    }
#endif
    if (first) {
      y[i] = x[a] * c - x[b] * sn;
    } else {
      y[i] = x[b] * c + x[a] * sn;
    }
  }
}
