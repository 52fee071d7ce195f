// One product of matmul_f32_rows.wgsl: its operand bindings, loads, stores and `run{{S}}`, the whole block an
// invocation computes. Included once per product with (see the including file):
//   S       suffix of this product's functions and of its fields in `params` (M{{S}}, N{{S}}, ...): '' for the first
//   SA, SB, SC   suffixes of the a, b and c bindings it reads and writes (another product's when they share one)
//   OWN_A, OWN_B, OWN_C   declare those bindings here, at binding numbers BA, BB, BC
//   ACCUM   C = product + R (binding `addend`, declared by the including file): the first product only
//   ADD_C   C = product + C, C's values before this product (the products of a GROUP_SUM after the first)
#if OWN_A
#if A_VEC
@group(0) @binding({{BA}}) var<storage, read> a{{SA}}: array<vec4<f32>>;
#else
@group(0) @binding({{BA}}) var<storage, read> a{{SA}}: array<f32>;
#endif
#endif
#if OWN_B
#if B16
#if B_VEC
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<vec2<u32>>;
#else
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<u32>;
#endif
#elif B_VEC
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<vec4<f32>>;
#else
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<f32>;
#endif
#endif
#if OWN_C
#if C_VEC
@group(0) @binding({{BC}}) var<storage, read_write> c{{SC}}: array<vec4<f32>>;
#else
@group(0) @binding({{BC}}) var<storage, read_write> c{{SC}}: array<f32>;
#endif
#endif

// Element i of A or B, whichever way the binding is typed (the K tail only).
fn a_at{{S}}(i: u32) -> f32 {
#if A_VEC
  return a{{SA}}[i / 4u][i % 4u];
#else
  return a{{SA}}[i];
#endif
}

fn b_at{{S}}(i: u32) -> f32 {
#if B16
#if B_VEC
  return w16_pair(b{{SB}}[i >> 2u][(i >> 1u) & 1u])[i & 1u];
#else
  return w16_pair(b{{SB}}[i >> 1u])[i & 1u];
#endif
#elif B_VEC
  return b{{SB}}[i / 4u][i % 4u];
#else
  return b{{SB}}[i];
#endif
}

// The four contiguous elements of A or B from element i (i a multiple of 4 under A_VEC / B_VEC).
fn a4{{S}}(i: u32) -> vec4<f32> {
#if A_VEC
  return a{{SA}}[i / 4u];
#else
  return vec4<f32>(a{{SA}}[i], a{{SA}}[i + 1u], a{{SA}}[i + 2u], a{{SA}}[i + 3u]);
#endif
}

fn b4{{S}}(i: u32) -> vec4<f32> {
#if B16
#if B_VEC
  return w16_quad(b{{SB}}[i / 4u]);
#else
  // Four values from any element: two words from an even one, else the high half, a word, the low half.
  let w = i >> 1u;
  if ((i & 1u) == 0u) {
    return w16_quad(vec2<u32>(b{{SB}}[w], b{{SB}}[w + 1u]));
  }
  let u = b{{SB}}[w + 1u];
  return w16_quad(vec2<u32>((b{{SB}}[w] >> 16u) | (u << 16u), (u >> 16u) | (b{{SB}}[w + 2u] << 16u)));
#endif
#elif B_VEC
  return b{{SB}}[i / 4u];
#else
  return vec4<f32>(b{{SB}}[i], b{{SB}}[i + 1u], b{{SB}}[i + 2u], b{{SB}}[i + 3u]);
#endif
}

#if TRANS_A
// A [K, M]: row k of the stored matrix holds the block's rows side by side.
fn a_rows{{S}}(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M{{S}};
#if A_VEC
  return a{{SA}}[(o + min(m0, params.M{{S}} - 4u)) / 4u]; // M is a multiple of 4: a block past M is a whole one, not written
#else
  let ml = params.M{{S}} - 1u;
  return vec4<f32>(a{{SA}}[o + min(m0, ml)], a{{SA}}[o + min(m0 + 1u, ml)], a{{SA}}[o + min(m0 + 2u, ml)], a{{SA}}[o + min(m0 + 3u, ml)]);
#endif
}

#if SUB_A
// The 4 rows at k + lane4, then at each k + j from lane j.
fn load_a{{S}}(base: u32, m0: u32, k: u32) -> Block {
  let v = a_rows{{S}}(base, m0, k + lane4);
  return Block(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}
#else
fn load_a{{S}}(base: u32, m0: u32, k: u32) -> Block {
  return Block(a_rows{{S}}(base, m0, k), a_rows{{S}}(base, m0, k + 1u), a_rows{{S}}(base, m0, k + 2u), a_rows{{S}}(base, m0, k + 3u));
}
#endif

fn a_col{{S}}(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let o = base + k * params.M{{S}};
  let ml = params.M{{S}} - 1u;
  return vec4<f32>(a_at{{S}}(o + min(m0, ml)), a_at{{S}}(o + min(m0 + 1u, ml)), a_at{{S}}(o + min(m0 + 2u, ml)), a_at{{S}}(o + min(m0 + 3u, ml)));
}
#else
#if SUB_A
// A [M, K]: each row's value at k + lane4 (one element, A bound as f32s), the block's 4 x 4 from lanes 0 .. 3.
fn load_a{{S}}(base: u32, m0: u32, k: u32) -> Block {
  let ml = params.M{{S}} - 1u;
  let K = params.K{{S}};
  let kl = k + lane4;
  let v = vec4<f32>(a_at{{S}}(base + min(m0, ml) * K + kl), a_at{{S}}(base + min(m0 + 1u, ml) * K + kl), a_at{{S}}(base + min(m0 + 2u, ml) * K + kl), a_at{{S}}(base + min(m0 + 3u, ml) * K + kl));
  return Block(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}
#else
// A [M, K]: a vec4 along K per row.
fn load_a{{S}}(base: u32, m0: u32, k: u32) -> Block {
  let ml = params.M{{S}} - 1u;
  let K = params.K{{S}};
  return transpose4(a4{{S}}(base + min(m0, ml) * K + k), a4{{S}}(base + min(m0 + 1u, ml) * K + k), a4{{S}}(base + min(m0 + 2u, ml) * K + k), a4{{S}}(base + min(m0 + 3u, ml) * K + k));
}
#endif

fn a_col{{S}}(base: u32, m0: u32, k: u32) -> vec4<f32> {
  let ml = params.M{{S}} - 1u;
  let K = params.K{{S}};
  return vec4<f32>(a_at{{S}}(base + min(m0, ml) * K + k), a_at{{S}}(base + min(m0 + 1u, ml) * K + k), a_at{{S}}(base + min(m0 + 2u, ml) * K + k), a_at{{S}}(base + min(m0 + 3u, ml) * K + k));
}
#endif

#if TRANS_B
// B [N, K]: a vec4 along K per column; columns past N repeat the last.
fn load_b{{S}}(base: u32, k: u32, n: u32) -> Block {
  let nl = params.N{{S}} - 1u;
  let K = params.K{{S}};
  return Block(b4{{S}}(base + min(n, nl) * K + k), b4{{S}}(base + min(n + 1u, nl) * K + k), b4{{S}}(base + min(n + 2u, nl) * K + k), b4{{S}}(base + min(n + 3u, nl) * K + k));
}

fn b_one{{S}}(base: u32, k: u32, n: u32) -> f32 {
  return b_at{{S}}(base + n * params.K{{S}} + k);
}
#else
// B [K, N]: columns n .. n + 3 of row k; past N the last ones (the last whole vec4 under B_VEC, N a multiple of 4).
fn b_cols{{S}}(base: u32, k: u32, n: u32) -> vec4<f32> {
  let o = base + k * params.N{{S}};
#if B_VEC
  return b4{{S}}(o + min(n, params.N{{S}} - 4u));
#else
  let nl = params.N{{S}} - 1u;
  return vec4<f32>(b_at{{S}}(o + min(n, nl)), b_at{{S}}(o + min(n + 1u, nl)), b_at{{S}}(o + min(n + 2u, nl)), b_at{{S}}(o + min(n + 3u, nl)));
#endif
}

fn load_b{{S}}(base: u32, k: u32, n: u32) -> Block {
  return transpose4(b_cols{{S}}(base, k, n), b_cols{{S}}(base, k + 1u, n), b_cols{{S}}(base, k + 2u, n), b_cols{{S}}(base, k + 3u, n));
}

fn b_one{{S}}(base: u32, k: u32, n: u32) -> f32 {
  return b_at{{S}}(base + k * params.N{{S}} + n);
}
#endif

// The K tail: one k, rows av, columns n .. n + 3 (past N: the last).
fn step1{{S}}(acc: Acc, av: vec4<f32>, base_b: u32, k: u32, n: u32) -> Acc {
  let nl = params.N{{S}} - 1u;
  return Acc(mad(av, b_one{{S}}(base_b, k, min(n, nl)), acc.c0), mad(av, b_one{{S}}(base_b, k, min(n + 1u, nl)), acc.c1), mad(av, b_one{{S}}(base_b, k, min(n + 2u, nl)), acc.c2), mad(av, b_one{{S}}(base_b, k, min(n + 3u, nl)), acc.c3));
}

#if !C_VEC
// x plus R's element i under ACCUM, plus C's own under ADD_C.
fn plus{{S}}(i: u32, x: f32) -> f32 {
#if ACCUM
  return x + addend[i];
#elif ADD_C
  return x + c{{SC}}[i];
#else
  return x;
#endif
}
#endif

// Row m of C at columns n .. n + 3, those before N: one 16-byte store under C_VEC (N and the batch stride multiples
// of 4, so the four are inside the row or all past it).
fn store_row{{S}}(base_c: u32, m: u32, n: u32, v: vec4<f32>) {
  let o = base_c + m * params.ldc{{S}} + n;
#if C_VEC
  if (n < params.N{{S}}) {
#if ACCUM
    c{{SC}}[o / 4u] = v + addend[o / 4u];
#elif ADD_C
    c{{SC}}[o / 4u] = v + c{{SC}}[o / 4u];
#else
    c{{SC}}[o / 4u] = v;
#endif
  }
#else
  if (n < params.N{{S}}) {
    c{{SC}}[o] = plus{{S}}(o, v.x);
  }
  if (n + 1u < params.N{{S}}) {
    c{{SC}}[o + 1u] = plus{{S}}(o + 1u, v.y);
  }
  if (n + 2u < params.N{{S}}) {
    c{{SC}}[o + 2u] = plus{{S}}(o + 2u, v.z);
  }
  if (n + 3u < params.N{{S}}) {
    c{{SC}}[o + 3u] = plus{{S}}(o + 3u, v.w);
  }
#endif
}

// The 4 x 4 block at rows m0 .. m0 + 3 (those before M), columns n .. n + 3, stored a row at a time.
fn store{{S}}(base_c: u32, m0: u32, n: u32, acc: Acc) {
  let t = transpose4(acc.c0, acc.c1, acc.c2, acc.c3); // t.kj: row m0 + j
  if (m0 < params.M{{S}}) {
    store_row{{S}}(base_c, m0, n, t.k0);
  }
  if (m0 + 1u < params.M{{S}}) {
    store_row{{S}}(base_c, m0 + 1u, n, t.k1);
  }
  if (m0 + 2u < params.M{{S}}) {
    store_row{{S}}(base_c, m0 + 2u, n, t.k2);
  }
  if (m0 + 3u < params.M{{S}}) {
    store_row{{S}}(base_c, m0 + 3u, n, t.k3);
  }
}

// The block of invocation gid (RPI rows from gid.y * RPI, RC columns from gid.x * RC, batch gid.z): its 4-column
// groups are written out (g0 .. g3; h0 .. h3 for rows 4 .. 7 under ROWS8; i0 .. i3 and j0 .. j3 for rows 8 .. 15 under
// ROWS16), not an array indexed in a loop, which SwiftShader would run lane by lane with a mask per iteration.
fn run{{S}}(gid: vec3<u32>) {
  let n0 = gid.x * RC;
  let m0 = gid.y * RPI;
#if SUB_A
  // Past N an invocation still loads its lane's A for the others (its columns repeat the last; nothing is stored).
  if (m0 >= params.M{{S}}) {
    return;
  }
#else
  if (n0 >= params.N{{S}} || m0 >= params.M{{S}}) {
    return;
  }
#endif
  let base_a = gid.z * params.batch_a{{S}};
  let base_b = gid.z * params.batch_b{{S}};
  var g0 = Acc();
  var g1 = Acc();
  var g2 = Acc();
  var g3 = Acc();
#if ROWS8
  var h0 = Acc();
  var h1 = Acc();
  var h2 = Acc();
  var h3 = Acc();
#endif
#if ROWS16
  var i0 = Acc();
  var i1 = Acc();
  var i2 = Acc();
  var i3 = Acc();
  var j0 = Acc();
  var j1 = Acc();
  var j2 = Acc();
  var j3 = Acc();
#endif
  let k4 = params.K{{S}} & ~3u;
  for (var k = 0u; k < k4; k += 4u) {
    let av = load_a{{S}}(base_a, m0, k);
#if ROWS8
    let av2 = load_a{{S}}(base_a, m0 + 4u, k);
#endif
#if ROWS16
    let av3 = load_a{{S}}(base_a, m0 + 8u, k);
    let av4 = load_a{{S}}(base_a, m0 + 12u, k);
#endif
    let b0 = load_b{{S}}(base_b, k, n0);
    g0 = step(g0, av, b0);
#if ROWS8
    h0 = step(h0, av2, b0);
#endif
#if ROWS16
    i0 = step(i0, av3, b0);
    j0 = step(j0, av4, b0);
#endif
#if G1
    let b1 = load_b{{S}}(base_b, k, n0 + 4u);
    g1 = step(g1, av, b1);
#if ROWS8
    h1 = step(h1, av2, b1);
#endif
#if ROWS16
    i1 = step(i1, av3, b1);
    j1 = step(j1, av4, b1);
#endif
#endif
#if G2
    let b2 = load_b{{S}}(base_b, k, n0 + 8u);
    g2 = step(g2, av, b2);
#if ROWS8
    h2 = step(h2, av2, b2);
#endif
#if ROWS16
    i2 = step(i2, av3, b2);
    j2 = step(j2, av4, b2);
#endif
#endif
#if G3
    let b3 = load_b{{S}}(base_b, k, n0 + 12u);
    g3 = step(g3, av, b3);
#if ROWS8
    h3 = step(h3, av2, b3);
#endif
#if ROWS16
    i3 = step(i3, av3, b3);
    j3 = step(j3, av4, b3);
#endif
#endif
  }
  // K's last K % 4 steps, one k at a time.
  for (var k = k4; k < params.K{{S}}; k++) {
    let av = a_col{{S}}(base_a, m0, k);
    g0 = step1{{S}}(g0, av, base_b, k, n0);
    g1 = step1{{S}}(g1, av, base_b, k, n0 + 4u);
    g2 = step1{{S}}(g2, av, base_b, k, n0 + 8u);
    g3 = step1{{S}}(g3, av, base_b, k, n0 + 12u);
#if ROWS8
    let av2 = a_col{{S}}(base_a, m0 + 4u, k);
    h0 = step1{{S}}(h0, av2, base_b, k, n0);
    h1 = step1{{S}}(h1, av2, base_b, k, n0 + 4u);
    h2 = step1{{S}}(h2, av2, base_b, k, n0 + 8u);
    h3 = step1{{S}}(h3, av2, base_b, k, n0 + 12u);
#endif
#if ROWS16
    let av3 = a_col{{S}}(base_a, m0 + 8u, k);
    i0 = step1{{S}}(i0, av3, base_b, k, n0);
    i1 = step1{{S}}(i1, av3, base_b, k, n0 + 4u);
    i2 = step1{{S}}(i2, av3, base_b, k, n0 + 8u);
    i3 = step1{{S}}(i3, av3, base_b, k, n0 + 12u);
    let av4 = a_col{{S}}(base_a, m0 + 12u, k);
    j0 = step1{{S}}(j0, av4, base_b, k, n0);
    j1 = step1{{S}}(j1, av4, base_b, k, n0 + 4u);
    j2 = step1{{S}}(j2, av4, base_b, k, n0 + 8u);
    j3 = step1{{S}}(j3, av4, base_b, k, n0 + 12u);
#endif
  }
  let base_c = gid.z * params.batch_c{{S}} + params.c0{{S}};
  store{{S}}(base_c, m0, n0, g0);
#if G1
  store{{S}}(base_c, m0, n0 + 4u, g1);
#endif
#if G2
  store{{S}}(base_c, m0, n0 + 8u, g2);
#endif
#if G3
  store{{S}}(base_c, m0, n0 + 12u, g3);
#endif
#if ROWS8
  store{{S}}(base_c, m0 + 4u, n0, h0);
#if G1
  store{{S}}(base_c, m0 + 4u, n0 + 4u, h1);
#endif
#if G2
  store{{S}}(base_c, m0 + 4u, n0 + 8u, h2);
#endif
#if G3
  store{{S}}(base_c, m0 + 4u, n0 + 12u, h3);
#endif
#endif
#if ROWS16
  store{{S}}(base_c, m0 + 8u, n0, i0);
#if G1
  store{{S}}(base_c, m0 + 8u, n0 + 4u, i1);
#endif
#if G2
  store{{S}}(base_c, m0 + 8u, n0 + 8u, i2);
#endif
#if G3
  store{{S}}(base_c, m0 + 8u, n0 + 12u, i3);
#endif
  store{{S}}(base_c, m0 + 12u, n0, j0);
#if G1
  store{{S}}(base_c, m0 + 12u, n0 + 4u, j1);
#endif
#if G2
  store{{S}}(base_c, m0 + 12u, n0 + 8u, j2);
#endif
#if G3
  store{{S}}(base_c, m0 + 12u, n0 + 12u, j3);
#endif
#endif
}
