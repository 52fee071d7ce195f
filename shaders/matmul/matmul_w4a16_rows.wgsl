// matmul_w4a16.wgsl's 'rows' path (PATH_ROWS, CPU adapters; ROW_BLOCK): a block of RPI rows (1, 4 or 8: ROWS4,
// ROWS8) and RC adjacent output columns per invocation. Included by matmul_w4a16.wgsl, whose bindings, decoding and
// epilogue it uses. No workgroup memory, no barriers, the group loop outermost so each scale (and zero) is loaded
// once per group and column. Each word of x is loaded and converted once for all RC columns, and each weight word
// loaded and decoded once for the block's rows (on SwiftShader a load, a decode and an unpack2x16float cost more than
// the products they feed). Four rows are the components of a vec4, x's 4 x 8 block transposed so that each decoded
// code multiplies the four rows in one fma (a vec4 is four registers there: the transpose is free); the columns are
// written out in groups of four (C4), not an array indexed in a loop, which SwiftShader would run lane by lane. Rows
// past M and columns past N repeat the last one and are not written.
const RC: u32 = {{ROWS_COLS}}u;

// x[m, k .. k + CPW) for one weight word: the codes' activations (a: first four, b: last four; W8 has only a).
struct XW {
  a: vec4<XS>,
#if !W8
  b: vec4<XS>,
#endif
}

fn load_xw(m: u32, k: u32) -> XW {
#if W8
#if X_VEC
#if ACT_F16P
  let v = x[x_index(m, k) / 4u];
  return XW(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)));
#else
  return XW(x[x_index(m, k) / 4u]);
#endif
#else
  return XW(x4(m, k));
#endif
#else
#if X_VEC
  let xi = x_index(m, k) / 4u;
#if ACT_F16P
  let v = x[xi / 2u];
  return XW(vec4<f32>(unpack2x16float(v.x), unpack2x16float(v.y)), vec4<f32>(unpack2x16float(v.z), unpack2x16float(v.w)));
#else
  return XW(x[xi], x[xi + 1u]);
#endif
#else
  return XW(x4(m, k), x4(m, k + 4u));
#endif
#endif
}

// 4-bit codes are not shifted down: lane j of a half word, masked in place, is code * 16^j (exact in f32), so x at
// k + j (and k + 4 + j) is kept times 16^-j, which makes each product x * code exactly the shifted one (scaling by a
// power of two commutes with rounding; only an x below 2^-114, whose scaled value would be subnormal, differs). The
// codes and products are f32 (x is converted as it is loaded), summed one fma per code in k order, the same for a
// row alone and in a block: a prefill's rows and a decode's row are the same bits.
const NIB_MASK = vec4<u32>(0xfu, 0xf0u, 0xf00u, 0xf000u);
const NIB_PLACE = vec4<f32>(1.0, 16.0, 256.0, 4096.0);
const NIB_SCALE = vec4<f32>(1.0, 0.0625, 0.00390625, 0.000244140625);
alias QV = vec4<f32>;

// x's word, in f32, scaled for the codes in place (W8: as is).
fn xw_a(v: XW) -> vec4<f32> {
#if W8
  return vec4<f32>(v.a);
#else
  return vec4<f32>(v.a) * NIB_SCALE;
#endif
}

#if !W8
fn xw_b(v: XW) -> vec4<f32> {
  return vec4<f32>(v.b) * NIB_SCALE;
}
#endif

// The sum of the word's activations, unscaled (FMIN: the minimum's term).
fn xw_sum(v: XW) -> f32 {
#if W8
  return dot(vec4<f32>(v.a), vec4<f32>(1.0));
#else
  return dot(vec4<f32>(v.a) + vec4<f32>(v.b), vec4<f32>(1.0));
#endif
}

#include "common/matmul_rows_block.wgsl"

#if SUB_X
#include "matmul/matmul_w4a16_rows_subx.wgsl"
#endif

#if ROWS4
// The block's four rows at k .. k + CPW - 1, transposed: kj holds the rows at k + j (a vec4 is four registers on
// SwiftShader, so the transpose costs nothing), so that each decoded code multiplies all four rows in one fma.
struct XR {
  k0: vec4<f32>,
  k1: vec4<f32>,
  k2: vec4<f32>,
  k3: vec4<f32>,
#if !W8
  k4: vec4<f32>,
  k5: vec4<f32>,
  k6: vec4<f32>,
  k7: vec4<f32>,
#endif
#if FMIN
  sum: vec4<f32>, // the rows' sums of x over the word, unscaled
#endif
}

fn load_xr(m0: u32, k: u32) -> XR {
  let ml = params.M - 1u;
#if SUB_X
  let q = load_xw4(vec4<u32>(m0, min(m0 + 1u, ml), min(m0 + 2u, ml), min(m0 + 3u, ml)), k);
  let r0 = q.r0;
  let r1 = q.r1;
  let r2 = q.r2;
  let r3 = q.r3;
#else
  let r0 = load_xw(m0, k);
  let r1 = load_xw(min(m0 + 1u, ml), k);
  let r2 = load_xw(min(m0 + 2u, ml), k);
  let r3 = load_xw(min(m0 + 3u, ml), k);
#endif
  let a0 = xw_a(r0);
  let a1 = xw_a(r1);
  let a2 = xw_a(r2);
  let a3 = xw_a(r3);
#if W8
  return XR(vec4<f32>(a0.x, a1.x, a2.x, a3.x), vec4<f32>(a0.y, a1.y, a2.y, a3.y), vec4<f32>(a0.z, a1.z, a2.z, a3.z), vec4<f32>(a0.w, a1.w, a2.w, a3.w)
#else
  let b0 = xw_b(r0);
  let b1 = xw_b(r1);
  let b2 = xw_b(r2);
  let b3 = xw_b(r3);
  return XR(vec4<f32>(a0.x, a1.x, a2.x, a3.x), vec4<f32>(a0.y, a1.y, a2.y, a3.y), vec4<f32>(a0.z, a1.z, a2.z, a3.z), vec4<f32>(a0.w, a1.w, a2.w, a3.w),
    vec4<f32>(b0.x, b1.x, b2.x, b3.x), vec4<f32>(b0.y, b1.y, b2.y, b3.y), vec4<f32>(b0.z, b1.z, b2.z, b3.z), vec4<f32>(b0.w, b1.w, b2.w, b3.w)
#endif
#if FMIN
    , vec4<f32>(xw_sum(r0), xw_sum(r1), xw_sum(r2), xw_sum(r3)));
#else
    );
#endif
}

// d + the word's products with codes p (h: the upper half), in k order, one fma per code for the four rows.
fn xr_acc(d: RV, v: XR, p: QV, h: QV) -> RV {
  let r = fma(v.k3, vec4<f32>(p.w), fma(v.k2, vec4<f32>(p.z), fma(v.k1, vec4<f32>(p.y), fma(v.k0, vec4<f32>(p.x), d))));
#if W8
  return r;
#else
  return fma(v.k7, vec4<f32>(h.w), fma(v.k6, vec4<f32>(h.z), fma(v.k5, vec4<f32>(h.y), fma(v.k4, vec4<f32>(h.x), r))));
#endif
}

#if FMIN
fn xr_sum(v: XR) -> RV {
  return v.sum;
}
#endif
#else
// One row: x's word in f32, scaled for the codes in place.
struct XR {
  a: vec4<f32>,
#if !W8
  b: vec4<f32>,
#endif
#if FMIN
  sum: f32,
#endif
}

fn load_xr(m0: u32, k: u32) -> XR {
#if SUB_X
  let v = load_xw1(m0, k);
#else
  let v = load_xw(m0, k);
#endif
#if W8
  return XR(xw_a(v)
#else
  return XR(xw_a(v), xw_b(v)
#endif
#if FMIN
    , xw_sum(v));
#else
    );
#endif
}

// d + the word's products with codes p (h: the upper half), in k order, one fma per code (as a block's rows).
fn xr_acc(d: RV, v: XR, p: QV, h: QV) -> RV {
  let r = fma(v.a.w, p.w, fma(v.a.z, p.z, fma(v.a.y, p.y, fma(v.a.x, p.x, d))));
#if W8
  return r;
#else
  return fma(v.b.w, h.w, fma(v.b.z, h.z, fma(v.b.y, h.y, fma(v.b.x, h.x, r))));
#endif
}

#if FMIN
fn xr_sum(v: XR) -> RV {
  return v.sum;
}
#endif
#endif

// A column's values over the block's rows: RV (one row, or four as a vec4), or under ROWS8 two vec4s, with x's
// block (XB) and the operations the columns need on them.
#if ROWS8
struct CV {
  lo: vec4<f32>,
  hi: vec4<f32>,
}

struct XB {
  lo: XR,
  hi: XR,
}

fn load_xb(m0: u32, k: u32) -> XB {
  return XB(load_xr(m0, k), load_xr(m0 + 4u, k));
}

fn cv_acc(d: CV, v: XB, q0: QV, q1: QV) -> CV {
  return CV(xr_acc(d.lo, v.lo, q0, q1), xr_acc(d.hi, v.hi, q0, q1));
}

#if FMIN
fn cv_sum(v: XB) -> CV {
  return CV(xr_sum(v.lo), xr_sum(v.hi));
}
#endif

fn cv_add(a: CV, b: CV) -> CV {
  return CV(a.lo + b.lo, a.hi + b.hi);
}

// acc + s * d
fn cv_axpy(acc: CV, s: f32, d: CV) -> CV {
  return CV(acc.lo + s * d.lo, acc.hi + s * d.hi);
}

fn cv_at(v: CV, r: u32) -> f32 {
  if (r < 4u) {
    return v.lo[r];
  }
  return v.hi[r - 4u];
}
#else
alias CV = RV;
alias XB = XR;

fn load_xb(m0: u32, k: u32) -> XB {
  return load_xr(m0, k);
}

fn cv_acc(d: CV, v: XB, q0: QV, q1: QV) -> CV {
  return xr_acc(d, v, q0, q1);
}

#if FMIN
fn cv_sum(v: XB) -> CV {
  return xr_sum(v);
}
#endif

fn cv_add(a: CV, b: CV) -> CV {
  return a + b;
}

fn cv_axpy(acc: CV, s: f32, d: CV) -> CV {
  return acc + s * d;
}

fn cv_at(v: CV, r: u32) -> f32 {
  return rv_at(v, r);
}
#endif

// d + the weight word wi of column n (past N: the last), decoded, times the block's rows.
fn col_dot(d: CV, xb: XB, n: u32, wi: u32, zv: QV) -> CV {
  let word = w_q[min(n, params.N - 1u) * params.wpr + wi];
#if W8
  let q0 = QV((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
  let q1 = q0; // unused
#elif LUT
  // The table's values in the places of the masked codes: lane j holds T[u] * 16^j (zv is 0).
  let q0 = lut4((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) * NIB_PLACE - zv;
  let q1 = lut4((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) * NIB_PLACE - zv;
#else
  // Masked in place (below 2^16: converted as i32), zv the offsets times 16^j (zero_of).
  let q0 = vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(word) & NIB_MASK)) - zv;
  let q1 = vec4<f32>(bitcast<vec4<i32>>(vec4<u32>(word >> 16u) & NIB_MASK)) - zv;
#endif
  return cv_acc(d, xb, q0, q1);
}

// Four adjacent columns, written out.
struct C4 {
  c0: CV,
  c1: CV,
  c2: CV,
  c3: CV,
}

// The codes' offsets of four columns in group g: the stored zero point (ZEROS), else the format's constant.
struct Z4 {
  z0: QV,
  z1: QV,
  z2: QV,
  z3: QV,
}

fn zero_of(n: u32, g: u32) -> QV {
#if FMIN
  let z = QV(0.0);
#elif ZEROS
  let z = QV(zero_at(min(n, params.N - 1u) * params.ngroups + g));
#elif LUT
  let z = QV(0.0);
#elif W8
  let z = QV(128.0);
#else
  let z = QV(8.0);
#endif
#if W8
  return z;
#else
  return z * NIB_PLACE; // 4-bit codes masked in place: lane j holds code * 16^j
#endif
}

fn zeros4(n: u32, g: u32) -> Z4 {
  return Z4(zero_of(n, g), zero_of(n + 1u, g), zero_of(n + 2u, g), zero_of(n + 3u, g));
}

// The group of four columns from column c of the invocation's RC (at n0 + c): d plus word wi's products. The
// conditions on c are constants once inlined: a column past RC (RC < 4, or RC not a multiple of 4) costs nothing.
fn dot4(d: C4, xb: XB, n0: u32, c: u32, wi: u32, z: Z4) -> C4 {
  var r = d;
  r.c0 = col_dot(d.c0, xb, n0 + c, wi, z.z0);
  if (c + 1u < RC) {
    r.c1 = col_dot(d.c1, xb, n0 + c + 1u, wi, z.z1);
  }
  if (c + 2u < RC) {
    r.c2 = col_dot(d.c2, xb, n0 + c + 2u, wi, z.z2);
  }
  if (c + 3u < RC) {
    r.c3 = col_dot(d.c3, xb, n0 + c + 3u, wi, z.z3);
  }
  return r;
}

// One column's group sum scaled into its accumulator (FMIN: plus the group's minimum times the sum of x).
fn scaled(acc: CV, d: CV, n: u32, g: u32, sx: CV) -> CV {
  let gi = min(n, params.N - 1u) * params.ngroups + g;
#if FMIN
  return cv_axpy(cv_axpy(acc, scale_at(gi), d), zero_at(gi), sx);
#else
  return cv_axpy(acc, scale_at(gi), d);
#endif
}

fn scale4(acc: C4, d: C4, n0: u32, c: u32, g: u32, sx: CV) -> C4 {
  var r = acc;
  r.c0 = scaled(acc.c0, d.c0, n0 + c, g, sx);
  if (c + 1u < RC) {
    r.c1 = scaled(acc.c1, d.c1, n0 + c + 1u, g, sx);
  }
  if (c + 2u < RC) {
    r.c2 = scaled(acc.c2, d.c2, n0 + c + 2u, g, sx);
  }
  if (c + 3u < RC) {
    r.c3 = scaled(acc.c3, d.c3, n0 + c + 3u, g, sx);
  }
  return r;
}

// Column c (of the invocation's RC, from n0) of row r of the block, where both are inside y.
fn store1(m0: u32, r: u32, n0: u32, c: u32, v: CV) {
  if (c < RC && n0 + c < params.N) {
    epilogue(m0 + r, n0 + c, cv_at(v, r));
  }
}

fn store4(m0: u32, r: u32, n0: u32, c: u32, a: C4) {
  store1(m0, r, n0, c, a.c0);
  store1(m0, r, n0, c + 1u, a.c1);
  store1(m0, r, n0, c + 2u, a.c2);
  store1(m0, r, n0, c + 3u, a.c3);
}

// The invocation's RC columns in groups of four (G1 .. G3: the second to fourth groups, RC > 4, 8, 12).
@compute @workgroup_size(WG)
#if SUB_X
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) sl: u32) {
  lane4 = sl & 3u;
  let n0 = ((wid.y * params.grid_x + wid.x) * WG + lid) * RC;
  let m0 = wid.z * RPI;
  // Past N an invocation still loads its lane's x for the others (its columns repeat the last; nothing is stored).
#else
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = ((wid.y * params.grid_x + wid.x) * WG + lid) * RC;
  let m0 = wid.z * RPI;
  if (n0 >= params.N) {
    return;
  }
#endif
  let gw = params.group / CPW; // words per group; the last group takes the rest of the row
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
    let z0 = zeros4(n0, g);
    var d0 = C4(); // zeroed per group (an initializer: Dawn on SwiftShader does not re-zero a loop-local var without one)
#if G1
    let z1 = zeros4(n0 + 4u, g);
    var d1 = C4();
#endif
#if G2
    let z2 = zeros4(n0 + 8u, g);
    var d2 = C4();
#endif
#if G3
    let z3 = zeros4(n0 + 12u, g);
    var d3 = C4();
#endif
    var sx = CV(); // FMIN: the sum of x over the group, shared by the columns
    let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
    for (var wi = g * gw; wi < w_end; wi++) {
      let xb = load_xb(m0, wi * CPW);
#if FMIN
      sx = cv_add(sx, cv_sum(xb));
#endif
      d0 = dot4(d0, xb, n0, 0u, wi, z0);
#if G1
      d1 = dot4(d1, xb, n0, 4u, wi, z1);
#endif
#if G2
      d2 = dot4(d2, xb, n0, 8u, wi, z2);
#endif
#if G3
      d3 = dot4(d3, xb, n0, 12u, wi, z3);
#endif
    }
    a0 = scale4(a0, d0, n0, 0u, g, sx);
#if G1
    a1 = scale4(a1, d1, n0, 4u, g, sx);
#endif
#if G2
    a2 = scale4(a2, d2, n0, 8u, g, sx);
#endif
#if G3
    a3 = scale4(a3, d3, n0, 12u, g, sx);
#endif
  }
  for (var r = 0u; r < RPI; r++) {
    if (m0 + r < params.M) {
      store4(m0, r, n0, 0u, a0);
#if G1
      store4(m0, r, n0, 4u, a1);
#endif
#if G2
      store4(m0, r, n0, 8u, a2);
#endif
#if G3
      store4(m0, r, n0, 12u, a3);
#endif
    }
  }
}
