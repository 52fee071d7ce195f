// One product of matmul_f32.wgsl: its operand bindings, loads, stores and `run{{S}}`. Included once per product
// with S (suffix of its functions and params fields: '' for the first), SA / SB / SC (suffixes of the a, b, c
// bindings it uses), OWN_A / OWN_B / OWN_C with BA / BB / BC (declare those bindings here, at those numbers), ACCUM
// (C = product + R: the first product only) and ADD_C (C = product + C: a GROUP_SUM's products after the first).
#if OWN_A
@group(0) @binding({{BA}}) var<storage, read> a{{SA}}: array<f32>;
#endif
#if OWN_B
#if B16
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<u32>;
#else
@group(0) @binding({{BB}}) var<storage, read> b{{SB}}: array<f32>;
#endif
#endif
#if OWN_C
@group(0) @binding({{BC}}) var<storage, read_write> c{{SC}}: array<f32>;
#endif

fn b_at{{S}}(i: u32) -> f32 {
#if B16
  return w16_pair(b{{SB}}[i >> 1u])[i & 1u];
#else
  return b{{SB}}[i];
#endif
}

// Element i of C (its flat index in c) takes v, plus R's element i under ACCUM (C's own under ADD_C), through the
// STE mask under STE_MASK (one product only).
fn put{{S}}(i: u32, v: f32) {
#if ACCUM
  c{{SC}}[i] = v + addend[i];
#elif STE_MASK
  c{{SC}}[i] = ste_mask(i, v);
#elif ADD_C
  c{{SC}}[i] = v + c{{SC}}[i];
#else
  c{{SC}}[i] = v;
#endif
}

fn load_a{{S}}(base: u32, m: u32, k: u32) -> f32 {
  if (m >= params.M{{S}} || k >= params.K{{S}}) {
    return 0.0;
  }
#if TRANS_A
  return a{{SA}}[base + k * params.M{{S}} + m];
#else
  return a{{SA}}[base + m * params.K{{S}} + k];
#endif
}

fn load_b{{S}}(base: u32, k: u32, n: u32) -> f32 {
  if (k >= params.K{{S}} || n >= params.N{{S}}) {
    return 0.0;
  }
#if TRANS_B
  return b_at{{S}}(base + n * params.K{{S}} + k);
#else
  return b_at{{S}}(base + k * params.N{{S}} + n);
#endif
}

#if TILED
// The tile of workgroup wid (z: the batch): (WG_Y * TM) x (WG_X * TN) outputs through As / Bs in BK-deep slices;
// invocation (x, y) holds rows y + r WG_Y and columns x + q WG_X of it (strided, so a warp's reads of As / Bs are
// adjacent words).
fn run{{S}}(wid: vec3<u32>, lid3: vec3<u32>) {
  let BM = WG_Y * TM;
  let BN = WG_X * TN;
  let threads = WG_X * WG_Y;
  let lid = lid3.y * WG_X + lid3.x;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let base_a = wid.z * params.batch_a{{S}};
  let base_b = wid.z * params.batch_b{{S}};
  let base_c = wid.z * params.batch_c{{S}} + params.c0{{S}};
  var acc: array<array<f32, TN>, TM>;
  for (var k0 = 0u; k0 < params.K{{S}}; k0 += BK) {
    // Adjacent invocations load adjacent addresses of each operand (along its contiguous dimension: K for A [M, K]
    // and B [N, K], M for A [K, M], N for B [K, N]), which a GPU coalesces into few memory transactions.
    for (var i = lid; i < BM * BK; i += threads) {
#if TRANS_A
      let kk = i / BM;
      let row = i % BM;
#else
      let row = i / BK;
      let kk = i % BK;
#endif
      As[kk * BM + row] = load_a{{S}}(base_a, m0 + row, k0 + kk);
    }
    for (var i = lid; i < BN * BK; i += threads) {
#if TRANS_B
      let col = i / BK;
      let kk = i % BK;
#else
      let kk = i / BN;
      let col = i % BN;
#endif
      Bs[kk * BN + col] = load_b{{S}}(base_b, k0 + kk, n0 + col);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var av: array<f32, TM>;
      var bv: array<f32, TN>;
      for (var r = 0u; r < TM; r++) {
        av[r] = As[kk * BM + lid3.y + r * WG_Y];
      }
      for (var q = 0u; q < TN; q++) {
        bv[q] = Bs[kk * BN + lid3.x + q * WG_X];
      }
      for (var r = 0u; r < TM; r++) {
        for (var q = 0u; q < TN; q++) {
          acc[r][q] = fma(av[r], bv[q], acc[r][q]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TM; r++) {
    let m = m0 + lid3.y + r * WG_Y;
    for (var q = 0u; q < TN; q++) {
      let n = n0 + lid3.x + q * WG_X;
      if (m < params.M{{S}} && n < params.N{{S}}) {
        put{{S}}(base_c + m * params.ldc{{S}} + n, acc[r][q]);
      }
    }
  }
}
#elif BLOCK4
// Column n of the block (rows m0 .. m0 + 3 in v's components), where inside C.
fn store4{{S}}(base_c: u32, m0: u32, n: u32, v: vec4<f32>) {
  if (n >= params.N{{S}}) {
    return;
  }
  for (var r = 0u; r < 4u && m0 + r < params.M{{S}}; r++) {
    put{{S}}(base_c + (m0 + r) * params.ldc{{S}} + n, v[r]);
  }
}

// One invocation's 4 x 4 block of outputs.
fn run{{S}}(gid: vec3<u32>) {
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (m0 >= params.M{{S}} || n0 >= params.N{{S}}) {
    return;
  }
  let base_a = gid.z * params.batch_a{{S}};
  let base_b = gid.z * params.batch_b{{S}};
  var c0 = vec4<f32>();
  var c1 = vec4<f32>();
  var c2 = vec4<f32>();
  var c3 = vec4<f32>();
  for (var k = 0u; k < params.K{{S}}; k++) {
    let a = vec4<f32>(load_a{{S}}(base_a, m0, k), load_a{{S}}(base_a, m0 + 1u, k), load_a{{S}}(base_a, m0 + 2u, k), load_a{{S}}(base_a, m0 + 3u, k));
    c0 = fma(a, vec4<f32>(load_b{{S}}(base_b, k, n0)), c0);
    c1 = fma(a, vec4<f32>(load_b{{S}}(base_b, k, n0 + 1u)), c1);
    c2 = fma(a, vec4<f32>(load_b{{S}}(base_b, k, n0 + 2u)), c2);
    c3 = fma(a, vec4<f32>(load_b{{S}}(base_b, k, n0 + 3u)), c3);
  }
  let base_c = gid.z * params.batch_c{{S}} + params.c0{{S}};
  store4{{S}}(base_c, m0, n0, c0);
  store4{{S}}(base_c, m0, n0 + 1u, c1);
  store4{{S}}(base_c, m0, n0 + 2u, c2);
  store4{{S}}(base_c, m0, n0 + 3u, c3);
}
#else
// One invocation's output.
fn run{{S}}(gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (m >= params.M{{S}} || n >= params.N{{S}}) {
    return;
  }
  let base_a = gid.z * params.batch_a{{S}};
  let base_b = gid.z * params.batch_b{{S}};
  var acc = 0.0;
  for (var k = 0u; k < params.K{{S}}; k++) {
    acc = fma(load_a{{S}}(base_a, m, k), load_b{{S}}(base_b, k, n), acc);
  }
  put{{S}}(gid.z * params.batch_c{{S}} + params.c0{{S}} + m * params.ldc{{S}} + n, acc);
}
#endif
