// The dequant-fused matmuls (W4A16, W8A16, W8A8) on the weights users bring and the inputs they should not: non-finite
// activations, more rows than a dispatch grid holds, weights in shards, imported GGUF / GPTQ tensors and K-quants
// with compact scales.
import type { GpuContext } from '../../src/gpu/context.js';
import { matmulQ, matmulW8A8, matmulWeights, planMatmulQ, planMatmulW8A8, subgroupsOf4, type MatmulPath, type QuantWeights } from '../../src/kernels/matmul.js';
import { toF16 } from '../../src/ref/f16.js';
import { matmulQRef, matmulRef, matmulW8A8Ref, packI8Rows, quantizeRowsI8Ref } from '../../src/ref/matmul.js';
import { randomF32, randomGgufBlocks, randomPermutation } from '../../src/ref/random.js';
import { compareBound, compareExact, U_F16, U_F32 } from '../../src/ref/tolerance.js';
import { dequantize, destroyQuantized, downloadQuantized, uploadQuantized, uploadQuantizedShards } from '../../src/kernels/quant.js';
import { dequantizeGguf, exportGguf, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { exportGptq, importGptq } from '../../src/quant/gptq.js';
import { makeScheme, type QuantizedTensor } from '../../src/quant/scheme.js';
import { dequantizeRef, quantizeRef } from '../../src/ref/quant.js';
import { assert, expectError, type GpuCase } from './types.js';
import type { Dispatch } from '../../src/kernels/common.js';
import { randomQuantWeights, uploadWeights, checkSplitPlan } from './matmul_helpers.js';

export const CASES: GpuCase[] = [];

// Non-finite activations are never hidden. W8A8: int8 cannot carry an inf or a NaN, so such a row gets scale NaN,
// codes 0, and NaN in every output; the float kernels give non-finite outputs, as IEEE arithmetic does. The other
// rows are unaffected. Every path, f32 and f16 x.
async function nonFiniteCase(ctx: GpuContext): Promise<string> {
  const [M, N, K] = [5, 13, 64];
  const bad = [1, 2, 3];
  const good = [0, 4];
  const x = randomF32(M * K, 95, -2, 2);
  [x[K + 3], x[2 * K + 60], x[3 * K]] = [NaN, Infinity, -Infinity];
  const rowsOf = (v: ArrayLike<number>, rows: number[], n: number) => Float64Array.from(rows.flatMap((m) => Array.from({ length: n }, (_, j) => v[m * n + j])));
  const msgs: string[] = [];
  for (const xType of ['f32', 'f16'] as const) {
    const xh = xType === 'f16' ? toF16(x) : null;
    const xv = xh ? xh.values : x;
    const X = ctx.createBuffer(xh ? xh.bits : x, undefined, 'x');
    const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
    for (const bits of [8, 4] as const) {
      const w = randomQuantWeights(96 + bits, N, K, bits, 32, 'symmetric');
      const W = uploadWeights(ctx, w, 32);
      const kinds = bits === 8 ? (['w8a8', 'w8a16'] as const) : (['w4a16'] as const);
      for (const kind of kinds) {
        for (const path of ['rows', 'split', 'splitcols', 'tiled'] as MatmulPath[]) {
          if (kind === 'w8a8' && path === 'splitcols') continue; // grouped W: W8A8 splitcols is per channel only
          const what = `${kind} ${path} x=${xType}`;
          ctx.write(Y, new Float32Array(M * N).fill(12345));
          let ref: { y: ArrayLike<number>; tol: ArrayLike<number> };
          if (kind === 'w8a8') {
            const wpr = K / 4;
            const scratch = { xq: ctx.createBuffer(4 * M * wpr, undefined, 'xq'), xs: ctx.createBuffer(4 * M, undefined, 'xs') };
            await matmulW8A8(ctx, X, W, Y, { M, xType, path, scratch, subgroups: false });
            const q = quantizeRowsI8Ref(xv, M, K);
            const rs = compareExact(`${what} xs`, await ctx.readF32(scratch.xs, M), q.scale);
            assert(rs.ok && bad.every((m) => Number.isNaN(q.scale[m])), rs.message);
            const rq = compareExact(`${what} xq`, await ctx.readU32(scratch.xq, M * wpr), packI8Rows(q.q, M, K));
            assert(rq.ok, rq.message);
            [scratch.xq, scratch.xs].forEach((b) => b.destroy());
            ref = matmulW8A8Ref(q.q, q.scale, M, w);
          } else {
            await matmulQ(ctx, X, W, Y, { M, xType, path, f16: 'emulated', subgroups: path === 'rows' || path === 'tiled' ? undefined : false });
            ref = matmulQRef(xv, M, w);
          }
          const y = await ctx.readF32(Y, M * N);
          for (const m of bad) {
            const row = Array.from(y.subarray(m * N, (m + 1) * N));
            const ok = kind === 'w8a8' ? row.every(Number.isNaN) : row.every((v) => !Number.isFinite(v));
            assert(ok, `${what}: row ${m} holds ${xv[m * K + [3, 60, 0][m - 1]]} in x, but its outputs are ${row.join(', ')} (expected all ${kind === 'w8a8' ? 'NaN' : 'non-finite'})`);
          }
          const r = compareBound(`${what} finite rows`, rowsOf(y, good, N), rowsOf(ref.y, good, N), rowsOf(ref.tol, good, N), 1, 1, 1);
          assert(r.ok, r.message);
          msgs.push(what);
        }
      }
      [W.codes, W.scales].forEach((b) => b.destroy());
    }
    [X, Y].forEach((b) => b.destroy());
  }
  return `${msgs.length} runs: rows with NaN / +inf / -inf give ${'NaN'} (W8A8) or non-finite outputs, the other rows within the bound`;
}

// More rows than one dispatch's grid holds (one row per workgroup slice: maxComputeWorkgroupsPerDimension + 2): the
// planner splits M by the grid limit too, W4A16 and W8A8 (its activation quantization as well).
async function gridRowsCase(ctx: GpuContext): Promise<string> {
  const M = ctx.limits.maxComputeWorkgroupsPerDimension + 2;
  const [N, K] = [3, 16];
  const x = randomF32(M * K, 97, -2, 2);
  const X = ctx.createBuffer(x, undefined, 'x');
  const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
  const msgs: string[] = [];
  for (const bits of [4, 8] as const) {
    const w = randomQuantWeights(98 + bits, N, K, bits, undefined, 'symmetric');
    const W = uploadWeights(ctx, w, undefined);
    for (const kind of bits === 8 ? ['w8a8', 'w8a16'] : ['w4a16']) {
      const o = { M, xType: 'f32' as const, path: 'rows' as const, rowsPerInvocation: 1 as const };
      ctx.write(Y, new Float32Array(M * N).fill(NaN));
      let ref: { y: ArrayLike<number>; tol: ArrayLike<number> };
      let plan: Dispatch[];
      if (kind === 'w8a8') {
        const scratch = { xq: ctx.createBuffer(4 * M * (K / 4), undefined, 'xq'), xs: ctx.createBuffer(4 * M, undefined, 'xs') };
        plan = await planMatmulW8A8(ctx, X, W, Y, { ...o, scratch });
        await matmulW8A8(ctx, X, W, Y, { ...o, scratch });
        [scratch.xq, scratch.xs].forEach((b) => b.destroy());
        const q = quantizeRowsI8Ref(x, M, K);
        ref = matmulW8A8Ref(q.q, q.scale, M, w);
      } else {
        plan = await planMatmulQ(ctx, X, W, Y, o);
        await matmulQ(ctx, X, W, Y, o);
        ref = matmulQRef(x, M, w);
      }
      const heights = plan.filter((d) => d.kernel.name.startsWith('matmul')).map((d) => d.args.params!.M);
      assert(heights.length === 2 && heights[0] === ctx.limits.maxComputeWorkgroupsPerDimension, `${kind}: chunk heights ${heights.join(', ')}`);
      const r = compareBound(`${kind} rows r1 M=${M}`, await ctx.readF32(Y, M * N), ref.y, ref.tol, 1, 1, 1);
      assert(r.ok, r.message);
      msgs.push(`${r.message} (chunks of ${heights.join(' + ')} rows)`);
    }
    [W.codes, W.scales].forEach((b) => b.destroy());
  }
  [X, Y].forEach((b) => b.destroy());
  return msgs.join('; ');
}

// The rows path sums each row the same way alone and in a block (one fma per code, in k order, codes masked in
// place): a decode's row and a prefill's rows give the same bits. Blocks of 1, 4 and 8 rows and 16 or 5 columns,
// M = 11 (partial blocks), W4 and W8, every scheme, f32 and f16 x, f32 x also through subgroupBroadcast (SUB_X);
// then the reference.
async function rowsBlockBitsCase(ctx: GpuContext): Promise<string> {
  const [M, N, K, group] = [11, 21, 96, 32];
  const msgs: string[] = [];
  for (const xType of ['f32', 'f16'] as const) {
    const x = randomF32(M * K, 131, -2, 2);
    const xh = xType === 'f16' ? toF16(x) : null;
    const X = ctx.createBuffer(xh ? xh.bits : x, undefined, 'x');
    const Y = ctx.createBuffer(4 * M * N, undefined, 'y');
    for (const bits of [4, 8] as const) {
      for (const mode of ['symmetric', 'zero-point', 'float-min'] as const) {
        const w = randomQuantWeights(132 + bits, N, K, bits, group, mode);
        const W = uploadWeights(ctx, w, group);
        const what = `w${bits}a16 ${mode} x=${xType}`;
        let first: Float32Array | undefined;
        const subXs = xType === 'f32' && subgroupsOf4(ctx) ? [false, true] : [false];
        for (const [rows, cols, subX] of subXs.flatMap((sx) => ([[1, 16], [4, 5], [8, 16], [8, 5]] as const).map(([r, c]) => [r, c, sx] as const))) {
          ctx.write(Y, new Float32Array(M * N).fill(NaN));
          await matmulQ(ctx, X, W, Y, { M, xType, path: 'rows', f16: 'emulated', rowsPerInvocation: rows, colsPerInvocation: cols, subX });
          const y = await ctx.readF32(Y, M * N);
          if (!first) {
            const ref = matmulQRef(xh ? xh.values : x, M, w);
            const r = compareBound(`${what} r1`, y, ref.y, ref.tol, 1, 1, 1);
            assert(r.ok, r.message);
            first = y;
          } else {
            const r = compareExact(`${what} r${rows} c${cols}${subX ? ' SUB_X' : ''} against r1`, y, first);
            assert(r.ok, r.message);
          }
        }
        msgs.push(what);
        [W.codes, W.scales, W.zeros].forEach((b) => b?.destroy());
      }
    }
    [X, Y].forEach((b) => b.destroy());
  }
  return `${msgs.length} weights x activations: blocks of 4 and 8 rows bit for bit the rows alone, which are within the bound`;
}

/** f16 x [M, K] in (-2, 2), its buffer, an f32 y buffer and the f64 reference x · wd^T with the f32 bound 2·K·u·Σ|x·w|. */
function f16Problem(ctx: GpuContext, M: number, N: number, K: number, seed: number, wd: Float32Array | Float64Array) {
  const x = toF16(randomF32(M * K, seed, -2, 2));
  const ref = matmulRef(x.values, wd, { M, N, K, transB: true });
  return { x, X: ctx.createBuffer(x.bits, undefined, 'x'), Y: ctx.createBuffer(4 * M * N, undefined, 'y'), ref, tol: ref.absSum.map((a) => 2 * K * U_F32 * a) };
}

// Weights in shards along N (uploadQuantizedShards, for weights over a buffer limit: forced small here) give the
// same bits as the whole weight on every path, W8A8 included; also under a binding limit (1 KiB) that the whole
// weight would not fit, with x split along M as well. Then the reference.
async function shardedCase(ctx: GpuContext): Promise<string> {
  const [N, K] = [29, 96];
  const w = randomF32(N * K, 93, -1, 1);
  const msgs: string[] = [];
  const schemes = [
    ['W4 g32 float-min f16 scales', makeScheme({ bits: 4, group: 32, symmetric: false, rule: 'q4_1', scaleType: 'f16' })],
    ['W8 per channel', makeScheme({ bits: 8, group: 0 })],
  ] as const;
  for (const [sname, scheme] of schemes) {
    const qt = quantizeRef(w, N, K, scheme);
    const whole = uploadQuantized(ctx, qt, 'w');
    const rowBytes = Math.max(4 * Math.ceil(K / (32 / scheme.bits)), 4 * Math.ceil(K / (scheme.group || K)));
    const shards = uploadQuantizedShards(ctx, qt, 'w', 8 * rowBytes + 2); // 8 rows a shard: 8 + 8 + 8 + 5
    assert(shards.length === 4 && shards.map((q) => q.N).join() === '8,8,8,5', `${sname}: shards of ${shards.map((q) => q.N).join(', ')} rows, expected 8, 8, 8, 5`);
    assert(shards[1].codes.label === 'w[8:16].codes', `shard label '${shards[1].codes.label}'`);
    const wd = dequantizeRef(qt);
    for (const M of [3, 20]) {
      const { X, Y, ref, tol } = f16Problem(ctx, M, N, K, 94 + M, wd);
      const kinds = scheme.bits === 8 ? ['w8a16', 'w8a8'] : ['w4a16'];
      for (const kind of kinds) {
        const paths: MatmulPath[] = M <= 8 ? (kind === 'w8a8' && scheme.group !== 0 ? ['rows', 'split'] : ['rows', 'split', 'splitcols']) : ['rows', 'tiled'];
        for (const path of paths) {
          for (const maxBindingBytes of [undefined, 1024]) {
            const run = async (wb: QuantWeights, maxBindingBytes?: number) => {
              ctx.write(Y, new Float32Array(M * N).fill(NaN));
              const o = { M, xType: 'f16' as const, path, maxBindingBytes, subgroups: path === 'rows' || path === 'tiled' ? undefined : false };
              if (kind === 'w8a8') await matmulW8A8(ctx, X, wb, Y, o);
              else await matmulQ(ctx, X, wb, Y, { ...o, f16: 'emulated' });
              return ctx.readU32(Y, M * N);
            };
            const what = `${sname} ${kind} ${path} M=${M}${maxBindingBytes ? ` binding<=${maxBindingBytes}B` : ''}`;
            const a = await run(matmulWeights(whole));
            const b = await run(matmulWeights(shards), maxBindingBytes);
            const same = compareExact(`${what}: 4 shards vs whole`, b, a);
            assert(same.ok, same.message);
            if (kind !== 'w8a8') {
              const r = compareBound(what, new Float32Array(b.buffer, b.byteOffset, M * N), ref.c, tol, 1, 1, 1);
              assert(r.ok, r.message);
            }
            msgs.push(what);
          }
        }
      }
      X.destroy();
      Y.destroy();
    }
    destroyQuantized(whole);
    shards.forEach(destroyQuantized);
  }
  const m = await expectError('mismatched shards', async () => {
    const a = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32 })), 'a');
    const b = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 4, group: 0 })), 'b');
    try {
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * 2 * N, undefined, 'y');
      await matmulQ(ctx, X, matmulWeights([a, b]), Y, { M: 1, xType: 'f16' }).finally(() => [X, Y].forEach((t) => t.destroy()));
    } finally {
      [a, b].forEach(destroyQuantized);
    }
  });
  assert(/W shard 1\): W: K, bits, group, scheme and scale type must match shard 0 \(K=96, 4 bits, group 32/.test(m), m);
  return `${msgs.length} runs bit-identical to the whole weight and within the bound; ${m}`;
}

// Imported checkpoints straight into the fused kernels: GGUF Q4_0 / Q4_1 / Q8_0 blocks and a GPTQ int4 tensor,
// repacked by the importers into layout.ts words (f16 scales and mins kept as f16), uploaded, and handed to the
// matmuls through matmulWeights() with no copy. Reference: the file's own dequantization (ggml's formulas on the raw
// blocks; GPTQ's (q - z) * s), then an f64 matmul, bound 2·K·u·Σ|x·w| (f32 compute: the adapter's f16 path would
// need shader-f16).
async function importedCase(ctx: GpuContext): Promise<string> {
  const [N, K] = [24, 96]; // GPTQ packs 8 codes per int32 along N and K
  const w = randomF32(N * K, 91, -1, 1);
  const msgs: string[] = [];
  const sources: [string, QuantizedTensor, Float32Array | Float64Array][] = [];
  for (const t of ['Q4_0', 'Q4_1', 'Q8_0'] as GgufBlockType[]) {
    const bytes = exportGguf(t, quantizeRef(w, N, K, makeScheme({ bits: t === 'Q8_0' ? 8 : 4, group: 32, rule: t.toLowerCase() as 'q4_0' })));
    sources.push([`GGUF ${t}`, importGguf(t, bytes, N, K), dequantizeGguf(t, bytes, N, K)]);
  }
  const gptq = importGptq(exportGptq(quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32, symmetric: false, scaleType: 'f16' }))), { N, K, group: 32 });
  sources.push(['GPTQ int4 g32', gptq, dequantizeRef(gptq)]);
  // GPTQ act-order (desc_act): a random column order, exported with its g_idx and imported back (kPerm); matmulQ
  // gathers x into the stored order. The reference is the original-order weight.
  const perm = randomPermutation(K, 97);
  const act = importGptq(exportGptq({ ...gptq, kPerm: perm }), { N, K, group: 32 });
  assert(!!act.kPerm, 'the act-order import kept no permutation');
  sources.push(['GPTQ int4 g32 act-order', act, dequantizeRef(act)]);
  // Import-only types (K-quants: K a multiple of 256), random blocks. Q4_K runs as 4-bit g32 with f32 scales and
  // float mins, Q5_K as 8-bit g32 likewise, Q6_K as 8-bit g16 with f32 scales, Q5_0 as 8-bit g32 symmetric and Q5_1
  // as 8-bit g32 float-min, both with f16 scales (the symmetric ones also through W8A8), Q3_K as 4-bit g16 symmetric
  // and Q2_K as 4-bit g16 float-min, both with f32 scales; the table-valued MXFP4, IQ4_NL and IQ4_XS as 4-bit g32
  // codes into their tables (the kernels' LUT variants; f32, f16 and f32 scales); the lattice types IQ1-IQ3 likewise
  // into theirs, with s8 scales (groups of 32, or 16 for IQ2_XS, IQ2_S and IQ1_M).
  for (const [i, t] of (['Q4_K', 'Q5_K', 'Q6_K', 'Q5_0', 'Q5_1', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'] as const).entries()) {
    const bytes = randomGgufBlocks(t, N, 512, 93 + i);
    sources.push([`GGUF ${t}`, importGguf(t, bytes, N, 512), dequantizeGguf(t, bytes, N, 512)]);
  }
  for (const [name, imp, wd] of sources) {
    const K = imp.K;
    const q = uploadQuantized(ctx, imp, name);
    const W = matmulWeights(q, name);
    for (const M of [1, 20]) {
      const { x, X, Y, ref, tol } = f16Problem(ctx, M, N, K, 92 + M, wd);
      // Every path (the 8-bit float-min of Q5_1 / Q5_K is a combination no quantizer makes).
      for (const path of (M <= 8 ? ['rows', 'split', 'splitcols'] : ['rows', 'tiled']) as MatmulPath[]) {
        ctx.write(Y, new Float32Array(M * N).fill(NaN));
        await matmulQ(ctx, X, W, Y, { M, xType: 'f16', f16: 'emulated', path });
        const r = compareBound(`${name} W${imp.scheme.bits}A16 M=${M} ${path}`, await ctx.readF32(Y, M * N), ref.c, tol, 1, 1, 1);
        assert(r.ok, r.message);
        msgs.push(r.message);
      }
      if (imp.scheme.bits === 8 && imp.scheme.symmetric) {
        // W8A8: x quantized per token on the GPU, exact integer dot products with the file's int8 codes.
        const qx = quantizeRowsI8Ref(x.values, M, K);
        const ref8 = matmulW8A8Ref(qx.q, qx.scale, M, { bits: 8, N, K, group: imp.scheme.group, mode: 'symmetric', codes: imp.codes, scales: imp.scales });
        ctx.write(Y, new Float32Array(M * N).fill(NaN));
        await matmulW8A8(ctx, X, W, Y, { M, xType: 'f16' });
        const r8 = compareBound(`${name} W8A8 M=${M}`, await ctx.readF32(Y, M * N), ref8.y, ref8.tol, 1, 1, 1);
        assert(r8.ok, r8.message);
        msgs.push(r8.message);
      }
      X.destroy();
      Y.destroy();
    }
    if (imp.kPerm) {
      // Act-order on the GPU: dequantize comes back in the original order, the download keeps the permutation,
      // and a planner caller who has not gathered x is refused by name.
      const Yd = await dequantize(ctx, q);
      const e = compareExact(`${name} dequantize`, await ctx.readU32(Yd, N * K), new Uint32Array(wd.buffer, wd.byteOffset, N * K));
      assert(e.ok, e.message);
      Yd.destroy();
      const back = await downloadQuantized(ctx, q);
      assert(compareExact(`${name} kPerm download`, back.kPerm!, imp.kPerm).ok, `${name}: downloadQuantized changed kPerm`);
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const m = await expectError('act-order plan', () => planMatmulQ(ctx, X, W, Y, { M: 1, xType: 'f16' }));
      assert(/W is stored in GPTQ act-order \(kPerm\): x must be gathered into its column order first/.test(m), m);
      msgs.push(e.message, m);
      [X, Y].forEach((b) => b.destroy());
    }
    destroyQuantized(q);
  }
  const two = uploadQuantized(ctx, quantizeRef(w, N, K, makeScheme({ bits: 2, group: 32 })), 'w2');
  const m2 = await expectError('2-bit', async () => matmulWeights(two, 'w2'));
  assert(m2.includes('w2') && m2.includes('4- or 8-bit'), `the 2-bit refusal should name the tensor and the widths: ${m2}`);
  msgs.push(m2);
  destroyQuantized(two);
  return msgs.join(' | ');
}

CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 rows: more rows than one dispatch grid holds are split along M', run: gridRowsCase });
CASES.push({ name: 'matmul_w4a16 / w8a16 rows: a row alone and in blocks of 4 and 8 rows gives the same bits', run: rowsBlockBitsCase });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8: a NaN or inf in x makes its row non-finite (W8A8: NaN), never finite garbage', run: nonFiniteCase });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 with the weight in shards along N (uploadQuantizedShards): bit-identical to the whole weight, every path', run: shardedCase });

// GGUF K-quants (and IQ4_XS) with their scales kept compact on the GPU, 0.625 bits a weight against 2 for f32 scales (and mins):
// Q4_K / Q5_K as 'k6' (the file's 6-bit scales and mins, f16 d and dmin per super-block), Q2_K likewise (4-bit scales
// and mins, groups of 16), Q6_K and Q3_K as 's8' (their int8 scales, f16 d per super-block; Q3_K with 4-bit codes), and
// IQ4_XS as 's8' with groups of 32 (its 6-bit ls - 32 per 32, f16 d per 256; 4-bit codes into its table: 0.375 bits),
// IQ1_M as 's8' with groups of 16 into its table (the lattice types' compact storage; the others in importedCase). The same bits as the f32 storage on every path (W8A8 too for Q6_K), whole, in
// shards (uploadQuantizedShards) and split along N under a forced binding limit; dequantize exact; and the round trip
// through downloadQuantized.
async function k6Case(ctx: GpuContext): Promise<string> {
  const [N, K] = [136, 512];
  const msgs: string[] = [];
  for (const [i, t] of (['Q4_K', 'Q5_K', 'Q6_K', 'Q3_K', 'Q2_K', 'IQ4_XS', 'IQ1_M'] as const).entries()) {
    const bytes = randomGgufBlocks(t, N, K, 71 + i);
    const imp = importGguf(t, bytes, N, K);
    const kind = t === 'Q6_K' || t === 'Q3_K' || t === 'IQ4_XS' || t === 'IQ1_M' ? 's8' : 'k6';
    const compact = uploadQuantized(ctx, imp, t);
    const wide = uploadQuantized(ctx, imp, t, { compact: false });
    assert(compact.storage === kind && wide.storage === undefined, `${t}: storage ${compact.storage} / ${wide.storage}`);
    const ng = K / imp.scheme.group;
    const sizes = kind === 'k6' ? [compact.scales.size, compact.zeros!.size] : [compact.scales.size, compact.supers!.size];
    const want = kind === 'k6' ? [2 * N * ng, (4 * N * ng * imp.scheme.group) / 256] : [N * ng, (4 * N * ng * imp.scheme.group) / 256];
    assert(sizes.join() === want.join() && wide.scales.size === 4 * N * ng, `${t}: buffer sizes ${sizes.join()} (want ${want.join()}), ${wide.scales.size}`);
    const back = await downloadQuantized(ctx, compact);
    assert(compareExact(`${t} ${kind} download scales`, back.scales, imp.scales).ok && (!imp.zeros || compareExact(`${t} ${kind} download zeros`, back.zeros!, imp.zeros).ok), `${t}: downloadQuantized changed the scales`);
    const words = (q: QuantizedTensor) => (kind === 'k6' ? q.k6! : q.s8!);
    assert(compareExact(`${t} ${kind} words`, words(back).scales, words(imp).scales).ok && compareExact(`${t} ${kind} supers`, words(back).supers, words(imp).supers).ok, `${t}: downloadQuantized changed the ${kind} words`);
    const Yd = await dequantize(ctx, compact);
    msgs.push(compareExact(`${t} ${kind} dequantize`, await ctx.readU32(Yd, N * K), new Uint32Array(dequantizeGguf(t, bytes, N, K).buffer)).message);
    Yd.destroy();
    const rowBytes = 4 * (K / (32 / imp.scheme.bits));
    const shards = uploadQuantizedShards(ctx, imp, t, 64 * rowBytes); // 64 rows a shard: 64 + 64 + 8
    assert(shards.length === 3 && shards.every((q) => q.storage === kind), `${t}: ${shards.length} shards, storage ${shards.map((q) => q.storage).join()}`);
    for (const M of [2, 20]) {
      const { X, Y, ref, tol } = f16Problem(ctx, M, N, K, 75 + M, dequantizeGguf(t, bytes, N, K));
      // f16-native math too where the adapter has shader-f16 (a GPU; nibble selftest runs it there).
      const modes = ctx.caps.shaderF16 ? (['emulated', 'native'] as const) : (['emulated'] as const);
      const paths: MatmulPath[] = M <= 8 ? ['rows', 'split', 'splitcols'] : ['rows', 'tiled'];
      for (const [f16, path] of modes.flatMap((f) => paths.map((p) => [f, p] as const))) {
        const run = async (wb: QuantWeights, maxBindingBytes?: number) => {
          ctx.write(Y, new Float32Array(M * N).fill(NaN));
          await matmulQ(ctx, X, wb, Y, { M, xType: 'f16', f16, path, maxBindingBytes });
          return ctx.readU32(Y, M * N);
        };
        const a = await run(matmulWeights(wide));
        const what = `${t} ${kind} ${path} f16-${f16} M=${M}`;
        const limit = 64 * rowBytes; // 64 rows a dispatch (the offset alignment's step), 3 dispatches
        for (const [how, b] of [['whole', await run(matmulWeights(compact))], ['3 shards', await run(matmulWeights(shards))], [`binding<=${limit}B`, await run(matmulWeights(compact), limit)]] as const) {
          const same = compareExact(`${what} ${how} vs f32 scales`, b, a);
          assert(same.ok, same.message);
        }
        const planned = await planMatmulQ(ctx, X, matmulWeights(compact), Y, { M, xType: 'f16', f16, path, maxBindingBytes: limit });
        // Native f16: products in f16 (the bound of matmulQRef with the f16 unit roundoff).
        const bound = f16 === 'native' ? ref.absSum.map((v) => 2 * (K + 1) * U_F16 * v) : tol;
        const r = compareBound(what, new Float32Array(a.buffer, a.byteOffset, M * N), ref.c, bound, 1, 1, 1);
        assert(r.ok, r.message);
        assert(planned.length >= 3, `${what}: ${planned.length} dispatches under the ${limit}-byte limit`);
        msgs.push(`${what}: ${checkSplitPlan(what, planned, limit)}`);
        if (t === 'Q6_K' && f16 === 'emulated' && path !== 'splitcols') {
          // W8A8 on Q6_K's int8 codes with the compact scales: the same bits as with f32 scales.
          const run8 = async (wb: QuantWeights, maxBindingBytes?: number) => {
            ctx.write(Y, new Float32Array(M * N).fill(NaN));
            await matmulW8A8(ctx, X, wb, Y, { M, xType: 'f16', path, maxBindingBytes });
            return ctx.readU32(Y, M * N);
          };
          const a8 = await run8(matmulWeights(wide));
          for (const [how, b] of [['whole', await run8(matmulWeights(compact))], ['3 shards', await run8(matmulWeights(shards))], [`binding<=${limit}B`, await run8(matmulWeights(compact), limit)]] as const) {
            const same = compareExact(`${t} s8 W8A8 ${path} M=${M} ${how} vs f32 scales`, b, a8);
            assert(same.ok, same.message);
          }
          // With bias and residual as well: 8 storage bindings (xq, xs, w_q, scales, bias, residual, y, supers), the
          // WebGPU default maxStorageBuffersPerShaderStage.
          const bias = ctx.createBuffer(randomF32(N, 78), undefined, 'bias');
          const res = ctx.createBuffer(randomF32(M * N, 79), undefined, 'residual');
          const withEpi = async (wb: QuantWeights) => {
            ctx.write(Y, new Float32Array(M * N).fill(NaN));
            await matmulW8A8(ctx, X, wb, Y, { M, xType: 'f16', path, bias, residual: res, activation: 'silu' });
            return ctx.readU32(Y, M * N);
          };
          const e8 = compareExact(`${t} s8 W8A8 ${path} M=${M} bias+residual+silu vs f32 scales`, await withEpi(matmulWeights(compact)), await withEpi(matmulWeights(wide)));
          assert(e8.ok, e8.message);
          [bias, res].forEach((b) => b.destroy());
          msgs.push(`${t} s8 W8A8 ${path} M=${M}: bit-identical to f32 scales, with bias, residual and SiLU too`);
        }
      }
      X.destroy();
      Y.destroy();
    }
    if (t === 'Q6_K') {
      // An s8 weight without its super-blocks is refused by name.
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const m = await expectError('s8 supers', () => matmulQ(ctx, X, { ...matmulWeights(compact, t), supers: undefined }, Y, { M: 1, xType: 'f16' }));
      assert(/supers: missing \(s8 scales need their f16 d per super-block\)/.test(m), m);
      msgs.push(m);
      [X, Y].forEach((b) => b.destroy());
    }
    if (t === 'Q4_K') {
      // Bad k6 weights are refused by name: a scheme that is not float-min, a supers buffer too small.
      const X = ctx.createBuffer(2 * K, undefined, 'x');
      const Y = ctx.createBuffer(4 * N, undefined, 'y');
      const wb = matmulWeights(compact, t);
      const m1 = await expectError('k6 symmetric', () => matmulQ(ctx, X, { ...wb, mode: 'symmetric', zeros: undefined }, Y, { M: 1, xType: 'f16' }));
      assert(/k6 \(GGUF Q4_K \/ Q5_K \/ Q2_K\) scales need scheme 'float-min', group 32 or 16 and K a multiple of 256 \(got 'symmetric', group 32, K=512\)/.test(m1), m1);
      const small = ctx.createBuffer(16, undefined, 'small.supers');
      const m2 = await expectError('k6 supers', () => matmulQ(ctx, X, { ...wb, zeros: small }, Y, { M: 1, xType: 'f16' }));
      assert(/zeros: buffer 'small.supers' of 16 bytes is too small for \[136, 2\] f16 pairs \(k6 super-blocks\) \(1088 bytes\)/.test(m2), m2);
      msgs.push(m1, m2);
      [X, Y, small].forEach((b) => b.destroy());
    }
    [compact, wide, ...shards].forEach(destroyQuantized);
  }
  return msgs.join('; ');
}
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 and dequantize on GGUF Q4_K / Q5_K / Q6_K / Q3_K / Q2_K / IQ4_XS / IQ1_M with compact k6 / s8 scales: bit-identical to f32 scales, whole, sharded and split', run: k6Case });
CASES.push({ name: 'matmul_w4a16 / w8a16 / w8a8 on imported GGUF Q4_0, Q4_1, Q8_0, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, MXFP4, IQ4_NL, IQ4_XS, IQ1-IQ3 and GPTQ int4 (also act-order) weights (matmulWeights, no copy)', run: importedCase });

