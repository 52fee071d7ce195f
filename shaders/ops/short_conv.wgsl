// LFM2's gated short convolution (llama.cpp's shortconv block; src/ops/short_conv.ts for training, planShortConv in
// src/kernels/lm.ts for the engine; reference: src/ref/ops.ts shortConv). Per row r of a sequence and channel c:
//   bx[r, c] = B[r, c] * X[r, c]                         bcx [R, 3 dim] holds B | C | X (in_proj's output, in order)
//   s[r, c]  = sum_k w[c, k] * bx[r - (L-1) + k, c]      k = 0..L-1; rows before the sequence's first read 0, or the
//                                                        engine's conv state (the last L-1 bx of the positions before)
//   y[r, c]  = C[r, c] * s[r, c]
// w [dim, L] as GGUF stores shortconv.conv.weight (ggml_ssm_conv's order: tap L-1 multiplies the current row). R rows
// are R / seq sequences of `seq` rows each (training's batch; the engine's step is one sequence).
//   forward:      one invocation per (sequence, channel), the rows in order with the last L-1 bx in registers.
//                 STATE (engine): they start from `state` [L-1, dim] (oldest first), or zeros when the step starts at
//                 position 0 (pos[0] == 0), and the last L-1 after the step are written back.
//   BACKWARD:     dbcx [R, 3 dim], one invocation per (row, channel): ds[r] = dy[r] C[r]; dC = dy s;
//                 dbx[r] = sum_k w[c, k] ds[r + (L-1) - k] (rows of the same sequence); dB = dbx X; dX = dbx B.
//   WEIGHT_GRAD:  dw [dim, L], one invocation per (channel, tap): sum over rows of ds[r] bx[r - (L-1) + k].
struct Params {
  rows: u32,
  seq: u32,
  dim: u32,
  taps: u32,
  row_pitch: u32, // invocations per grid row (grid1d)
}

// The largest kernel the forward's registers hold (LFM2's is 3).
const MAX_TAPS: u32 = 8u;
override WG: u32 = 64;

@group(0) @binding(0) var<storage, read> bcx: array<f32>;
#if !WEIGHT_GRAD
@group(0) @binding(1) var<storage, read> w: array<f32>;
#endif
#if BACKWARD
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dbcx: array<f32>;
#elif WEIGHT_GRAD
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
#else
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
#if STATE
@group(0) @binding(6) var<storage, read_write> state: array<f32>;
@group(0) @binding(7) var<storage, read> pos: array<i32>;
#endif
#endif
@group(0) @binding(8) var<uniform> params: Params;

fn bxAt(r: u32, c: u32) -> f32 {
  let o = r * 3u * params.dim;
  return bcx[o + c] * bcx[o + 2u * params.dim + c];
}

#if BACKWARD
// s[r, c]: the convolution at row r (sequence start r0).
fn convAt(r: u32, r0: u32, c: u32) -> f32 {
  let L = params.taps;
  var s = 0.0;
  for (var k = 0u; k < L; k++) {
    if (r + k >= r0 + L - 1u) {
      s += w[c * L + k] * bxAt(r + k - (L - 1u), c);
    }
  }
  return s;
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let d = params.dim;
  let L = params.taps;
#if BACKWARD
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= params.rows * d) {
    return;
  }
  let r = i / d;
  let c = i % d;
  let r0 = r - r % params.seq;
  let o = r * 3u * d;
  let g = dy[r * d + c];
  dbcx[o + d + c] = g * convAt(r, r0, c);
  var dbx = 0.0;
  for (var k = 0u; k < L; k++) {
    let j = r + (L - 1u) - k; // the row whose sum tap k reads r into
    if (j < r0 + params.seq) {
      dbx += w[c * L + k] * (dy[j * d + c] * bcx[j * 3u * d + d + c]);
    }
  }
  dbcx[o + c] = dbx * bcx[o + 2u * d + c];
  dbcx[o + 2u * d + c] = dbx * bcx[o + c];
#elif WEIGHT_GRAD
  let i = gid.y * params.row_pitch + gid.x;
  if (i >= d * L) {
    return;
  }
  let c = i / L;
  let k = i % L;
  var acc = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let r0 = r - r % params.seq;
    if (r + k >= r0 + L - 1u) {
      acc += (dy[r * d + c] * bcx[r * 3u * d + d + c]) * bxAt(r + k - (L - 1u), c);
    }
  }
  dw[c * L + k] = acc;
#else
  let i = gid.y * params.row_pitch + gid.x;
  let nSeq = params.rows / params.seq;
  if (i >= nSeq * d) {
    return;
  }
  let c = i % d;
  let r0 = (i / d) * params.seq;
  // win[j]: bx of row r - (L-1) + j for the row r about to be computed (j < L-1).
  var win: array<f32, MAX_TAPS>;
  for (var j = 0u; j + 1u < L; j++) {
    win[j] = 0.0;
#if STATE
    if (pos[0] != 0) {
      win[j] = state[j * d + c];
    }
#endif
  }
  for (var r = r0; r < r0 + params.seq; r++) {
    let cur = bxAt(r, c);
    var s = 0.0;
    for (var k = 0u; k + 1u < L; k++) {
      s += w[c * L + k] * win[k];
    }
    s += w[c * L + L - 1u] * cur;
    y[r * d + c] = bcx[r * 3u * d + d + c] * s;
    for (var j = 0u; j + 2u < L; j++) {
      win[j] = win[j + 1u];
    }
    win[L - 2u] = cur;
  }
#if STATE
  for (var j = 0u; j + 1u < L; j++) {
    state[j * d + c] = win[j];
  }
#endif
#endif
}
