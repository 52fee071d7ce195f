// flash_attention.wgsl's rows (included there after ld / st and D4): a head's row as a `Row`, with REGS a struct of
// up to 16 vec4 registers (REGS8, REGS16), else an array of D4 vec4s; row / store, the products and sums the kernels
// take of rows, and row_shared (QUAD: a row the quad's four lanes all read, a quarter loaded by each).
#if REGS
struct Row {
  c0: vec4<f32>,
  c1: vec4<f32>,
  c2: vec4<f32>,
  c3: vec4<f32>,
#if REGS8
  c4: vec4<f32>,
  c5: vec4<f32>,
  c6: vec4<f32>,
  c7: vec4<f32>,
#endif
#if REGS16
  c8: vec4<f32>,
  c9: vec4<f32>,
  c10: vec4<f32>,
  c11: vec4<f32>,
  c12: vec4<f32>,
  c13: vec4<f32>,
  c14: vec4<f32>,
  c15: vec4<f32>,
#endif
}

fn row(src: u32, b: u32) -> Row {
  var r = Row();
  r.c0 = ld(src, b);
  if (D4 > 1u) { r.c1 = ld(src, b + 1u); }
  if (D4 > 2u) { r.c2 = ld(src, b + 2u); }
  if (D4 > 3u) { r.c3 = ld(src, b + 3u); }
#if REGS8
  if (D4 > 4u) { r.c4 = ld(src, b + 4u); }
  if (D4 > 5u) { r.c5 = ld(src, b + 5u); }
  if (D4 > 6u) { r.c6 = ld(src, b + 6u); }
  if (D4 > 7u) { r.c7 = ld(src, b + 7u); }
#endif
#if REGS16
  if (D4 > 8u) { r.c8 = ld(src, b + 8u); }
  if (D4 > 9u) { r.c9 = ld(src, b + 9u); }
  if (D4 > 10u) { r.c10 = ld(src, b + 10u); }
  if (D4 > 11u) { r.c11 = ld(src, b + 11u); }
  if (D4 > 12u) { r.c12 = ld(src, b + 12u); }
  if (D4 > 13u) { r.c13 = ld(src, b + 13u); }
  if (D4 > 14u) { r.c14 = ld(src, b + 14u); }
  if (D4 > 15u) { r.c15 = ld(src, b + 15u); }
#endif
  return r;
}

fn store(dst: u32, b: u32, r: Row) {
  st(dst, b, r.c0);
  if (D4 > 1u) { st(dst, b + 1u, r.c1); }
  if (D4 > 2u) { st(dst, b + 2u, r.c2); }
  if (D4 > 3u) { st(dst, b + 3u, r.c3); }
#if REGS8
  if (D4 > 4u) { st(dst, b + 4u, r.c4); }
  if (D4 > 5u) { st(dst, b + 5u, r.c5); }
  if (D4 > 6u) { st(dst, b + 6u, r.c6); }
  if (D4 > 7u) { st(dst, b + 7u, r.c7); }
#endif
#if REGS16
  if (D4 > 8u) { st(dst, b + 8u, r.c8); }
  if (D4 > 9u) { st(dst, b + 9u, r.c9); }
  if (D4 > 10u) { st(dst, b + 10u, r.c10); }
  if (D4 > 11u) { st(dst, b + 11u, r.c11); }
  if (D4 > 12u) { st(dst, b + 12u, r.c12); }
  if (D4 > 13u) { st(dst, b + 13u, r.c13); }
  if (D4 > 14u) { st(dst, b + 14u, r.c14); }
  if (D4 > 15u) { st(dst, b + 15u, r.c15); }
#endif
}

// x . y: four lanes of fma in d order, then the lanes summed.
fn dot_rows(x: Row, y: Row) -> f32 {
  var s = fma(x.c3, y.c3, fma(x.c2, y.c2, fma(x.c1, y.c1, x.c0 * y.c0)));
#if REGS8
  s = fma(x.c7, y.c7, fma(x.c6, y.c6, fma(x.c5, y.c5, fma(x.c4, y.c4, s))));
#endif
#if REGS16
  s = fma(x.c11, y.c11, fma(x.c10, y.c10, fma(x.c9, y.c9, fma(x.c8, y.c8, s))));
  s = fma(x.c15, y.c15, fma(x.c14, y.c14, fma(x.c13, y.c13, fma(x.c12, y.c12, s))));
#endif
  return (s.x + s.y) + (s.z + s.w);
}

// a * x + acc, or acc * c + w * x (the online softmax's rescale).
fn axpy(a: f32, x: Row, acc: Row) -> Row {
  let s = vec4(a);
#if REGS16
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3), fma(s, x.c4, acc.c4), fma(s, x.c5, acc.c5), fma(s, x.c6, acc.c6), fma(s, x.c7, acc.c7),
    fma(s, x.c8, acc.c8), fma(s, x.c9, acc.c9), fma(s, x.c10, acc.c10), fma(s, x.c11, acc.c11), fma(s, x.c12, acc.c12), fma(s, x.c13, acc.c13), fma(s, x.c14, acc.c14), fma(s, x.c15, acc.c15));
#elif REGS8
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3), fma(s, x.c4, acc.c4), fma(s, x.c5, acc.c5), fma(s, x.c6, acc.c6), fma(s, x.c7, acc.c7));
#else
  return Row(fma(s, x.c0, acc.c0), fma(s, x.c1, acc.c1), fma(s, x.c2, acc.c2), fma(s, x.c3, acc.c3));
#endif
}

fn rescale(acc: Row, c: f32, w: f32, x: Row) -> Row {
  let cv = vec4(c);
#if REGS16
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3), fma(acc.c4, cv, w * x.c4), fma(acc.c5, cv, w * x.c5), fma(acc.c6, cv, w * x.c6), fma(acc.c7, cv, w * x.c7),
    fma(acc.c8, cv, w * x.c8), fma(acc.c9, cv, w * x.c9), fma(acc.c10, cv, w * x.c10), fma(acc.c11, cv, w * x.c11), fma(acc.c12, cv, w * x.c12), fma(acc.c13, cv, w * x.c13), fma(acc.c14, cv, w * x.c14), fma(acc.c15, cv, w * x.c15));
#elif REGS8
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3), fma(acc.c4, cv, w * x.c4), fma(acc.c5, cv, w * x.c5), fma(acc.c6, cv, w * x.c6), fma(acc.c7, cv, w * x.c7));
#else
  return Row(fma(acc.c0, cv, w * x.c0), fma(acc.c1, cv, w * x.c1), fma(acc.c2, cv, w * x.c2), fma(acc.c3, cv, w * x.c3));
#endif
}

fn times(x: Row, a: f32) -> Row {
  let s = vec4(a);
#if REGS16
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s, x.c4 * s, x.c5 * s, x.c6 * s, x.c7 * s, x.c8 * s, x.c9 * s, x.c10 * s, x.c11 * s, x.c12 * s, x.c13 * s, x.c14 * s, x.c15 * s);
#elif REGS8
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s, x.c4 * s, x.c5 * s, x.c6 * s, x.c7 * s);
#else
  return Row(x.c0 * s, x.c1 * s, x.c2 * s, x.c3 * s);
#endif
}
#else
alias Row = array<vec4<f32>, D4>;

fn row(src: u32, b: u32) -> Row {
  var r = Row();
  for (var d = 0u; d < D4; d++) {
    r[d] = ld(src, b + d);
  }
  return r;
}

fn store(dst: u32, b: u32, r: Row) {
  for (var d = 0u; d < D4; d++) {
    st(dst, b + d, r[d]);
  }
}

fn dot_rows(x: Row, y: Row) -> f32 {
  var s = x[0] * y[0];
  for (var d = 1u; d < D4; d++) {
    s = fma(x[d], y[d], s);
  }
  return (s.x + s.y) + (s.z + s.w);
}

fn axpy(a: f32, x: Row, acc0: Row) -> Row {
  var acc = acc0;
  for (var d = 0u; d < D4; d++) {
    acc[d] = fma(vec4(a), x[d], acc[d]);
  }
  return acc;
}

fn rescale(acc0: Row, c: f32, w: f32, x: Row) -> Row {
  var acc = acc0;
  for (var d = 0u; d < D4; d++) {
    acc[d] = fma(acc[d], vec4(c), w * x[d]);
  }
  return acc;
}

fn times(x0: Row, a: f32) -> Row {
  var x = x0;
  for (var d = 0u; d < D4; d++) {
    x[d] = x[d] * a;
  }
  return x;
}
#endif

#if QUAD
var<private> ql: u32; // the invocation's lane in its quad: the vec4s of a shared row it loads

// vec4 c + ql of the row at b (the last one past the row's end: a load the broadcasts below never read).
fn piece(src: u32, b: u32, c: u32) -> vec4<f32> {
  return ld(src, b + min(c + ql, D4 - 1u));
}

#if REGS
// A row the quad's four lanes all read: a quarter of it loaded by each, the rest from the others.
fn row_shared(src: u32, b: u32) -> Row {
  var r = Row();
  let x0 = piece(src, b, 0u);
  r.c0 = quadBroadcast(x0, 0u);
  if (D4 > 1u) { r.c1 = quadBroadcast(x0, 1u); }
  if (D4 > 2u) { r.c2 = quadBroadcast(x0, 2u); }
  if (D4 > 3u) { r.c3 = quadBroadcast(x0, 3u); }
#if REGS8
  if (D4 > 4u) {
    let x1 = piece(src, b, 4u);
    r.c4 = quadBroadcast(x1, 0u);
    if (D4 > 5u) { r.c5 = quadBroadcast(x1, 1u); }
    if (D4 > 6u) { r.c6 = quadBroadcast(x1, 2u); }
    if (D4 > 7u) { r.c7 = quadBroadcast(x1, 3u); }
  }
#endif
#if REGS16
  if (D4 > 8u) {
    let x2 = piece(src, b, 8u);
    r.c8 = quadBroadcast(x2, 0u);
    if (D4 > 9u) { r.c9 = quadBroadcast(x2, 1u); }
    if (D4 > 10u) { r.c10 = quadBroadcast(x2, 2u); }
    if (D4 > 11u) { r.c11 = quadBroadcast(x2, 3u); }
  }
  if (D4 > 12u) {
    let x3 = piece(src, b, 12u);
    r.c12 = quadBroadcast(x3, 0u);
    if (D4 > 13u) { r.c13 = quadBroadcast(x3, 1u); }
    if (D4 > 14u) { r.c14 = quadBroadcast(x3, 2u); }
    if (D4 > 15u) { r.c15 = quadBroadcast(x3, 3u); }
  }
#endif
  return r;
}
#else
fn row_shared(src: u32, b: u32) -> Row {
  var r = Row();
  for (var c = 0u; c < D4; c += 4u) {
    let x = piece(src, b, c);
    r[c] = quadBroadcast(x, 0u);
    if (c + 1u < D4) { r[c + 1u] = quadBroadcast(x, 1u); }
    if (c + 2u < D4) { r[c + 2u] = quadBroadcast(x, 2u); }
    if (c + 3u < D4) { r[c + 3u] = quadBroadcast(x, 3u); }
  }
  return r;
}
#endif
#else
fn row_shared(src: u32, b: u32) -> Row {
  return row(src, b);
}
#endif
