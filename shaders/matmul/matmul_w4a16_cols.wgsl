// matmul_w4a16.wgsl's 'splitcols' path (PATH_COLS): a GEMV with several output columns per workgroup. Included
// by matmul_w4a16.wgsl, whose bindings, decoding and epilogue it uses.
// GEMV, COLS output columns per workgroup. Row n of W is read in chunks of 16 bytes (4 words: 32 4-bit or 16 8-bit
// codes); invocation lid takes chunks lid, lid + WG, ... of every one of the workgroup's columns, so each step issues
// COLS independent 16-byte loads and adjacent invocations read adjacent chunks of a row. x for a chunk is loaded once
// per row and serves all COLS columns; each word's dot product runs in XS (as in word_dot) and is rescaled in f32 by
// its group's scale, loaded once per chunk where the chunk lies in one group (GCHUNK: group a multiple of the chunk,
// or one group per row), else once per word. Then one reduction per (row, column): subgroupAdd (SUBGROUPS) or a
// workgroup tree, a row at a time. Columns past N (the last workgroup) read row N-1 and are not written.
// x is not staged in workgroup memory: each chunk of x is needed only by the invocation that owns the chunk (for all
// its columns), so staging would add a barrier and no reuse; the workgroup reads x once, through L1/L2.
alias CA = f32;

fn cols_out(m: u32, n: u32, t: f32) {
  epilogue(m, n, t);
}

#include "common/gemv_cols.wgsl"

// x[m, k0 .. k0 + 4 * CPW) for chunk ci as vec4s (two per word for W4, one for W8); zero past the row's last word.
fn x_chunk(m: u32, ci: u32) -> array<vec4<XS>, CPW> {
  var xa: array<vec4<XS>, CPW>;
  for (var j = 0u; j < 4u; j++) {
#if !W_V4
    if (4u * ci + j >= params.wpr) {
      break;
    }
#endif
    let k = (4u * ci + j) * CPW;
#if W8
    xa[j] = x4(m, k);
#elif X_VEC
#if ACT_F16P
    let v = x[x_index(m, k) / 8u];
    xa[2u * j] = vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y));
    xa[2u * j + 1u] = vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w));
#else
    xa[2u * j] = x4(m, k);
    xa[2u * j + 1u] = x4(m, k + 4u);
#endif
#else
    xa[2u * j] = x4(m, k);
    xa[2u * j + 1u] = x4(m, k + 4u);
#endif
  }
  return xa;
}

@compute @workgroup_size(WG)
#if SUBGROUPS
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32) {
#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let lane = 0u;
#endif
  let c0 = (wid.y * params.grid_x + wid.x) * COLS;
  if (c0 >= params.N) {
    return;
  }
  let nchunks = (params.wpr + 3u) / 4u;
  let iters = (nchunks + WG - 1u) / WG;
  var acc: array<CA, NACC>; // [row][column]
  for (var it = 0u; it < iters; it++) {
    let ci = it * WG + lid;
    if (ci >= nchunks) {
      continue;
    }
    let k0 = ci * 4u * CPW;
    var cw: array<vec4<u32>, MAXC>;
    var sv: array<vec4<f32>, MAXC>; // scale of each word's group
#if ZEROS
    var zc: array<vec4<f32>, MAXC>; // zero point (or FMIN: minimum) of each word's group
#endif
    for (var c = 0u; c < COLS; c++) {
      let n = min(c0 + c, params.N - 1u);
      cw[c] = chunk(n, ci);
#if GCHUNK
      let gi = n * params.ngroups + min(k0 / params.group, params.ngroups - 1u);
      sv[c] = vec4<f32>(scale_at(gi));
#if ZEROS
      zc[c] = vec4<f32>(zero_at(gi));
#endif
#else
      for (var j = 0u; j < 4u; j++) {
        let gi = n * params.ngroups + min((k0 + j * CPW) / params.group, params.ngroups - 1u);
        sv[c][j] = scale_at(gi);
#if ZEROS
        zc[c][j] = zero_at(gi);
#endif
      }
#endif
    }
    for (var m = 0u; m < ROWS; m++) {
      let xa = x_chunk(m, ci);
      for (var c = 0u; c < COLS; c++) {
        var d: vec4<f32>;
#if FMIN
        var sx: vec4<f32>;
#endif
        for (var j = 0u; j < 4u; j++) {
          let word = cw[c][j];
#if FMIN
          let zv = vec4<XS>(XS(0.0));
#elif ZEROS
          let zv = vec4<XS>(XS(zc[c][j]));
#elif W8
          let zv = vec4<XS>(XS(128.0));
#else
          let zv = vec4<XS>(XS(8.0));
#endif
#if W8
          // 8-bit codes times f16 activations overflow f16 for |x| > 256: this product runs in f32.
          let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
          d[j] = dot(vec4<f32>(xa[j]), vec4<f32>(q0));
#if FMIN
          sx[j] = dot(vec4<f32>(xa[j]), vec4<f32>(1.0));
#endif
#elif LUT
          let q0 = lut4((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu));
          let q1 = lut4((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu));
          d[j] = dot(vec4<f32>(xa[2u * j]), q0) + dot(vec4<f32>(xa[2u * j + 1u]), q1);
#else
          let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
          let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
          d[j] = f32(dot(xa[2u * j], q0) + dot(xa[2u * j + 1u], q1));
#if FMIN
          sx[j] = f32(dot(xa[2u * j] + xa[2u * j + 1u], vec4<XS>(XS(1.0))));
#endif
#endif
        }
#if FMIN
        acc[m * MAXC + c] += dot(sv[c], d) + dot(zc[c], sx);
#else
        acc[m * MAXC + c] += dot(sv[c], d);
#endif
      }
    }
  }
  reduce_cols(c0, lid, lane, &acc);
}
