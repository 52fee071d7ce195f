// Quantization kernels against src/ref/quant.ts: codes, scales and zeros identical, dequantized f32 (and f16)
// identical to the last bit, for every bit width, group size and scale rule; GGUF / GPTQ / AWQ imports
// dequantized on the GPU; per-token activation quantization; and the errors bad input gets.
import type { GpuContext } from '../../src/gpu/context.js';
import { planDequantizeQ4_0Blocks, dequantize, destroyQuantized, downloadQuantized, planQuantize, quantizeAct, quantizeWeights, unpackActCodes, uploadQuantized, actWordsPerRow } from '../../src/kernels/quant.js';
import { f32ToF16Bits } from '../../src/quant/f16.js';
import { dequantizeGguf, exportGguf, importGguf, type GgufBlockType } from '../../src/quant/gguf.js';
import { encodeGgufFile, gguf, openGguf } from '../../src/io/gguf.js';
import { matmulQ, matmulWeights } from '../../src/kernels/matmul.js';
import { matmulQRef } from '../../src/ref/matmul.js';
import { exportGptq, importGptq } from '../../src/quant/gptq.js';
import { exportAwq, importAwq } from '../../src/quant/awq.js';
import { makeScheme, type QuantScheme, type ScaleRule } from '../../src/quant/scheme.js';
import { dequantizeRef, quantizeActRef, quantizeRef } from '../../src/ref/quant.js';
import { randomF32, randomGgufBlocks } from '../../src/ref/random.js';
import { compareBound, compareExact, U_F32 } from '../../src/ref/tolerance.js';
import { getKernel } from '../../src/gpu/kernel.js';
import { SHADERS } from '../../src/gpu/shaders.gen.js';
import { bitsToF32, f16BitsToF32, f32Bits } from '../../src/quant/f16.js';
import { rng } from '../../src/ref/random.js';
import numericsHarness from '../fixtures/quant_numerics.wgsl?raw';
import { makeTensor, parseSafetensors, readSafetensorsBlob, safetensorsBlob } from '../../src/io/safetensors.js';
import { assert, expectError, type GpuCase } from './types.js';

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

function exact(what: string, got: ArrayLike<number>, ref: ArrayLike<number>): string {
  const r = compareExact(what, got, ref);
  assert(r.ok, r.message);
  return r.message;
}

/**
 * Test weights [N, K]: random values whose magnitude changes by row (1e-2 .. 1e2), row 0 group 0 all zeros,
 * row 1 starting with exact ties (multiples of 0.5 up to 7: x/s lands on .5 for absmax int4), one row all equal.
 */
function testWeights(N: number, K: number, G: number, seed: number): Float32Array {
  const w = randomF32(N * K, seed, -1, 1);
  for (let n = 0; n < N; n++) {
    const f = 10 ** ((n % 5) - 2);
    for (let k = 0; k < K; k++) w[n * K + k] = Math.fround(w[n * K + k] * f);
  }
  w.fill(0, 0, G);
  if (N > 1) for (let k = 0; k < Math.min(G, 29); k++) w[K + k] = (k - 14) * 0.5;
  if (N > 2) w.fill(0.75, 2 * K, 3 * K);
  if (N > 3) {
    // Subnormals (flushed to 0 by the rule, on every adapter): a group of only subnormals, then a group where
    // they sit next to tiny normal values.
    for (let k = 0; k < Math.min(G, K); k++) w[3 * K + k] = Math.fround((k - 7) * 1e-40);
    if (K >= 2 * G) for (let k = G; k < 2 * G; k++) w[3 * K + k] = Math.fround(k % 2 ? (k - G) * 3e-37 : -(k + 1) * 1e-39);
  }
  return w;
}

function weightCase(bitsN: number, group: number, rule: ScaleRule, scaleType: 'f16' | 'f32', N: number, K: number): GpuCase {
  const s: QuantScheme = makeScheme({ bits: bitsN, group, rule, scaleType });
  return {
    name: `quantize+dequantize ${bitsN}-bit ${group ? `g${group}` : 'per-channel'} ${rule} ${scaleType} ${N}x${K}`,
    async run(ctx) {
      const w = testWeights(N, K, group || K, 100 + bitsN * 7 + group + rule.length);
      const ref = quantizeRef(w, N, K, s);
      const W = ctx.createBuffer(w);
      const q = await quantizeWeights(ctx, W, N, K, s);
      const got = await downloadQuantized(ctx, q);
      const msgs = [exact('codes', got.codes, ref.codes), exact('scales', got.scales, ref.scales)];
      if (ref.zeros) msgs.push(exact('zeros', got.zeros!, ref.zeros));
      const dqRef = dequantizeRef(ref);
      const Y = await dequantize(ctx, q, 'f32');
      msgs.push(exact('dequantized f32 bits', await ctx.readU32(Y, N * K), bits(dqRef)));
      for (const run of [1, 5, ...(group && bitsN !== 3 ? [group] : [])]) {
        // Every shape of the f32 kernel: one element per invocation (GPUs), runs along the row, whole groups.
        const R = await dequantize(ctx, q, 'f32', run);
        exact(`dequantized f32 bits, runs of ${run}`, await ctx.readU32(R, N * K), bits(dqRef));
        R.destroy();
      }
      const H = await dequantize(ctx, q, 'f16');
      const h = new Uint16Array(await ctx.read(H, 2 * N * K));
      msgs.push(exact('dequantized f16 bits', h, Uint16Array.from(dqRef, f32ToF16Bits)));
      [W, Y, H].forEach((b) => b.destroy());
      destroyQuantized(q);
      return msgs.join('; ');
    },
  };
}

function actCase(M: number, K: number, symmetric: boolean): GpuCase {
  return {
    name: `quantize_act int8 ${symmetric ? 'symmetric' : 'asymmetric'} ${M}x${K}`,
    async run(ctx) {
      const x = randomF32(M * K, 7 + K, -3, 2);
      x.fill(0, 0, K); // a zero row
      for (let k = 0; k < K; k++) x[K + k] = Math.fround(((k % 21) - 10) * 0.5 * (127 / 5)); // ties: x/s = (k%21 - 10) * 2.54 ... and 127 exactly
      for (let k = 0; k < K; k++) x[2 * K + k] = Math.fround(x[2 * K + k] * 1e-3);
      for (let k = 0; k < K; k++) x[3 * K + k] = Math.fround(k % 3 ? (k - 20) * 1e-40 : (k - 20) * 1e-36); // subnormals next to tiny normals
      for (let k = 0; k < K; k++) x[4 * K + k] = Math.fround((k - 25) * 1e-41); // only subnormals: a zero row
      const ref = quantizeActRef(x, M, K, symmetric);
      const X = ctx.createBuffer(x);
      const q = await quantizeAct(ctx, X, M, K, symmetric, { dq: true });
      const codes = unpackActCodes(await ctx.readU32(q.codes, M * actWordsPerRow(K)), M, K, symmetric);
      const msgs = [
        exact('codes', codes, ref.codes),
        exact('scales', await ctx.readF32(q.scales, M), ref.scales),
        exact('zeros', await ctx.readF32(q.zeros, M), ref.zeros ?? new Float32Array(M)),
        exact('x_dq bits', await ctx.readU32(q.x_dq!, M * K), bits(ref.xdq)),
      ];
      // Without x_dq: the same codes.
      const q2 = await quantizeAct(ctx, X, M, K, symmetric);
      msgs.push(exact('codes (no dq)', unpackActCodes(await ctx.readU32(q2.codes, M * actWordsPerRow(K)), M, K, symmetric), ref.codes));
      for (const b of [X, q.codes, q.scales, q.zeros, q.x_dq!, q2.codes, q2.scales, q2.zeros]) b.destroy();
      return msgs.join('; ');
    },
  };
}

const W: [number, number, ScaleRule, 'f16' | 'f32', number, number][] = [
  [2, 16, 'absmax', 'f32', 5, 128],
  [3, 16, 'absmax', 'f16', 5, 96], // 3-bit groups of 16 straddle words
  [3, 32, 'minmax', 'f32', 4, 96],
  [4, 32, 'absmax', 'f32', 5, 128],
  [4, 0, 'absmax', 'f16', 5, 84], // per channel, rows padded to whole words
  [4, 64, 'torchao', 'f32', 5, 128],
  [8, 128, 'torchao', 'f16', 3, 256],
  [4, 32, 'q4_0', 'f16', 5, 96],
  [8, 32, 'q8_0', 'f16', 5, 96],
  [2, 128, 'minmax', 'f16', 3, 256],
  [4, 64, 'minmax', 'f32', 5, 128],
  [8, 16, 'minmax', 'f32', 5, 48],
  [4, 32, 'q4_1', 'f16', 5, 96],
  [4, 16, 'minmax', 'f16', 3, 48], // odd number of f16 scales per row: pairs straddle rows
  [8, 0, 'absmax', 'f32', 3, 77], // odd K: f16 output pairs straddle rows, the last pair is half empty
  [3, 0, 'minmax', 'f16', 4, 45], // 3-bit per channel, rows padded inside a 96-bit block
];

/** Random f32 bit patterns over the whole exponent range (subnormals and zeros included), and hard pairs. */
function numericsInputs(n: number): { a: Uint32Array; b: Uint32Array } {
  const r = rng(99);
  const a = new Uint32Array(n);
  const b = new Uint32Array(n);
  const word = () => Math.floor(r() * 2 ** 32) >>> 0;
  for (let i = 0; i < n; i++) {
    a[i] = word();
    b[i] = word();
    if (i % 4 === 1) a[i] = (a[i] & 0x807fffff) | ((100 + (i % 60)) << 23); // near 1, f16 range
    if (i % 4 === 2) b[i] = (b[i] & 0x807fffff) | ((120 + (i % 16)) << 23); // small divisors (integers-ish)
    if (i % 8 === 3) a[i] &= 0x807fffff; // subnormal numerators
    if ((a[i] & 0x7f800000) === 0x7f800000) a[i] &= 0xbfffffff; // finite only
    if ((b[i] & 0x7f800000) === 0x7f800000) b[i] &= 0xbfffffff;
    if ((b[i] & 0x7fffffff) === 0) b[i] = 0x3f800000;
  }
  // Exact quotients, ties and the scale rules' own divisors.
  const pairs: [number, number][] = [[1, 3], [7, 7.5], [2, 127], [1, 0.1], [3, 15], [-1, 255], [1.5, -8], [1, 2 ** -126], [2 ** -149, 2], [3 * 2 ** -149, 2], [2 ** 127, 0.5]];
  pairs.forEach(([x, y], i) => {
    a[i] = f32Bits(x);
    b[i] = f32Bits(y);
  });
  return { a, b };
}

export const CASES: GpuCase[] = [
  {
    name: 'quant numerics: div_rn is correctly rounded, f32<->f16 conversions are exact (65536 inputs)',
    async run(ctx) {
      const n = 65536;
      const { a, b } = numericsInputs(n);
      const kernel = await getKernel(ctx, { name: 'quant_numerics', shader: 'fixtures/quant_numerics', sources: { 'fixtures/quant_numerics': numericsHarness, 'quant/numerics': SHADERS['quant/numerics'] } });
      const A = ctx.createBuffer(a);
      const B = ctx.createBuffer(b);
      const Y = ctx.createBuffer(12 * n);
      await kernel.run({ bindings: { a: A, b: B, y: Y }, params: { n } }, [n / 64]);
      const y = await ctx.readU32(Y, 3 * n);
      const div = new Uint32Array(n);
      const f16 = new Uint32Array(n);
      const back = new Uint32Array(n);
      const gotDiv = new Uint32Array(n);
      const gotF16 = new Uint32Array(n);
      const gotBack = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        div[i] = f32Bits(Math.fround(bitsToF32(a[i]) / bitsToF32(b[i])));
        f16[i] = f32ToF16Bits(bitsToF32(a[i]));
        const h = i & 0xffff;
        back[i] = (h & 0x7c00) === 0x7c00 && h & 0x3ff ? y[3 * i + 2] : f32Bits(f16BitsToF32(h)); // NaN payloads: any
        gotDiv[i] = y[3 * i];
        gotF16[i] = y[3 * i + 1];
        gotBack[i] = y[3 * i + 2];
      }
      const msgs = [exact('div_rn bits', gotDiv, div), exact('f32_to_f16_bits', gotF16, f16), exact('f16_bits_to_f32 bits', gotBack, back)];
      [A, B, Y].forEach((x) => x.destroy());
      return msgs.join('; ');
    },
  },
  ...W.map(([b, g, r, t, N, K]) => weightCase(b, g, r, t, N, K)),
  actCase(5, 50, true),
  actCase(5, 50, false),
  {
    name: 'dequantize GGUF Q4_0/Q4_1/Q8_0/Q5_0/Q5_1/Q4_K/Q5_K/Q6_K/Q3_K/Q2_K/MXFP4/IQ4_NL/IQ4_XS/IQ1-IQ3, GPTQ and AWQ imports on the GPU',
    async run(ctx) {
      const msgs: string[] = [];
      const N = 8;
      const K = 64;
      const w = randomF32(N * K, 77, -1, 1);
      for (const [t, s] of [['Q4_0', makeScheme({ bits: 4, group: 32, rule: 'q4_0' })], ['Q4_1', makeScheme({ bits: 4, group: 32, rule: 'q4_1' })], ['Q8_0', makeScheme({ bits: 8, group: 32, rule: 'q8_0' })]] as const) {
        const bytes = exportGguf(t, quantizeRef(w, N, K, s));
        const q = uploadQuantized(ctx, importGguf(t, bytes, N, K));
        const Y = await dequantize(ctx, q);
        msgs.push(exact(t, await ctx.readU32(Y, N * K), bits(dequantizeGguf(t, bytes, N, K))));
        Y.destroy();
        destroyQuantized(q);
      }
      // Import-only types: random blocks (two super-blocks per row for the K-quants).
      for (const [i, t] of (['Q4_K', 'Q5_K', 'Q6_K', 'Q5_0', 'Q5_1', 'Q3_K', 'Q2_K', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'] as const).entries()) {
        const bytes = randomGgufBlocks(t, 3, 512, 41 + i);
        const q = uploadQuantized(ctx, importGguf(t, bytes, 3, 512));
        const Y = await dequantize(ctx, q);
        msgs.push(exact(t, await ctx.readU32(Y, 3 * 512), bits(dequantizeGguf(t, bytes, 3, 512))));
        Y.destroy();
        destroyQuantized(q);
      }
      // The blocks read directly (the alternative to repacking; bench/quant.ts compares them).
      const q40 = exportGguf('Q4_0', quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32, rule: 'q4_0' })));
      const padded = new Uint8Array(Math.ceil(q40.length / 4) * 4);
      padded.set(q40);
      const S = ctx.createBuffer(padded);
      const D = ctx.createBuffer(4 * N * K);
      const dd = await planDequantizeQ4_0Blocks(ctx, S, D, (N * K) / 32);
      await dd.kernel.run(dd.args, dd.workgroups);
      msgs.push(exact('Q4_0 blocks read directly', await ctx.readU32(D, N * K), bits(dequantizeGguf('Q4_0', q40, N, K))));
      S.destroy();
      D.destroy();
      const mm = quantizeRef(w, N, K, makeScheme({ bits: 4, group: 32, symmetric: false, scaleType: 'f16' }));
      for (const [name, imp] of [['GPTQ', importGptq(exportGptq(mm), { N, K, group: 32 })], ['AWQ', importAwq(exportAwq(mm), { N, K, group: 32 })]] as const) {
        const q = uploadQuantized(ctx, imp);
        const Y = await dequantize(ctx, q);
        msgs.push(exact(name, await ctx.readU32(Y, N * K), bits(dequantizeRef(imp))));
        Y.destroy();
        destroyQuantized(q);
      }
      return msgs.join('; ');
    },
  },
  {
    name: 'safetensors: a Blob written here reads back (views, metadata), and quantized tensors go through it',
    async run(ctx) {
      const N = 4;
      const K = 64;
      const w = randomF32(N * K, 5);
      const s = makeScheme({ bits: 4, group: 32, rule: 'q4_0' });
      const W = ctx.createBuffer(w);
      const q = await quantizeWeights(ctx, W, N, K, s);
      const got = await downloadQuantized(ctx, q);
      const blob = safetensorsBlob({ codes: makeTensor('I32', [got.codes.length], new Int32Array(got.codes.buffer)), scales: makeTensor('F16', [N, 2], Uint16Array.from(got.scales, f32ToF16Bits)), w: makeTensor('F32', [N, K], w) }, { scheme: 'q4_0' });
      const f = await readSafetensorsBlob(blob);
      assert(f.metadata.scheme === 'q4_0', `metadata ${JSON.stringify(f.metadata)}`);
      const ab = await blob.arrayBuffer();
      const again = parseSafetensors(ab);
      assert(again.tensors.w.data.buffer === ab, 'w was copied instead of viewed');
      exact('w via safetensors', again.tensors.w.data, w);
      const msg = exact('codes via safetensors', new Uint32Array(f.tensors.codes.data.buffer, f.tensors.codes.data.byteOffset, got.codes.length), quantizeRef(w, N, K, s).codes);
      W.destroy();
      destroyQuantized(q);
      return `${blob.size} bytes; ${msg}`;
    },
  },
  {
    name: 'GGUF: a model file read lazily from a Blob (openGguf: header, then one tensor) into dequantize and the fused matmul',
    async run(ctx) {
      // A Q4_K_M-like file: F32 norm, Q4_K and Q6_K weights, and a vocabulary long enough to outgrow the first read.
      const vocab = Array.from({ length: 3000 }, (_, i) => `t${i}`);
      const [N, K] = [8, 512];
      const up = randomGgufBlocks('Q4_K', N, K, 61);
      const out = randomGgufBlocks('Q6_K', N, K, 62);
      const bytes = encodeGgufFile(
        [
          { name: 'blk.0.attn_norm.weight', type: 'F32', shape: [K], data: randomF32(K, 63) },
          { name: 'blk.0.ffn_up.weight', type: 'Q4_K', shape: [N, K], data: up },
          { name: 'output.weight', type: 'Q6_K', shape: [N, K], data: out },
        ],
        { 'general.architecture': gguf.str('llama'), 'tokenizer.ggml.tokens': gguf.array('string', vocab) },
      );
      const g = await openGguf(new Blob([bytes.slice()]), 'model.gguf', 4096);
      assert(g.header.tensors.length === 3 && g.header.metadata['general.architecture'].value === 'llama', 'header');
      const msgs: string[] = [];
      for (const [name, want] of [['blk.0.ffn_up.weight', up], ['output.weight', out]] as const) {
        const t = await g.tensor(name);
        exact(`${name} bytes`, t.data, want);
        const imp = importGguf(t.type as GgufBlockType, t.data, t.shape[0], t.shape[1], t.name);
        const q = uploadQuantized(ctx, imp, name);
        const Y = await dequantize(ctx, q);
        msgs.push(exact(`${name} dequantized`, await ctx.readU32(Y, N * K), bits(dequantizeGguf(t.type as GgufBlockType, t.data, N, K))));
        Y.destroy();
        const M = 3;
        const x = randomF32(M * K, 64, -1, 1);
        const X = ctx.createBuffer(x);
        const Ym = ctx.createBuffer(4 * M * N);
        await matmulQ(ctx, X, matmulWeights(q, name), Ym, { M, xType: 'f32' });
        const ref = matmulQRef(x, M, { bits: imp.scheme.bits, N, K, group: imp.scheme.group, mode: imp.zeros ? 'float-min' : 'symmetric', codes: imp.codes, scales: imp.scales, ...(imp.zeros ? { zeros: imp.zeros } : {}) }, {}, U_F32);
        const r = compareBound(`${name} matmul`, await ctx.readF32(Ym, M * N), ref.y, ref.tol, 1, 1, 1);
        assert(r.ok, r.message);
        msgs.push(r.message);
        [X, Ym].forEach((b) => b.destroy());
        destroyQuantized(q);
      }
      return msgs.join('; ');
    },
  },
  {
    name: 'error: NaN/Inf weights and activations are reported with their position',
    async run(ctx) {
      const w = randomF32(4 * 64, 3);
      w[2 * 64 + 37] = NaN;
      w[3 * 64 + 1] = Infinity;
      const W = ctx.createBuffer(w);
      const m1 = await expectError('nan', () => quantizeWeights(ctx, W, 4, 64, makeScheme({ bits: 4, group: 32 }), 'layers.0.w'));
      assert(/tensor 'layers.0.w': element \[2, 37\] \(flat index 165\) is NaN or Inf/.test(m1), m1);
      const m2 = await expectError('inf act', () => quantizeAct(ctx, W, 4, 64, false));
      assert(/tensor 'x': element \[2, 37\]/.test(m2), m2);
      W.destroy();
      return `${m1} | ${m2}`;
    },
  },
  {
    name: 'error: K not a multiple of the group, unsupported group, f16 scale overflow',
    async run(ctx) {
      const W = ctx.createBuffer(randomF32(2 * 48, 3));
      const out = { codes: W, scales: W, zeros: W, status: W };
      const m1 = await expectError('K % G', () => planQuantize(ctx, W, out, 2, 48, makeScheme({ bits: 4, group: 32 })));
      assert(/tensor 'w': K = 48 \(shape \[2, 48\], dim 1\) is not a multiple of the group size 32/.test(m1), m1);
      const m2 = await expectError('group', () => planQuantize(ctx, W, out, 2, 48, { bits: 4, group: 48, symmetric: true, scaleType: 'f32', rule: 'absmax' }));
      assert(/group size 48 is not supported by the kernel/.test(m2), m2);
      const big = new Float32Array(2 * 32);
      big[40] = 3e6;
      const B = ctx.createBuffer(big);
      const m3 = await expectError('overflow', () => quantizeWeights(ctx, B, 2, 32, makeScheme({ bits: 4, group: 16, scaleType: 'f16' })));
      assert(/tensor 'w': row 1, group 0 \(k 0..15\): the scale overflows f16/.test(m3), m3);
      W.destroy();
      B.destroy();
      return [m1, m2, m3].join(' | ');
    },
  },
];
