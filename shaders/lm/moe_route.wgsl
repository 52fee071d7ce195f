// A mixture-of-experts router (src/kernels/moe_route.ts planMoeRoute; reference src/ref/moe_route.ts moeRouteRef):
// llama.cpp's build_moe_ffn up to the experts' weights. Each row of logits [rows, experts] becomes probabilities (a
// softmax over the experts, or with SIGMOID a sigmoid of each); the `used` largest are the row's experts, larger
// first (ties to the lower index; a NaN is never chosen), weighted by their probabilities; with `norm` the chosen
// weights are divided by their sum, clamped below at 6.103515625e-5 as llama.cpp clamps it (Mixtral, Qwen3-MoE; not
// OLMoE, Qwen2-MoE); then times `scale`. BIAS (lfm2moe's exp_probs_b, DeepSeek V3's selection bias): the experts are
// chosen by probability + sel_bias[e], and weighted by the probability alone. y [rows, experts] holds each row's weights, 0 for the experts not chosen, so
// an expert's output is scaled by its column (the engine runs every expert on every row; a zero weight drops it).
// Groups (DeepSeek V3's group-limited selection, llama.cpp's n_expert_groups > 1): the experts split into `groups`
// runs of experts / groups; a group scores the sum of its two largest scores; the `group_used` best groups (larger
// first, ties to the lower index) keep their experts, the others' experts are never chosen.
// One invocation per row: a step has few rows, and a row's probabilities fit a private array of MAX_EXPERTS.
// MASK (training's top-k, src/ops/moe.ts moeTopKMask): the input holds the scores themselves (no softmax or bias),
// and y 1 for each chosen expert instead of its weight (the weights are then formed from graph ops, which carry the
// gradients).
struct Params {
  rows: u32,
  experts: u32,
  used: u32,
  norm: u32, // 1: renormalize the chosen weights to sum 1
  scale: f32,
  row_pitch: u32, // invocations per grid row
  groups: u32, // expert groups (0 or 1: none)
  group_used: u32, // groups whose experts may be chosen (with groups > 1)
}

const MAX_EXPERTS: u32 = 1024u; // src/kernels/moe_route.ts MOE_MAX_EXPERTS
const MAX_GROUPS: u32 = 64u; // src/kernels/moe_route.ts MOE_MAX_GROUPS
const LOWEST: f32 = -3.4028234e38; // below every score: probabilities in [0, 1] plus a finite bias

override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
#if BIAS
@group(0) @binding(3) var<storage, read> sel_bias: array<f32>;
#endif

// Leaves the experts of the `group_used` best groups (a group's score: its two largest) and sets every other to LOWEST.
fn mask_groups(s: ptr<function, array<f32, MAX_EXPERTS>>, per: u32) {
  var gs: array<f32, MAX_GROUPS>;
  for (var g = 0u; g < params.groups; g++) {
    var a = LOWEST; // the largest
    var b = LOWEST; // the second largest
    for (var e = g * per; e < (g + 1u) * per; e++) {
      let v = (*s)[e];
      if (v > a) {
        b = a;
        a = v;
      } else if (v > b) {
        b = v;
      }
    }
    gs[g] = a + b;
  }
  var keep: array<bool, MAX_GROUPS>;
  for (var k = 0u; k < params.group_used; k++) {
    var best = params.groups;
    var bv = -3.4028234e38;
    for (var g = 0u; g < params.groups; g++) {
      if (!keep[g] && (best == params.groups || gs[g] > bv)) {
        bv = gs[g];
        best = g;
      }
    }
    keep[best] = true;
  }
  for (var g = 0u; g < params.groups; g++) {
    if (!keep[g]) {
      for (var e = g * per; e < (g + 1u) * per; e++) {
        (*s)[e] = LOWEST;
      }
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.y * params.row_pitch + gid.x;
  if (r >= params.rows) {
    return;
  }
  let n = params.experts;
  let base = r * n;
  var p: array<f32, MAX_EXPERTS>;
#if MASK
  for (var e = 0u; e < n; e++) {
    p[e] = logits[base + e];
  }
#elif SIGMOID
  for (var e = 0u; e < n; e++) {
    p[e] = 1.0 / (1.0 + exp(-logits[base + e]));
  }
#else
  var mx = -3.4028234e38;
  for (var e = 0u; e < n; e++) {
    mx = max(mx, logits[base + e]);
  }
  var sum = 0.0;
  for (var e = 0u; e < n; e++) {
    p[e] = exp(logits[base + e] - mx);
    sum += p[e];
  }
  for (var e = 0u; e < n; e++) {
    p[e] = p[e] / sum;
  }
#endif
  for (var e = 0u; e < n; e++) {
    y[base + e] = 0.0;
  }
  // The `used` largest scores (the probabilities, plus the selection bias with BIAS), one pass each; a chosen
  // expert's score becomes LOWEST, which the strict comparison never picks again.
  var s: array<f32, MAX_EXPERTS>;
  for (var e = 0u; e < n; e++) {
#if BIAS
    s[e] = p[e] + sel_bias[e];
#else
    s[e] = p[e];
#endif
  }
  if (params.groups > 1u) {
    mask_groups(&s, n / params.groups);
  }
  var total = 0.0;
  for (var k = 0u; k < params.used; k++) {
    var best = n;
    var bv = LOWEST;
    for (var e = 0u; e < n; e++) {
      if (s[e] > bv) { // strict: ties to the lower index; NaN compares false
        bv = s[e];
        best = e;
      }
    }
    if (best == n) {
      break; // only NaN left
    }
#if MASK
    y[base + best] = 1.0;
#else
    y[base + best] = p[best];
#endif
    total += p[best];
    s[best] = LOWEST;
  }
#if !MASK
  var f = params.scale;
  if (params.norm != 0u) {
    f = f / max(total, 6.103515625e-5);
  }
  if (f != 1.0) {
    for (var e = 0u; e < n; e++) {
      y[base + e] = y[base + e] * f;
    }
  }
#endif
}
