// matmul_w8a8.wgsl's 'rows' path (PATH_ROWS): a block of one or four rows and RC adjacent output columns per
// invocation on CPU adapters (ROW_BLOCK), else one column and up to MAXM rows per invocation. Included by
// matmul_w8a8.wgsl, whose bindings, dot product and epilogue it uses.
#if ROW_BLOCK
// One row (or under ROWS4 a block of four rows, the components of a vec4) and RC adjacent output columns per
// invocation (CPU adapters): each word of xq is loaded once for the RC columns and each weight word once for the
// rows. Rows past M and columns past N repeat the last one and are not written.
const RC: u32 = {{ROWS_COLS}}u;
#include "common/matmul_rows_block.wgsl"

#if ROWS4
alias RI = vec4<i32>;
alias RW = vec4<u32>;

fn load_rw(m0: u32, wi: u32) -> RW {
  let ml = params.M - 1u;
  return vec4<u32>(xq_at(m0, wi), xq_at(min(m0 + 1u, ml), wi), xq_at(min(m0 + 2u, ml), wi), xq_at(min(m0 + 3u, ml), wi));
}

fn rw_dot(a: RW, w: u32) -> RI {
  return vec4<i32>(dot4(a.x, w), dot4(a.y, w), dot4(a.z, w), dot4(a.w, w));
}
#else
alias RI = i32;
alias RW = u32;

fn load_rw(m0: u32, wi: u32) -> RW {
  return xq_at(m0, wi);
}

fn rw_dot(a: RW, w: u32) -> RI {
  return dot4(a, w);
}
#endif

// Four adjacent columns' integer sums for the group (RI each: the block's rows) and their f32 accumulators, written
// out: a private array indexed in a loop over the columns would run lane by lane on SwiftShader.
struct I4 {
  c0: RI,
  c1: RI,
  c2: RI,
  c3: RI,
}

struct C4 {
  c0: RV,
  c1: RV,
  c2: RV,
  c3: RV,
}

// The weight word wi of column n (past N: the last) dotted with the block's rows.
fn col_dot(xw: RW, n: u32, wi: u32) -> RI {
  return rw_dot(xw, w_q[min(n, params.N - 1u) * params.wpr + wi]);
}

// The group of four columns from column c of the invocation's RC (at n0 + c): d plus word wi's products. The
// conditions on c are constants once inlined: a column past RC costs nothing.
fn dot4x4(d: I4, xw: RW, n0: u32, c: u32, wi: u32) -> I4 {
  var r = d;
  r.c0 = d.c0 + col_dot(xw, n0 + c, wi);
  if (c + 1u < RC) {
    r.c1 = d.c1 + col_dot(xw, n0 + c + 1u, wi);
  }
  if (c + 2u < RC) {
    r.c2 = d.c2 + col_dot(xw, n0 + c + 2u, wi);
  }
  if (c + 3u < RC) {
    r.c3 = d.c3 + col_dot(xw, n0 + c + 3u, wi);
  }
  return r;
}

fn scaled(acc: RV, d: RI, n: u32, g: u32) -> RV {
  return acc + scale_at(min(n, params.N - 1u) * params.ngroups + g) * RV(d);
}

fn scale4(acc: C4, d: I4, n0: u32, c: u32, g: u32) -> C4 {
  var r = acc;
  r.c0 = scaled(acc.c0, d.c0, n0 + c, g);
  if (c + 1u < RC) {
    r.c1 = scaled(acc.c1, d.c1, n0 + c + 1u, g);
  }
  if (c + 2u < RC) {
    r.c2 = scaled(acc.c2, d.c2, n0 + c + 2u, g);
  }
  if (c + 3u < RC) {
    r.c3 = scaled(acc.c3, d.c3, n0 + c + 3u, g);
  }
  return r;
}

// Column c (of the invocation's RC, from n0) of row r of the block, times the row's activation scale sm.
fn store1(m0: u32, r: u32, n0: u32, c: u32, v: RV, sm: f32) {
  if (c < RC && n0 + c < params.N) {
    epilogue(m0 + r, n0 + c, rv_at(v, r) * sm);
  }
}

fn store4(m0: u32, r: u32, n0: u32, c: u32, a: C4, sm: f32) {
  store1(m0, r, n0, c, a.c0, sm);
  store1(m0, r, n0, c + 1u, a.c1, sm);
  store1(m0, r, n0, c + 2u, a.c2, sm);
  store1(m0, r, n0, c + 3u, a.c3, sm);
}

// The invocation's RC columns in groups of four (G1 .. G3: the second to fourth groups, RC > 4, 8, 12).
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = ((wid.y * params.grid_x + wid.x) * WG + lid) * RC;
  let m0 = wid.z * RPI;
  if (n0 >= params.N) {
    return;
  }
  let gw = params.group / 4u; // words per group (the last may be shorter)
  var a0 = C4();
#if G1
  var a1 = C4();
#endif
#if G2
  var a2 = C4();
#endif
#if G3
  var a3 = C4();
#endif
  for (var g = 0u; g < params.ngroups; g++) {
    var d0 = I4(); // zeroed per group (an initializer: see matmul_w4a16's rows path)
#if G1
    var d1 = I4();
#endif
#if G2
    var d2 = I4();
#endif
#if G3
    var d3 = I4();
#endif
    let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
    for (var wi = g * gw; wi < w_end; wi++) {
      let xw = load_rw(m0, wi);
      d0 = dot4x4(d0, xw, n0, 0u, wi);
#if G1
      d1 = dot4x4(d1, xw, n0, 4u, wi);
#endif
#if G2
      d2 = dot4x4(d2, xw, n0, 8u, wi);
#endif
#if G3
      d3 = dot4x4(d3, xw, n0, 12u, wi);
#endif
    }
    a0 = scale4(a0, d0, n0, 0u, g);
#if G1
    a1 = scale4(a1, d1, n0, 4u, g);
#endif
#if G2
    a2 = scale4(a2, d2, n0, 8u, g);
#endif
#if G3
    a3 = scale4(a3, d3, n0, 12u, g);
#endif
  }
  for (var r = 0u; r < RPI; r++) {
    if (m0 + r < params.M) {
      let sm = xs[params.xs0 + m0 + r];
      store4(m0, r, n0, 0u, a0, sm);
#if G1
      store4(m0, r, n0, 4u, a1, sm);
#endif
#if G2
      store4(m0, r, n0, 8u, a2, sm);
#endif
#if G3
      store4(m0, r, n0, 12u, a3, sm);
#endif
    }
  }
}
#else
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = (wid.y * params.grid_x + wid.x) * WG + lid;
  let m0 = wid.z * MAXM;
  if (n >= params.N) {
    return;
  }
  let cnt = min(MAXM, params.M - m0);
  let gw = params.group / 4u; // words per group (the last may be shorter)
  var acc: array<f32, MAXM>;
  for (var g = 0u; g < params.ngroups; g++) {
    var iacc = array<i32, MAXM>();
    let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
    for (var wi = g * gw; wi < w_end; wi++) {
      let word = w_q[n * params.wpr + wi];
      for (var j = 0u; j < cnt; j++) {
        iacc[j] += dot4(xq_at(m0 + j, wi), word);
      }
    }
    let s = scale_at(n * params.ngroups + g);
    for (var j = 0u; j < cnt; j++) {
      acc[j] += s * f32(iacc[j]);
    }
  }
  for (var j = 0u; j < cnt; j++) {
    epilogue(m0 + j, n, acc[j] * xs[params.xs0 + m0 + j]);
  }
}
#endif
