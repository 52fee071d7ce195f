// The M largest logits of one row x[base .. base + cols) in order (larger first, ties to the lower index), the raw
// logits of up to `n_pen` listed ids, and the first NaN / +Inf (src/kernels/lm.ts planTopK): what sampling needs
// from a large vocabulary without reading the whole row back. llama.cpp's chain (penalties, top-k, top-p, min-p,
// temperature) then runs on these few values on the CPU (src/lm/sampling.ts Sampler.sampleTop): the top K of the
// penalised logits lie among the top K + (penalised ids) of the raw ones and the penalised ids themselves.
// One workgroup, one read of the row: each invocation keeps the M best of its strided share in private memory
// (sorted; M <= MAXM, the preprocessor's array size), then M rounds of a tree reduction over the invocations' heads
// pick them in order. Keys as argmax_rows.wgsl: an order-preserving u32 of the float bits, -0 as +0, NaN below all
// (never picked). Output (u32 words): [first bad index (cols if none), its bits, ids[M] (cols: none left),
// logit bits[M], gathered bits[n_pen]].
#include "common/best_key.wgsl"

struct Params {
  cols: u32,
  base: u32,
  m: u32,
  n_pen: u32,
}

override WG: u32 = 64; // a power of two

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> pen: array<u32>; // [count, ids...]
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let cols = params.cols;
  let m = params.m;
  // The first NaN or +Inf (a reduction on the lowest index: key 1 for a bad element, 0 otherwise).
  var bad = cols;
  for (var c = lid; c < cols; c += WG) {
    let mag = bitcast<u32>(x[params.base + c]) & 0x7fffffffu;
    if (bad == cols && (mag > 0x7f800000u || bitcast<u32>(x[params.base + c]) == 0x7f800000u)) {
      bad = c;
    }
  }
  red_key[lid] = select(0u, 1u, bad < cols);
  red_idx[lid] = bad;
  reduce_best(lid);
  if (lid == 0u) {
    out[0] = select(cols, red_idx[0], red_key[0] == 1u);
    out[1] = select(0u, bitcast<u32>(x[params.base + min(red_idx[0], cols - 1u)]), red_key[0] == 1u);
  }
  let count = min(pen[0], params.n_pen);
  for (var j = lid; j < count; j += WG) {
    out[2u + 2u * m + j] = bitcast<u32>(x[params.base + min(pen[1u + j], cols - 1u)]);
  }
  // Pass 1: each invocation keeps the m best of its strided share, sorted, in private arrays (one read of the row).
  var keys: array<u32, {{MAXM}}>;
  var idxs: array<u32, {{MAXM}}>;
  var n = 0u;
  for (var c = lid; c < cols; c += WG) {
    let k = order_key(x[params.base + c]);
    // NaN never; when full, only what beats the last kept (an equal key came earlier here: its lower index wins).
    if (k == 0u || (n == m && k <= keys[m - 1u])) {
      continue;
    }
    var j = select(n, m - 1u, n == m);
    while (j > 0u && keys[j - 1u] < k) {
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
      out[2u + r] = got;
      out[2u + m + r] = select(0u, bitcast<u32>(x[params.base + min(got, cols - 1u)]), got < cols);
    }
    workgroupBarrier(); // everyone has read red_*[0] before the next round writes it
  }
}
