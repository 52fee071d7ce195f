// The GGUF fake-quant op (src/ops/fake_quant_gguf.ts) against the CPU references: forward bit for bit equal to the
// GGUF blocks' own decoder (src/quant/gguf.ts dequantizeGguf) and to src/ref/fake_quant_gguf.ts, the STE clip mask
// identical, the gradient through a Linear against f64 central differences of the STE surrogate, bad shapes
// refused. Runs in Node (Dawn) and Chromium.
import { Graph } from '../../src/graph/graph.js';
import { planFillWords } from '../../src/kernels/fake_quant_gguf.js';
import { runDispatch } from '../../src/kernels/common.js';
import * as ops from '../../src/ops/index.js';
import { dequantizeGguf, exportGguf, ggufScheme } from '../../src/quant/gguf.js';
import { fakeQuantGgufRef, fillWordsRef, type GgufFakeQuantType } from '../../src/ref/fake_quant_gguf.js';
import { quantizeRef } from '../../src/ref/quant.js';
import { randomF32, rng } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, expectError, type GpuCase } from './types.js';

const TYPES: GgufFakeQuantType[] = ['Q4_0', 'Q8_0'];

/**
 * [N, K] weights: random blocks of both signs of the largest value, plus hand-made blocks: all zero; Q4_0's
 * clipping (d = 1 from m = -8: 7.5 -> code 16 clamps, 7.5 - 2^-19 does not); Q8_0 ties (d = 1 from max 127:
 * +-2.5, +-0.5 round away from zero); one value of the sign opposite to the largest at 0.97 |m| in every block.
 */
function weights(N: number, K: number, seed: number): Float32Array {
  const w = randomF32(N * K, seed, -1, 1);
  const r = rng(seed + 1);
  for (let b = 0; b < (N * K) / 32; b++) {
    const o = b * 32;
    let m = 0;
    for (let i = 0; i < 32; i++) if (Math.abs(w[o + i]) > Math.abs(m)) m = w[o + i];
    w[o + Math.floor(r() * 32)] = Math.fround(-0.97 * m) || w[o];
  }
  if (N * K >= 4 * 32) {
    w.fill(0, 0, 32);
    const clip = [-8, 7.5, 7.5 - 2 ** -19, 7, -7.5, 0.5, -0.5, 3.25];
    w.set(clip, 32);
    const ties = [127, 2.5, -2.5, 0.5, -0.5, 126.5, -126.5, 1.5];
    w.set(ties, 64);
  }
  return w;
}

function bitsEqual(what: string, got: Float32Array, ref: Float32Array): void {
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
  for (let i = 0; i < a.length; i++) assert(a[i] === b[i], `${what}: element ${i} = ${got[i]} (bits ${a[i].toString(16)}), reference ${ref[i]} (bits ${b[i].toString(16)})`);
}

function opCase(type: GgufFakeQuantType): GpuCase {
  return {
    name: `fake_quant_gguf ${type} op: forward = the GGUF blocks' values bit for bit, backward = the STE clip mask`,
    async run(ctx) {
      const N = 6;
      const K = 64;
      const w = weights(N, K, type === 'Q4_0' ? 31 : 32);
      const c = randomF32(N * K, 33, -1, 1);
      const ref = fakeQuantGgufRef(w, N, K, type);
      // The independent decoder: quantize to the file's blocks, decode the blocks.
      const blocks = dequantizeGguf(type, exportGguf(type, quantizeRef(w, N, K, ggufScheme(type))), N, K);
      bitsEqual('reference vs GGUF block decoder', ref.y, blocks);
      const g = new Graph(ctx, 'fqg-op');
      try {
        const W = g.param('w', [N, K], w);
        const C = g.constant(c, [N, K]);
        const y = ops.fakeQuantGguf(W, type);
        const gw = ops.contiguous(g.backward(ops.sum(ops.mul(y, C)), [W]).get(W)!);
        const exe = await g.compile({ outputs: [y, gw] });
        // Twice: the second run reuses the pooled scratch, which the fill kernel must clear.
        await exe.run();
        await exe.run();
        bitsEqual(`${type} y vs GGUF blocks`, (await exe.read(y)) as Float32Array, blocks);
        const want = c.map((v, i) => (ref.mask[i] ? v : 0));
        const r = compareExact(`${type} STE grad`, await exe.read(gw), want);
        assert(r.ok, r.message);
      } finally {
        g.destroy();
      }
      if (type === 'Q4_0') assert(ref.clipped > 0 && ref.mask[33] === 0 && ref.mask[34] === 1, `Q4_0 clipping not exercised: ${ref.clipped} clipped, mask[33] ${ref.mask[33]}, mask[34] ${ref.mask[34]}`);
      else assert(ref.clipped === 0 && ref.raw[65] === 3 && ref.raw[66] === -3, `Q8_0: ${ref.clipped} clipped (never by construction), ties 2.5 -> ${ref.raw[65]}, -2.5 -> ${ref.raw[66]}`);
      return `${N * K} values identical to the GGUF decoder; ${ref.clipped} clipped by the mask`;
    },
  };
}

/**
 * Through a Linear (z = x @ fq(W)^T, loss = sum(z * C)): dL/dW on the GPU against central differences in f64 of
 * the STE surrogate L(W) = sum(C * (x @ S(W)^T)), S = W where the code is inside the range, else the
 * fake-quantized value (a constant there); elements probed away from every rounding boundary and not the block
 * maximum (whose d would move).
 */
function fdCase(type: GgufFakeQuantType): GpuCase {
  return {
    name: `fake_quant_gguf ${type} backward through a Linear vs f64 finite differences of the STE surrogate`,
    async run(ctx) {
      const M = 3;
      const N = 4;
      const K = 32;
      const w = weights(N, K, type === 'Q4_0' ? 41 : 42);
      const x = randomF32(M * K, 43, -1, 1);
      const c = randomF32(M * N, 44, -1, 1);
      const g = new Graph(ctx, 'fqg-fd');
      let got: Float32Array;
      try {
        const W = g.param('w', [N, K], w);
        const X = g.constant(x, [M, K]);
        const C = g.constant(c, [M, N]);
        const z = ops.matmul(X, ops.transpose(ops.fakeQuantGguf(W, type)));
        const gw = ops.contiguous(g.backward(ops.sum(ops.mul(z, C)), [W]).get(W)!);
        const exe = await g.compile({ outputs: [gw] });
        await exe.run();
        got = (await exe.read(gw)) as Float32Array;
      } finally {
        g.destroy();
      }
      const loss = (wv: Float64Array): number => {
        const ref = fakeQuantGgufRef(Float32Array.from(wv), N, K, type);
        let L = 0;
        for (let m = 0; m < M; m++) {
          for (let n = 0; n < N; n++) {
            let zz = 0;
            for (let k = 0; k < K; k++) zz += x[m * K + k] * (ref.mask[n * K + k] ? wv[n * K + k] : ref.y[n * K + k]);
            L += c[m * N + n] * zz;
          }
        }
        return L;
      };
      const base = fakeQuantGgufRef(w, N, K, type);
      const idx: number[] = [];
      const fd: number[] = [];
      const gpu: number[] = [];
      const sums: number[] = [];
      for (let n = 0; n < N; n++) {
        let amax = 0;
        for (let k = 0; k < K; k++) amax = Math.max(amax, Math.abs(w[n * K + k]));
        const d = type === 'Q4_0' ? amax / 8 : amax / 127;
        const H = 2 ** -8 * d; // moves x * (1/d) by 2^-8: the code stays put where the margin is larger
        for (let k = 0; k < K; k++) {
          const i = n * K + k;
          const p = Math.abs(w[i]) / d;
          const frac = p - Math.floor(p);
          if (Math.abs(w[i]) >= amax - 2 * H || Math.abs(frac - 0.5) < 2 ** -4) continue;
          const plus = Float64Array.from(w);
          const minus = Float64Array.from(w);
          plus[i] += H;
          minus[i] -= H;
          // The surrogate at f32 points (the reference quantizes f32 weights): the exact step between them.
          const hp = Math.fround(plus[i]) - w[i];
          const hm = w[i] - Math.fround(minus[i]);
          plus[i] = Math.fround(plus[i]);
          minus[i] = Math.fround(minus[i]);
          idx.push(i);
          fd.push((loss(plus) - loss(minus)) / (hp + hm));
          gpu.push(got[i]);
          let s = 0;
          for (let m = 0; m < M; m++) s += Math.abs(x[m * K + k] * c[m * N + n]);
          sums.push(s);
        }
      }
      assert(idx.length >= N * K / 2, `only ${idx.length} of ${N * K} elements away from rounding boundaries`);
      const r = compareBound(`${type} dL/dW vs FD`, gpu, fd, sums, Math.max(M, 4), 2 ** -24, 4);
      assert(r.ok, r.message);
      const clippedProbed = idx.filter((i) => !base.mask[i]).length;
      return `${idx.length} elements probed (${clippedProbed} clipped); ${r.message}`;
    },
  };
}

export const CASES: GpuCase[] = [
  {
    name: 'fill_words: n words of a value (the quantizer scratch clear) vs the reference',
    async run(ctx) {
      const n = 77;
      const Y = ctx.createBuffer(new Uint32Array(n + 3).fill(0x12345678));
      try {
        await runDispatch(await planFillWords(ctx, Y, n, 0xffffffff));
        const got = await ctx.readU32(Y, n + 3);
        const r = compareExact('fill', got.subarray(0, n), fillWordsRef(n, 0xffffffff));
        assert(r.ok, r.message);
        assert(got.subarray(n).every((v) => v === 0x12345678), 'fill wrote past n');
        return r.message;
      } finally {
        Y.destroy();
      }
    },
  },
  ...TYPES.map(opCase),
  ...TYPES.map(fdCase),
  {
    name: 'fake_quant_gguf: a block with a NaN or Inf weight comes out NaN (the loss shows it), its gradient 0; other blocks exact',
    async run(ctx) {
      const N = 2;
      const K = 64;
      const w = weights(N, K, 51);
      w[5] = NaN; // block 0
      w[32 * 3 + 7] = -Infinity; // block 3
      const c = randomF32(N * K, 52, -1, 1);
      const msgs: string[] = [];
      for (const type of TYPES) {
        const ref = fakeQuantGgufRef(w, N, K, type);
        const g = new Graph(ctx, 'fqg-nan');
        try {
          const W = g.param('w', [N, K], w);
          const y = ops.fakeQuantGguf(W, type);
          const gw = ops.contiguous(g.backward(ops.sum(ops.mul(y, g.constant(c, [N, K]))), [W]).get(W)!);
          const exe = await g.compile({ outputs: [y, gw] });
          await exe.run();
          const got = (await exe.read(y)) as Float32Array;
          const grad = await exe.read(gw);
          for (let i = 0; i < N * K; i++) {
            const bad = [0, 3].includes(Math.floor(i / 32));
            assert(bad ? Number.isNaN(got[i]) && Number.isNaN(ref.y[i]) : Object.is(got[i], ref.y[i]), `${type} y[${i}] = ${got[i]}, reference ${ref.y[i]}`);
            assert(grad[i] === (ref.mask[i] ? c[i] : 0) && (!bad || grad[i] === 0), `${type} grad[${i}] = ${grad[i]}`);
          }
        } finally {
          g.destroy();
        }
        msgs.push(`${type}: blocks 0 and 3 NaN, 2 others exact`);
      }
      return msgs.join('; ');
    },
  },
  {
    name: 'error: fake_quant_gguf refuses K not a multiple of 32, a non-matrix and an unknown type, naming the tensor',
    async run(ctx) {
      const g = new Graph(ctx, 'fqg-bad');
      try {
        const a = g.param('w_odd', [4, 48], new Float32Array(4 * 48));
        const b = g.param('w_vec', [64], new Float32Array(64));
        const m1 = await expectError('K=48', () => ops.fakeQuantGguf(a, 'Q4_0'));
        assert(/'w_odd' \[4, 48\]/.test(m1) && /multiple of 32/.test(m1), m1);
        const m2 = await expectError('rank 1', () => ops.fakeQuantGguf(b, 'Q8_0'));
        assert(/'w_vec' \[64\]/.test(m2) && /\[N, K\]/.test(m2), m2);
        const m3 = await expectError('Q5_0', () => ops.fakeQuantGguf(a, 'Q5_0' as GgufFakeQuantType));
        assert(/Q5_0/.test(m3), m3);
        return [m1, m2, m3].join(' | ');
      } finally {
        g.destroy();
      }
    },
  },
];
