// The f32 matmul with 16-bit float weights (bType 'f16' / 'bf16': B holds a GGUF F16 / BF16 tensor's own values, two
// per u32 word, low half first), as the language-model engine runs its F16 and BF16 Linear products (y = x W^T, W
// [N, K]): decode (M = 1, 5) and prefill (M = 33) shapes with N and K not multiples of the blocks (odd K puts rows on
// half-word boundaries), K = 1, and K a multiple of 4 (the rows shape's 8-byte loads); every variant, both types.
// Against src/ref's f64 product of the widened values (matmulB16Ref; the K-term f32 bound: the weights are exact in
// f32, so only the sum order differs), and bit for bit against the naive shape (the same fma sequence). BF16 cases
// hold values past f16's range (1e6). Also B [K, N] (not transposed), batches, a weight split into column blocks
// (ldc, c0: how the engine runs a float weight over the binding limit), and bad input named.
import type { GpuContext } from '../../src/gpu/context.js';
import { runDispatch } from '../../src/kernels/common.js';
import { planMatmulF32, type F32Variant, type MatmulBType } from '../../src/kernels/matmul.js';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../../src/quant/f16.js';
import { matmulB16Ref } from '../../src/ref/matmul.js';
import { randomF32 } from '../../src/ref/random.js';
import { compareBound, compareExact } from '../../src/ref/tolerance.js';
import { assert, expectError, type GpuCase } from './types.js';

interface B16Case {
  bType: Exclude<MatmulBType, 'f32'>;
  variant: F32Variant;
  M: number;
  N: number;
  K: number;
  transB?: boolean;
  batch?: number;
  /** Magnitude of B's values (default 1). */
  scale?: number;
}

/** B's values as 16-bit patterns, and the same values packed two per u32 (an odd count padded with a zero half). */
function weights16(n: number, bType: 'f16' | 'bf16', seed: number, scale: number): Uint16Array {
  const v = randomF32(n, seed, -scale, scale);
  const bits = new Uint16Array(n + (n % 2));
  for (let i = 0; i < n; i++) bits[i] = bType === 'f16' ? f32ToF16Bits(v[i]) : f32ToBf16Bits(v[i]);
  return bits;
}

function b16Case(s: B16Case): GpuCase {
  const transB = s.transB ?? true;
  const batch = s.batch ?? 1;
  const tag = `${transB ? 'W [N, K]' : 'B [K, N]'}${batch > 1 ? ` batch ${batch}` : ''}${s.scale ? ` |w| ~ ${s.scale}` : ''}`;
  return {
    name: `matmul_b16 ${s.bType} ${s.variant} ${s.M}x${s.N}x${s.K} ${tag}`,
    async run(ctx: GpuContext) {
      const { M, N, K } = s;
      const a = randomF32(batch * M * K, 41 + M + K);
      const bits = weights16(batch * K * N, s.bType, 43 + N, s.scale ?? 1);
      const A = ctx.createBuffer(a, undefined, 'a');
      const B = ctx.createBuffer(bits, undefined, 'b16');
      const C = ctx.createBuffer(4 * batch * M * N, undefined, 'c');
      const C1 = ctx.createBuffer(4 * batch * M * N, undefined, 'c naive');
      try {
        const shape = { M, N, K, transB, batch, bType: s.bType };
        await runDispatch(await planMatmulF32(ctx, A, B, C, { ...shape, variant: s.variant }));
        await runDispatch(await planMatmulF32(ctx, A, B, C1, { ...shape, variant: 'naive' }));
        const got = await ctx.readF32(C, batch * M * N);
        const naive = await ctx.readF32(C1, batch * M * N);
        const msgs: string[] = [];
        for (let i = 0; i < batch; i++) {
          const ref = matmulB16Ref(a.subarray(i * M * K, (i + 1) * M * K), bits.subarray(i * K * N, (i + 1) * K * N), s.bType, { M, N, K, transB });
          const at = (x: Float32Array) => x.subarray(i * M * N, (i + 1) * M * N);
          const r = compareBound(`batch ${i}`, at(got), ref.c, ref.absSum, K);
          assert(r.ok, r.message);
          msgs.push(r.message);
          if (s.variant !== 'tiled') {
            // rows and block4 run the naive shape's fma sequence: the same bits (tiled stages through workgroup memory, same order too, but is a GPU shape).
            const e = compareExact(`batch ${i} ${s.variant} vs naive`, at(got), at(naive));
            assert(e.ok, e.message);
          }
        }
        return msgs.join('; ');
      } finally {
        [A, B, C, C1].forEach((x) => x.destroy());
      }
    },
  };
}

const SHAPES: Omit<B16Case, 'bType' | 'variant'>[] = [
  { M: 1, N: 37, K: 29 }, // decode, nothing a multiple of anything, odd K: rows start on half words
  { M: 5, N: 19, K: 33 },
  { M: 33, N: 21, K: 35 }, // prefill: a partial last block of rows
  { M: 5, N: 13, K: 1 }, // K = 1: the tail only
  { M: 1, N: 40, K: 64 }, // K a multiple of 4: 8-byte loads of W in the rows shape
  { M: 33, N: 24, K: 48 },
  { M: 6, N: 9, K: 10, transB: false }, // B [K, N]
  { M: 5, N: 12, K: 8, batch: 3 },
];

const cases: B16Case[] = [];
for (const bType of ['f16', 'bf16'] as const) {
  SHAPES.forEach((sh, i) => {
    cases.push({ ...sh, bType, variant: 'rows' });
    cases.push({ ...sh, bType, variant: i % 2 ? 'block4' : 'tiled' });
  });
}
cases.push({ M: 5, N: 19, K: 33, bType: 'bf16', variant: 'rows', scale: 1e6 });
cases.push({ M: 1, N: 37, K: 29, bType: 'f16', variant: 'naive' });

/**
 * A weight split along N into shards (the engine's float weights over the binding limit): each shard's product
 * writes its columns of one y (ldc = N, c0 = the shard's first column); y must equal the unsplit product.
 */
function shardsCase(bType: MatmulBType, variant: F32Variant, M: number, N: number, K: number, split: number[]): GpuCase {
  return {
    name: `matmul_b16 ${bType} ${variant} ${M}x${N}x${K} in column blocks at ${split.join(', ')} (ldc, c0)`,
    async run(ctx) {
      const a = randomF32(M * K, 61);
      const w = randomF32(N * K, 62);
      const bits = bType === 'f32' ? null : Uint16Array.from(w, bType === 'f16' ? f32ToF16Bits : f32ToBf16Bits);
      const A = ctx.createBuffer(a, undefined, 'a');
      const C = ctx.createBuffer(4 * M * N, undefined, 'y');
      const C1 = ctx.createBuffer(4 * M * N, undefined, 'y unsplit');
      const W1 = ctx.createBuffer(bits ?? w, undefined, 'w');
      const bounds = [0, ...split, N];
      const shards = bounds.slice(0, -1).map((n0, i) => ({ n0, n: bounds[i + 1] - n0 }));
      const bufs = shards.map(({ n0, n }) => ctx.createBuffer(bits ? bits.slice(n0 * K, (n0 + n) * K) : w.subarray(n0 * K, (n0 + n) * K), undefined, `w shard ${n0}`));
      try {
        for (const [i, { n0, n }] of shards.entries()) await runDispatch(await planMatmulF32(ctx, A, bufs[i], C, { M, N: n, K, transB: true, bType, variant, ldc: N, c0: n0 }));
        await runDispatch(await planMatmulF32(ctx, A, W1, C1, { M, N, K, transB: true, bType, variant }));
        const got = await ctx.readF32(C, M * N);
        const e = compareExact('column blocks vs unsplit', got, await ctx.readF32(C1, M * N));
        assert(e.ok, e.message);
        return `${shards.length} blocks: ${e.message}`;
      } finally {
        [A, C, C1, W1, ...bufs].forEach((x) => x.destroy());
      }
    },
  };
}

/**
 * Every 16-bit pattern widens exactly: y = x W^T with x = 1 (K = 1, each word's halves one at a time) gives every
 * value of W, and x = the identity (M = K = 4: two words at a time; K = 5: four values from an odd element) every
 * finite one (0 * inf would be NaN). Zero's sign and an f32 subnormal flushed by the adapter (BF16 keeps f32's range;
 * WGSL allows the flush) are not told apart: y = w + 0.
 */
function patternsCase(bType: 'f16' | 'bf16', K: number): GpuCase {
  return {
    name: `matmul_b16 ${bType} widens every ${K === 1 ? '' : 'finite '}16-bit pattern exactly (rows, K = ${K})`,
    async run(ctx) {
      const widen = bType === 'f16' ? f16BitsToF32 : bf16BitsToF32;
      const pats = Array.from({ length: 65536 }, (_, h) => h).filter((h) => K === 1 || Number.isFinite(widen(h)));
      const N = Math.ceil(pats.length / K);
      const bits = new Uint16Array(N * K + ((N * K) % 2));
      bits.set(pats);
      const a = new Float32Array(K * K);
      for (let i = 0; i < K; i++) a[i * K + i] = 1;
      const A = ctx.createBuffer(a, undefined, 'identity');
      const B = ctx.createBuffer(bits, undefined, 'patterns');
      const C = ctx.createBuffer(4 * K * N, undefined, 'y');
      try {
        await runDispatch(await planMatmulF32(ctx, A, B, C, { M: K, N, K, transB: true, bType, variant: 'rows' }));
        const y = await ctx.readF32(C, K * N);
        let flushed = 0;
        for (let n = 0; n < N; n++) {
          for (let m = 0; m < K; m++) {
            const w = widen(bits[n * K + m]);
            const got = y[m * N + n];
            if (Number.isNaN(w) ? Number.isNaN(got) : got === w) continue;
            const sub = w !== 0 && Math.abs(w) < 2 ** -126;
            assert(sub && got === 0, `pattern 0x${bits[n * K + m].toString(16)} (${w}) came out ${got}`);
            flushed++;
          }
        }
        return `${pats.length} patterns exact${flushed ? ` (${flushed} f32 subnormals flushed to 0 by the adapter)` : ''}`;
      } finally {
        [A, B, C].forEach((x) => x.destroy());
      }
    },
  };
}

export const CASES: GpuCase[] = [
  ...(['f16', 'bf16'] as const).flatMap((t) => [1, 4, 5].map((K) => patternsCase(t, K))),
  ...cases.map(b16Case),
  shardsCase('f16', 'rows', 5, 23, 17, [12]),
  shardsCase('bf16', 'rows', 9, 40, 16, [16, 24]), // every block a multiple of 4: 16-byte stores of y
  shardsCase('f32', 'rows', 1, 23, 12, [8]),
  shardsCase('f16', 'tiled', 33, 23, 17, [12]),
  shardsCase('f32', 'naive', 5, 23, 17, [5]),
  shardsCase('bf16', 'block4', 6, 21, 9, [7, 14]),
  {
    name: 'matmul_b16 refuses an unknown bType and a B buffer too small for 16-bit [N, K]',
    async run(ctx) {
      const A = ctx.createBuffer(4 * 3 * 5, undefined, 'a');
      const B = ctx.createBuffer(4 * 7, undefined, 'w16 small'); // [5, 3] at 16 bits needs 8 words
      const C = ctx.createBuffer(4 * 3 * 5, undefined, 'c');
      try {
        const m1 = await expectError('bType', () => planMatmulF32(ctx, A, B, C, { M: 3, N: 5, K: 3, transB: true, bType: 'f8' as MatmulBType }));
        assert(/bType.*'f8' is not one of f32, f16, bf16/.test(m1), `unexpected message: ${m1}`);
        const d = await planMatmulF32(ctx, A, B, C, { M: 3, N: 5, K: 3, transB: true, bType: 'f16' });
        assert(d.args.expect?.b === 32, `expected 32 bytes of B, the plan says ${d.args.expect?.b}`);
        const m2 = await expectError('small B', () => runDispatch(d));
        assert(/too small: 28 bytes bound, this dispatch needs at least 32/.test(m2), `unexpected message: ${m2}`);
        return `${m1}; ${m2}`;
      } finally {
        [A, B, C].forEach((x) => x.destroy());
      }
    },
  },
];
