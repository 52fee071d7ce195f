// The 'splitcols' GEMV's shared parts (matmul_w4a16 / w8a16 and matmul_w8a8, PATH_COLS): its override constants,
// the 16-byte chunk loads of W, and the reduction of each invocation's per-(row, column) sums. The including kernel
// defines MAXM, `alias CA` (its accumulator type: f32, or i32 where the sums are exact integers) and
// `fn cols_out(m: u32, n: u32, t: CA)`, which rescales a reduced sum and writes y[m, n].
override COLS: u32 = 4u;  // output columns per workgroup, 1 ..= MAXC, <= WG
override ROWS: u32 = 1u;  // rows of x (params.M), fixed per pipeline so that every row and column loop unrolls
override SGMIN: u32 = 1u; // the adapter's smallest subgroup size: bounds the subgroups per workgroup (SUBGROUPS)
const MAXC: u32 = 8u;
const NACC: u32 = MAXM * MAXC; // an invocation's sums, [row][column] (one constant: naga compares array types by it)

#if W_V4
fn chunk(n: u32, ci: u32) -> vec4<u32> {
  return w_q[n * (params.wpr / 4u) + ci];
}
#else
// Rows of a word count not a multiple of 4: four scalar loads; in the last chunk of a row, the words past its end
// repeat the last word (their activations are zero in the including kernel, so they add nothing).
fn chunk(n: u32, ci: u32) -> vec4<u32> {
  let b = n * params.wpr;
  let e = params.wpr - 1u;
  let w0 = 4u * ci;
  return vec4<u32>(w_q[b + w0], w_q[b + min(w0 + 1u, e)], w_q[b + min(w0 + 2u, e)], w_q[b + min(w0 + 3u, e)]);
}
#endif

#if SUBGROUPS
var<workgroup> part: array<CA, (WG + SGMIN - 1u) / SGMIN * COLS>; // [subgroup slot][column]
var<workgroup> slots: atomic<u32>;
#else
var<workgroup> part: array<CA, WG * COLS>; // [column][invocation]
#endif

// Sums acc[m * MAXC + c] over the workgroup for each row m and column c0 + c, a row at a time: subgroupAdd, then one
// slot per subgroup taken from a counter (no assumption on how invocations map to subgroups), or a workgroup tree.
// Columns past N are not written. Called from uniform control flow (every invocation, once).
fn reduce_cols(c0: u32, lid: u32, lane: u32, acc: ptr<function, array<CA, NACC>>) {
#if SUBGROUPS
  var slot = 0u;
  if (lane == 0u) {
    slot = atomicAdd(&slots, 1u);
  }
  for (var m = 0u; m < ROWS; m++) {
    var sums: array<CA, MAXC>;
    for (var c = 0u; c < COLS; c++) {
      sums[c] = subgroupAdd((*acc)[m * MAXC + c]);
    }
    if (lane == 0u) {
      for (var c = 0u; c < COLS; c++) {
        part[slot * COLS + c] = sums[c];
      }
    }
    workgroupBarrier();
    let used = atomicLoad(&slots);
    if (lid < COLS && c0 + lid < params.N) {
      var t = CA(0);
      for (var sl = 0u; sl < used; sl++) {
        t += part[sl * COLS + lid];
      }
      cols_out(m, c0 + lid, t);
    }
    workgroupBarrier();
  }
#else
  for (var m = 0u; m < ROWS; m++) {
    for (var c = 0u; c < COLS; c++) {
      part[c * WG + lid] = (*acc)[m * MAXC + c];
    }
    for (var h = WG / 2u; h > 0u; h >>= 1u) {
      workgroupBarrier();
      if (lid < h) {
        for (var c = 0u; c < COLS; c++) {
          part[c * WG + lid] += part[c * WG + lid + h];
        }
      }
    }
    workgroupBarrier();
    if (lid < COLS && c0 + lid < params.N) {
      cols_out(m, c0 + lid, part[lid * WG]);
    }
    workgroupBarrier();
  }
#endif
}
