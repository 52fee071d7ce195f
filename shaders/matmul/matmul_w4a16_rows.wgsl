// matmul_w4a16.wgsl's 'rows' path (PATH_ROWS): one row or a block of rows and adjacent output columns per
// invocation on CPU adapters (ROW_BLOCK), else one column and up to MAXM rows per invocation. Included by
// matmul_w4a16.wgsl, whose bindings, decoding and epilogue it uses.
#if ROW_BLOCK
// One row (or under ROWS4 a block of four rows) and RC adjacent output columns per invocation (CPU adapters): no
// workgroup memory, no barriers, the group loop outermost so each scale (and zero) is loaded once per group and
// column. Each word of x is loaded and converted once for all RC columns, and under ROWS4 each weight word is loaded
// and decoded once for the four rows (on SwiftShader a load, a decode and an unpack2x16float cost more than the dot
// product they feed). The rows of a block are the components of a vec4 (RV): written out, not a loop over a private
// array, which SwiftShader would index lane by lane. Rows past M and columns past N repeat the last one and are not
// written.
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

// The word's dot product with decoded codes q0 (q1), in XS (8-bit codes: f32, as f16 would overflow), as f32.
fn xw_dot(v: XW, q0: vec4<XS>, q1: vec4<XS>) -> f32 {
#if W8
  return dot(vec4<f32>(v.a), vec4<f32>(q0));
#else
  return f32(dot(v.a, q0) + dot(v.b, q1));
#endif
}

// The sum of the word's activations (FMIN: the minimum's term).
fn xw_sum(v: XW) -> f32 {
#if W8
  return dot(vec4<f32>(v.a), vec4<f32>(1.0));
#else
  return f32(dot(v.a + v.b, vec4<XS>(XS(1.0))));
#endif
}

#include "common/matmul_rows_block.wgsl"

#if ROWS4
struct XR {
  r0: XW,
  r1: XW,
  r2: XW,
  r3: XW,
}

fn load_xr(m0: u32, k: u32) -> XR {
  let ml = params.M - 1u;
  return XR(load_xw(m0, k), load_xw(min(m0 + 1u, ml), k), load_xw(min(m0 + 2u, ml), k), load_xw(min(m0 + 3u, ml), k));
}

fn xr_dot(v: XR, q0: vec4<XS>, q1: vec4<XS>) -> RV {
  return vec4<f32>(xw_dot(v.r0, q0, q1), xw_dot(v.r1, q0, q1), xw_dot(v.r2, q0, q1), xw_dot(v.r3, q0, q1));
}

fn xr_sum(v: XR) -> RV {
  return vec4<f32>(xw_sum(v.r0), xw_sum(v.r1), xw_sum(v.r2), xw_sum(v.r3));
}
#else
alias XR = XW;

fn load_xr(m0: u32, k: u32) -> XR {
  return load_xw(m0, k);
}

fn xr_dot(v: XR, q0: vec4<XS>, q1: vec4<XS>) -> RV {
  return xw_dot(v, q0, q1);
}

fn xr_sum(v: XR) -> RV {
  return xw_sum(v);
}
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n0 = ((wid.y * params.grid_x + wid.x) * WG + lid) * RC;
  let m0 = wid.z * RPI;
  if (n0 >= params.N) {
    return;
  }
  let nl = params.N - 1u;
  let gw = params.group / CPW; // words per group; the last group takes the rest of the row
  var acc = array<RV, RC>();
  for (var g = 0u; g < params.ngroups; g++) {
#if FMIN
    let zv = vec4<XS>(XS(0.0));
#elif ZEROS
    var zs: array<vec4<XS>, RC>;
    for (var c = 0u; c < RC; c++) {
      zs[c] = vec4<XS>(XS(zero_at(min(n0 + c, nl) * params.ngroups + g)));
    }
#elif W8
    let zv = vec4<XS>(XS(128.0));
#else
    let zv = vec4<XS>(XS(8.0));
#endif
    var d = array<RV, RC>(); // zeroed per group (an initializer: Dawn on SwiftShader does not re-zero a loop-local var without one)
    var sx = RV(0.0); // FMIN: the sum of x over the group, shared by the columns
    let w_end = select((g + 1u) * gw, params.wpr, g + 1u == params.ngroups);
    for (var wi = g * gw; wi < w_end; wi++) {
      let xr = load_xr(m0, wi * CPW);
#if FMIN
      sx += xr_sum(xr);
#endif
      for (var c = 0u; c < RC; c++) {
        let word = w_q[min(n0 + c, nl) * params.wpr + wi];
#if !FMIN
#if ZEROS
        let zv = zs[c];
#endif
#endif
#if W8
        let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 8u, 16u, 24u)) & vec4<u32>(0xffu)) - zv;
        let q1 = q0; // unused
#else
        let q0 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(0u, 4u, 8u, 12u)) & vec4<u32>(0xfu)) - zv;
        let q1 = vec4<XS>((vec4<u32>(word) >> vec4<u32>(16u, 20u, 24u, 28u)) & vec4<u32>(0xfu)) - zv;
#endif
        d[c] += xr_dot(xr, q0, q1);
      }
    }
    for (var c = 0u; c < RC; c++) {
      let gi = min(n0 + c, nl) * params.ngroups + g;
#if FMIN
      acc[c] += scale_at(gi) * d[c] + zero_at(gi) * sx;
#else
      acc[c] += scale_at(gi) * d[c];
#endif
    }
  }
  for (var r = 0u; r < RPI; r++) {
    if (m0 + r < params.M) {
      for (var c = 0u; c < RC; c++) {
        if (n0 + c < params.N) {
          epilogue(m0 + r, n0 + c, rv_at(acc[c], r));
        }
      }
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
  var acc: array<f32, MAXM>;
  for (var wi = 0u; wi < params.wpr; wi++) {
    word_dot(n, wi, m0, cnt, &acc);
  }
  for (var j = 0u; j < cnt; j++) {
    epilogue(m0 + j, n, acc[j]);
  }
}
#endif
