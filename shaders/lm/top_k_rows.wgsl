// The M largest logits of one row x[base .. base + cols) in order (larger first, ties to the lower index), the raw
// logits of up to `n_pen` listed ids, and the first NaN / +Inf (src/kernels/lm.ts planTopK): what sampling needs
// from a large vocabulary without reading the whole row back. llama.cpp's chain (penalties, top-k, top-p, min-p,
// temperature) then runs on these few values on the CPU (src/lm/sampling.ts Sampler.sampleTop): the top K of the
// penalised logits lie among the top K + (penalised ids) of the raw ones and the penalised ids themselves.
// A workgroup picks the M best of its candidates in one read: each invocation keeps the M best of its strided share in
// private memory (sorted; M <= MAXM, the preprocessor's array size), then M rounds of a tree reduction over the
// invocations' heads take them in order. Keys (common/best_key.wgsl): an order-preserving u32 of the float bits, -0 as
// +0, NaN below all (never picked). Three variants:
//   default: one workgroup over the whole row, writing `out`;
//   PARTIAL: workgroup g over the chunk [g * chunk, (g + 1) * chunk) of the row, writing its M best (key, index) and
//            its first bad index to `part` (a row split across workgroups: every core or SM takes a share);
//   MERGE:   one workgroup over the partial lists (G * M candidates), writing `out`.
// `out` (u32 words): [first bad index (cols if none), its bits, ids[M] (cols: none left), logit bits[M], gathered
// bits[n_pen]]. `part` (u32 words): per workgroup [bad, keys[M], ids[M]].
#include "common/best_key.wgsl"

struct Params {
  cols: u32,
  base: u32,
  m: u32,
  n_pen: u32,
  chunk: u32, // PARTIAL: elements per workgroup; MERGE: the number of partial lists
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
#if PARTIAL
@group(0) @binding(4) var<storage, read_write> part: array<u32>;
#else
@group(0) @binding(1) var<storage, read> pen: array<u32>; // [count, ids...]
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
#if MERGE
@group(0) @binding(4) var<storage, read> part: array<u32>;
#endif
#endif
@group(0) @binding(3) var<uniform> params: Params;

fn is_bad(i: u32) -> bool {
  let bits = bitcast<u32>(x[params.base + i]);
  return (bits & 0x7fffffffu) > 0x7f800000u || bits == 0x7f800000u; // NaN or +Inf
}

// The lowest bad index among each invocation's `bad`, for everyone (key 1 marks one).
fn first_bad(lid: u32, bad: u32, none: u32) -> u32 {
  red_key[lid] = select(0u, 1u, bad < none);
  red_idx[lid] = bad;
  reduce_best(lid);
  let b = select(none, red_idx[0], red_key[0] == 1u);
  workgroupBarrier(); // read before the arrays are written again
  return b;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  let cols = params.cols;
  let m = params.m;
#if PARTIAL
  let lo = wid.x * params.chunk;
  let hi = min(cols, lo + params.chunk);
  let count = hi - min(lo, hi);
  let pbase = wid.x * (1u + 2u * m);
#elif MERGE
  let count = params.chunk * m;
#else
  let count = cols;
#endif
  // The first NaN or +Inf.
  var bad = cols;
#if MERGE
  for (var g = lid; g < params.chunk; g += WG) {
    bad = min(bad, part[g * (1u + 2u * m)]);
  }
#else
  for (var i = lid; i < count; i += WG) {
#if PARTIAL
    let c = lo + i;
#else
    let c = i;
#endif
    if (bad == cols && is_bad(c)) {
      bad = c;
    }
  }
#endif
  let first = first_bad(lid, bad, cols);
  // Pass 1: each invocation keeps the m best of its strided share, sorted, in private arrays (one read).
  var keys: array<u32, {{MAXM}}>;
  var idxs: array<u32, {{MAXM}}>;
  var n = 0u;
  for (var i = lid; i < count; i += WG) {
#if PARTIAL
    let c = lo + i;
    let k = order_key(x[params.base + c]);
#elif MERGE
    // Candidate r of list g: its key and index (key 0: none).
    let g = i / m;
    let r = i - g * m;
    let k = part[g * (1u + 2u * m) + 1u + r];
    let c = part[g * (1u + 2u * m) + 1u + m + r];
#else
    let c = i;
    let k = order_key(x[params.base + c]);
#endif
    // NaN (or none) never; when full, only what beats the last kept. Equal keys: the lower index wins (the lists
    // and the row are read in index order within an invocation, but not across lists: compare indices too).
    if (k == 0u || (n == m && (k < keys[m - 1u] || (k == keys[m - 1u] && c > idxs[m - 1u])))) {
      continue;
    }
    var j = select(n, m - 1u, n == m);
    while (j > 0u && (keys[j - 1u] < k || (keys[j - 1u] == k && idxs[j - 1u] > c))) {
      keys[j] = keys[j - 1u];
      idxs[j] = idxs[j - 1u];
      j--;
    }
    keys[j] = k;
    idxs[j] = c;
    n = min(n + 1u, m);
  }
  // Pass 2: m rounds of a reduction over the invocations' heads; the winner's owner moves past it.
  var at = 0u;
  for (var r = 0u; r < m; r++) {
    let live = at < n;
    red_key[lid] = select(0u, keys[min(at, m - 1u)], live);
    red_idx[lid] = select(cols, idxs[min(at, m - 1u)], live);
    reduce_best(lid);
    let best_idx = red_idx[0];
    let best_key = red_key[0];
    if (live && best_key != 0u && idxs[min(at, m - 1u)] == best_idx) {
      at++;
    }
    if (lid == 0u) {
      let got = select(cols, best_idx, best_key != 0u);
#if PARTIAL
      part[pbase + 1u + r] = select(0u, best_key, got < cols);
      part[pbase + 1u + m + r] = got;
#else
      out[2u + r] = got;
      out[2u + m + r] = select(0u, bitcast<u32>(x[params.base + min(got, cols - 1u)]), got < cols);
#endif
    }
    workgroupBarrier(); // everyone has read red_*[0] before the next round writes it
  }
#if PARTIAL
  if (lid == 0u) {
    part[pbase] = first;
  }
#else
  if (lid == 0u) {
    out[0] = first;
    out[1] = select(0u, bitcast<u32>(x[params.base + min(first, cols - 1u)]), first < cols);
  }
  let np = min(pen[0], params.n_pen);
  for (var j = lid; j < np; j += WG) {
    out[2u + 2u * m + j] = bitcast<u32>(x[params.base + min(pen[1u + j], cols - 1u)]);
  }
#endif
}
